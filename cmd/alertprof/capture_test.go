package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/handler"
)

func TestParseCaptureArgs(t *testing.T) {
	cases := []struct {
		name                    string
		args                    []string
		ns, pod, sel, addr, err string
		profiles                []string
	}{
		{name: "ns flag and pod", args: []string{"-n", "shop", "checkout-1"}, ns: "shop", pod: "checkout-1"},
		{name: "pod before flags", args: []string{"checkout-1", "-n", "shop", "--profiles", "heap, cpu"}, ns: "shop", pod: "checkout-1", profiles: []string{"heap", "cpu"}},
		{name: "ns/pod", args: []string{"shop/checkout-1"}, ns: "shop", pod: "checkout-1"},
		{name: "selector", args: []string{"-n", "shop", "-l", "app=checkout"}, ns: "shop", sel: "app=checkout"},
		{name: "address", args: []string{"--address", "127.0.0.1:6060"}, addr: "127.0.0.1:6060"},
		{name: "two pods", args: []string{"-n", "shop", "a", "b"}, err: "one pod at a time"},
		{name: "namespaces disagree", args: []string{"-n", "shop", "web/a"}, err: "names namespace web"},
		{name: "bad format", args: []string{"--format", "yaml", "shop/a"}, err: "--format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca, err := parseCaptureArgs(tc.args, io.Discard)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := ca.req
			if r.Namespace != tc.ns || r.Pod != tc.pod || r.Selector != tc.sel || r.Address != tc.addr || !slices.Equal(r.Profiles, tc.profiles) {
				t.Fatalf("request %+v", r)
			}
		})
	}
}

func TestProgressLine(t *testing.T) {
	st := handler.CaptureStatus{Targets: []handler.TargetStatus{
		{Target: "shop/checkout-1", State: handler.StateCapturing, Profiles: []handler.ProfileStatus{
			{Name: "heap", State: handler.StateCapturing},
			{Name: "cpu", State: handler.StateCapturing, Seconds: 30, ElapsedSeconds: 12},
		}},
		{Target: "shop/checkout-2", State: handler.StateQueued},
		{Target: "shop/checkout-3", State: handler.StateDone},
	}}
	want := "capturing cpu from shop/checkout-1: 12s of 30s; 1 target(s) waiting for a capture slot; 1 of 3 done"
	if got := progressLine(st); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	st.Targets[0].Profiles = st.Targets[0].Profiles[:1]
	if got := progressLine(st); !strings.HasPrefix(got, "capturing from shop/checkout-1;") {
		t.Fatalf("without a window: %q", got)
	}
}
