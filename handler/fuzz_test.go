package handler

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeMessage: no input makes the decoder panic, and whatever it
// accepts is a valid version 4 notification.
func FuzzDecodeMessage(f *testing.F) {
	f.Add(payload(f, "g1", "firing", alert("firing", "127.0.0.1:6060")))
	f.Add(payload(f, "g1", "resolved", alert("resolved", "127.0.0.1:6060")))
	f.Add([]byte(`{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","labels":{"a":"b"}}]}`))
	f.Add([]byte(`{"version":"4","alerts":null}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":"4"}{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := decodeMessage(bytes.NewReader(data), 50, 256)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) || re.msg == "" {
				t.Fatalf("error %v is not a requestError with a message", err)
			}
			return
		}
		if msg.Version != "4" || msg.GroupKey == "" || len(msg.Alerts) == 0 || len(msg.Alerts) > 50 {
			t.Fatalf("accepted an invalid message: %+v", msg)
		}
	})
}
