// Package handler receives Alertmanager webhooks and turns them into jobs:
// it authenticates and decodes the payload, keeps incident state, answers at
// once, and runs each job (resolve, capture, store, summarize, notify) on a
// bounded queue with a fixed pool of workers.
package handler
