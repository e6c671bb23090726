package capture

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFetchSendsTheUserAgent(t *testing.T) {
	heap := realProfile(t, "heap")
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.UserAgent()
		_, _ = w.Write(heap)
	}))
	t.Cleanup(srv.Close)
	f := NewFetcher(nil, 0, 5*time.Second).WithUserAgent("alertprof/1.2.3")
	res := f.Fetch(context.Background(), serverTarget(srv.Listener.Addr().String()), mustProfile(t, "heap", 1))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if ua := <-got; ua != "alertprof/1.2.3" {
		t.Errorf("User-Agent %q, want alertprof/1.2.3", ua)
	}
}
