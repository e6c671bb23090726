//go:build integration

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/alertmanager/notify/webhook"
	"github.com/prometheus/alertmanager/template"
)

// bigHeapStacks is how many distinct allocation stacks the big-heap target
// has: its heap profile decodes to some 50 MB.
const bigHeapStacks = 700_000

// TestServeSummarizesALargeHeapInASmallPod has `alertprof serve` capture
// and summarize the heap profile of a real Go process that allocated from
// 700,000 distinct stacks with every allocation recorded, and checks that
// the receiver's peak RSS (VmHWM) stays under 256 MiB, a small pod's
// limit, while the profile is tens of megabytes decoded.
func TestServeSummarizesALargeHeapInASmallPod(t *testing.T) {
	work := t.TempDir()
	const token = "bigheap-webhook-token-0123456789"
	target := startProc(t, "bigheap-target", os.Args[0], "-test.run=^$")
	target.cmd.Env = append(os.Environ(), bigHeapEnv+"="+strconv.Itoa(bigHeapStacks))
	target.start(t)
	addr := strings.TrimPrefix(target.waitLine(t, "listening "), "listening ")
	waitUntil(t, 5*time.Minute, "the target has allocated", func() bool {
		return strings.Contains(target.output(), "allocated")
	})

	// The decoded cap raised past this profile's 68 MB (the default is
	// 64 MiB); the memory budget stays the default 128 MiB: the streamed
	// summary is charged by its tables, which are a small part of it.
	// The target takes a while to write 700,000 stacks, longer on a
	// loaded machine: the fetch timeout is raised, as this test is about
	// the receiver's memory, not the target's speed.
	serve := startServer(t, work, serveConfig{token: token, yaml: `capture:
  profiles: [heap]
  timeout: 3m
  job_timeout: 5m
  max_decoded_bytes: 104857600
`})
	msg := webhook.Message{Version: "4", GroupKey: `{}:{alertname="GoHeapHigh"}`, Data: &template.Data{
		Receiver: "alertprof", Status: "firing",
		Alerts: template.Alerts{{Status: "firing", StartsAt: time.Now(), Fingerprint: "bigheap",
			Labels: template.KV{"alertname": "GoHeapHigh", "alertprof_kind": "default", "instance": addr}}},
		CommonLabels: template.KV{"alertname": "GoHeapHigh"},
	}}
	body, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	sendWebhook(t, serve.addr, token, string(body), "webhook")

	dir := filepath.Join("static", "127.0.0.1-"+portOf(addr))
	var summary string
	waitUntil(t, 4*time.Minute, "the big heap's summary is stored", func() bool {
		summary = findFile(serve.store, filepath.Join(dir, "summary.txt"))
		return summary != ""
	})
	text, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "heap inuse_space: total") || !strings.Contains(string(text), "bigHeapStep") {
		t.Fatalf("the summary has no heap table naming the allocating function:\n%s", text)
	}
	hwm := vmHWM(t, serve.cmd.Process.Pid)
	compressed, decoded := profileSize(t, filepath.Join(filepath.Dir(summary), "heap.pb.gz"))
	t.Logf("heap profile %.1f MB (%.1f MB decoded); alertprof serve peak RSS %.1f MiB (%.2f× the decoded size)",
		float64(compressed)/1e6, float64(decoded)/1e6, float64(hwm)/(1<<20), float64(hwm)/float64(decoded))
	if decoded < 40e6 {
		t.Fatalf("the target's heap profile decodes to %d bytes: too small to tell", decoded)
	}
	if hwm >= 256<<20 {
		t.Errorf("alertprof serve peaked at %d bytes resident, over a 256 MiB pod's limit", hwm)
	}
}

// profileSize is a gzipped profile's size and its size decompressed.
func profileSize(t *testing.T, path string) (compressed, decoded int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(data)), n
}
