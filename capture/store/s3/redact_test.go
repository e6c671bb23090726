package s3

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

func TestUserMetadata(t *testing.T) {
	got := userMetadata(capture.Meta{Incident: "inc-1", Namespace: "shop", Pod: "api\n0", Profile: " heap ", AlertName: "Hé" + strings.Repeat("x", 300)})
	want := map[string]string{"incident": "inc-1", "namespace": "shop", "pod": "api_0", "profile": "heap", "alertname": "H_" + strings.Repeat("x", 254)}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if got := userMetadata(capture.Meta{Profile: "heap"}); len(got) != 1 || got["profile"] != "heap" {
		t.Errorf("empty fields are kept: %q", got)
	}
	if got := userMetadata(capture.Meta{Profile: "mutex", Window: "10s"}); len(got) != 2 || got["window"] != "10s" {
		t.Errorf("the window of a delta profile is not kept: %q", got)
	}
}

func TestRedactErr(t *testing.T) {
	const secret = "X-Amz-Signature=abc"
	direct := &url.Error{Op: "Get", URL: "https://s3.example/b/k?" + secret, Err: errors.New("refused")}
	wrapped := errors.Join(errors.New("put k"), direct)
	for name, err := range map[string]error{"url error": direct, "wrapped": wrapped} {
		got := redactErr(err)
		if strings.Contains(got.Error(), secret) || !strings.Contains(got.Error(), "refused") {
			t.Errorf("%s: %v", name, got)
		}
	}
	if redactErr(nil) != nil {
		t.Error("nil error became non-nil")
	}
}
