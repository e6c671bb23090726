// Package handler receives Alertmanager webhooks and turns them into jobs:
// it authenticates and decodes the payload, keeps incident state in one
// book (incidents, their records and running jobs, claims on targets by
// alert kind), decides at intake the alerts whose targets cool down,
// answers at once, and runs each job (resolve, claim, announce, capture,
// store, summarize, notify) from a bounded queue: a fixed pool of workers
// resolves, claims and announces, and hands the captures on, which then
// wait only for the receiver's capture limits. Captures on demand share
// the book and the capture fan-out.
package handler
