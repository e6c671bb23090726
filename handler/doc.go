// Package handler receives Alertmanager webhooks and turns them into jobs:
// it authenticates and decodes the payload, keeps incident state in one
// book (incidents, their records and running jobs, claims on targets),
// answers at once, and runs each job (resolve, claim, announce, capture,
// store, summarize, notify) on a bounded queue with a fixed pool of
// workers. Captures on demand share the book and the capture fan-out.
package handler
