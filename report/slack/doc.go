// Package slack posts alertprof's incidents to Slack through the Web API
// (slack-go): one parent message per incident, a reply per captured pod in
// its thread, and on resolve a reply plus an update of the parent. It
// renders a report.PodReport, never analyses one: the headline is the
// report's. Calls are retried (Retry-After on 429, backoff on 5xx and
// transport errors), channels are routed by label matchers, and every
// message stays within one set of Slack's limits, attaching the whole text
// report when something had to be cut.
package slack
