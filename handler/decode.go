package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/alertmanager/notify/webhook"
)

// requestError is a webhook request refused with a status code and a
// message that names the problem.
type requestError struct {
	code   int
	result string // metrics label
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) *requestError {
	return &requestError{code: http.StatusBadRequest, result: resultBadRequest, msg: fmt.Sprintf(format, args...)}
}

// decodeMessage reads one Alertmanager webhook payload (version 4) from r
// and checks it. r must already be bounded.
func decodeMessage(r io.Reader, maxAlerts, maxLabelBytes int) (*webhook.Message, error) {
	var msg webhook.Message
	dec := json.NewDecoder(r)
	if err := dec.Decode(&msg); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &requestError{code: http.StatusRequestEntityTooLarge, result: resultTooLarge,
				msg: fmt.Sprintf("the body is larger than the %d-byte limit", tooBig.Limit)}
		}
		return nil, badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return nil, badRequest("malformed JSON: more than one value in the body")
	}
	if err := validateMessage(&msg, maxAlerts, maxLabelBytes); err != nil {
		return nil, err
	}
	return &msg, nil
}

func validateMessage(msg *webhook.Message, maxAlerts, maxLabelBytes int) error {
	if msg.Version != "4" {
		return badRequest("unsupported webhook version %q: alertprof reads Alertmanager's version \"4\"", msg.Version)
	}
	if msg.Data == nil || len(msg.Alerts) == 0 {
		return badRequest("the payload has no alerts")
	}
	if len(msg.Alerts) > maxAlerts {
		return &requestError{code: http.StatusBadRequest, result: resultTooMany, msg: fmt.Sprintf("the payload has %d alerts, more than the limit of %d (set max_alerts in Alertmanager's webhook_configs)", len(msg.Alerts), maxAlerts)}
	}
	if msg.GroupKey == "" {
		return badRequest("the payload has no groupKey")
	}
	if msg.Status != "firing" && msg.Status != "resolved" {
		return badRequest("status %q is neither \"firing\" nor \"resolved\"", msg.Status)
	}
	for i, a := range msg.Alerts {
		if a.Status != "firing" && a.Status != "resolved" {
			return badRequest("alerts[%d]: status %q is neither \"firing\" nor \"resolved\"", i, a.Status)
		}
		if len(a.Labels) == 0 {
			return badRequest("alerts[%d]: no labels", i)
		}
		for _, kv := range []map[string]string{a.Labels, a.Annotations} {
			for k, v := range kv {
				if len(k) > maxLabelBytes || len(v) > maxLabelBytes {
					return &requestError{code: http.StatusBadRequest, result: resultLabelTooBig,
						msg: fmt.Sprintf("alerts[%d]: label or annotation %.64q is longer than %d bytes", i, k, maxLabelBytes)}
				}
			}
		}
	}
	return nil
}
