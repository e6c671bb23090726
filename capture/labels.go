package capture

// SelectorLabel is the label that carries a Kubernetes label selector
// ("app=checkout,tier!=canary") to pick pods of a namespace; on-demand
// captures use it, and so may an alert.
const SelectorLabel = "alertprof_selector"
