package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/alertprof/alertprof/handler"
)

// maxStatusBytes bounds one answer of the capture API.
const maxStatusBytes = 32 << 20

// captureRemotely asks the alertprof at ca.server to capture, follows the
// capture's progress and returns its reports. The artifacts stay in that
// alertprof's store; the links in the report point there.
func captureRemotely(ctx context.Context, ca captureArgs, stderr io.Writer) (handler.CaptureStatus, error) {
	if ca.configPath != "" || kubeFlagsSet(ca.kube) || ca.out != "" {
		return handler.CaptureStatus{}, errors.New("--server asks a running alertprof: --config, --out and the kubeconfig flags (--kubeconfig, --context, --cluster, --user, --as) do not apply")
	}
	base, err := url.Parse(strings.TrimRight(ca.server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return handler.CaptureStatus{}, fmt.Errorf("--server %q is not an http(s) URL", ca.server)
	}
	api := base.String() + "/api/v1/captures"
	cl := &captureClient{http: &http.Client{Timeout: time.Minute}, token: captureToken(os.Getenv)}
	body, err := json.Marshal(ca.req)
	if err != nil {
		return handler.CaptureStatus{}, err
	}
	st, err := cl.do(ctx, http.MethodPost, api, body, http.StatusAccepted)
	if err != nil {
		return st, err
	}
	return followCapture(ctx, stderr, func(ctx context.Context) (handler.CaptureStatus, error) {
		return cl.do(ctx, http.MethodGet, api+"/"+url.PathEscape(st.ID), nil, http.StatusOK)
	}, nil)
}

type captureClient struct {
	http  *http.Client
	token string
}

func (c *captureClient) do(ctx context.Context, method, u string, body []byte, want int) (handler.CaptureStatus, error) {
	var st handler.CaptureStatus
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return st, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return st, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBytes+1))
	if err != nil {
		return st, fmt.Errorf("%s %s: %w", method, u, err)
	}
	if len(b) > maxStatusBytes {
		return st, fmt.Errorf("%s %s: the answer is larger than %d bytes", method, u, maxStatusBytes)
	}
	if resp.StatusCode != want {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return st, fmt.Errorf("alertprof answered %s: %s", resp.Status, e.Error)
		}
		return st, fmt.Errorf("alertprof answered %s", resp.Status)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s %s: decode the answer: %w", method, u, err)
	}
	return st, nil
}

// captureToken is the token `capture --server` sends: the capture API's
// own, else the webhook's.
func captureToken(getenv func(string) string) string {
	if t := getenv("ALERTPROF_CAPTURE_TOKEN"); t != "" {
		return t
	}
	return getenv("ALERTPROF_WEBHOOK_TOKEN")
}
