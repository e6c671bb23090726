package capture

import (
	"reflect"
	"strings"
	"testing"
)

func TestProfileByName(t *testing.T) {
	tests := []struct {
		name       string
		cpuSeconds int
		want       Profile
		wantQuery  string
	}{
		{name: "heap", cpuSeconds: 30, want: Profile{Name: "heap", Endpoint: "heap"}},
		{name: "allocs", cpuSeconds: 30, want: Profile{Name: "allocs", Endpoint: "allocs"}},
		{name: "goroutine", cpuSeconds: 30, want: Profile{Name: "goroutine", Endpoint: "goroutine"}},
		{name: "block", cpuSeconds: 30, want: Profile{Name: "block", Endpoint: "block"}},
		{name: "mutex", cpuSeconds: 30, want: Profile{Name: "mutex", Endpoint: "mutex"}},
		{name: "threadcreate", cpuSeconds: 30, want: Profile{Name: "threadcreate", Endpoint: "threadcreate"}},
		{name: "cpu", cpuSeconds: 30, want: Profile{Name: "cpu", Endpoint: "profile", Seconds: 30}, wantQuery: "seconds=30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ProfileByName(tc.name, tc.cpuSeconds)
			if err != nil {
				t.Fatalf("ProfileByName(%q, %d): %v", tc.name, tc.cpuSeconds, err)
			}
			if got != tc.want {
				t.Errorf("ProfileByName(%q, %d) = %+v, want %+v", tc.name, tc.cpuSeconds, got, tc.want)
			}
			if q := got.Query(); q != tc.wantQuery {
				t.Errorf("Query() = %q, want %q", q, tc.wantQuery)
			}
		})
	}
}

func TestProfileByNameClampsCPUSeconds(t *testing.T) {
	tests := []struct {
		name string
		in   int
		want int
	}{
		{name: "very negative", in: -1 << 31, want: 1},
		{name: "negative", in: -5, want: 1},
		{name: "zero", in: 0, want: 1},
		{name: "minimum", in: 1, want: 1},
		{name: "middle", in: 30, want: 30},
		{name: "maximum", in: MaxCPUSeconds, want: MaxCPUSeconds},
		{name: "just above maximum", in: MaxCPUSeconds + 1, want: MaxCPUSeconds},
		{name: "an hour", in: 3600, want: MaxCPUSeconds},
		{name: "very large", in: 1 << 40, want: MaxCPUSeconds},
	}
	if MaxCPUSeconds != 60 {
		t.Fatalf("MaxCPUSeconds = %d, want 60", MaxCPUSeconds)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ProfileByName("cpu", tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Seconds != tc.want {
				t.Errorf("ProfileByName(cpu, %d).Seconds = %d, want %d", tc.in, p.Seconds, tc.want)
			}
			// Instant profiles never take a window, whatever cpuSeconds says.
			h, err := ProfileByName("heap", tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if h.Seconds != 0 || h.Query() != "" {
				t.Errorf("ProfileByName(heap, %d) = %+v, want no window", tc.in, h)
			}
		})
	}
}

func TestProfileByNameUnknown(t *testing.T) {
	for _, name := range []string{"", "Heap", "HEAP", "profile", "Trace", "trace.out", "cpu ", " heap", "heap\n", "../heap", "goroutinez"} {
		t.Run(name, func(t *testing.T) {
			p, err := ProfileByName(name, 10)
			if err == nil {
				t.Fatalf("ProfileByName(%q) = %+v, want an error", name, p)
			}
			if p != (Profile{}) {
				t.Errorf("ProfileByName(%q) returned %+v with its error", name, p)
			}
			msg := err.Error()
			for _, want := range []string{"unknown profile", "heap", "cpu"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name    string
		names   []string
		cpu     int
		want    []Profile
		wantErr string
	}{
		{name: "empty", names: nil, want: []Profile{}},
		{
			name:  "keeps order",
			names: []string{"goroutine", "cpu", "heap"},
			cpu:   90,
			want: []Profile{
				{Name: "goroutine", Endpoint: "goroutine"},
				{Name: "cpu", Endpoint: "profile", Seconds: 60},
				{Name: "heap", Endpoint: "heap"},
			},
		},
		{
			name:  "all",
			names: []string{"heap", "allocs", "goroutine", "block", "mutex", "threadcreate", "cpu"},
			cpu:   5,
			want: []Profile{
				{Name: "heap", Endpoint: "heap"},
				{Name: "allocs", Endpoint: "allocs"},
				{Name: "goroutine", Endpoint: "goroutine"},
				{Name: "block", Endpoint: "block"},
				{Name: "mutex", Endpoint: "mutex"},
				{Name: "threadcreate", Endpoint: "threadcreate"},
				{Name: "cpu", Endpoint: "profile", Seconds: 5},
			},
		},
		{name: "duplicate", names: []string{"heap", "goroutine", "heap"}, wantErr: `profile "heap" listed twice`},
		{name: "duplicate cpu", names: []string{"cpu", "cpu"}, wantErr: `profile "cpu" listed twice`},
		{name: "unknown", names: []string{"heap", "bogus"}, wantErr: `unknown profile "bogus"`},
		{name: "unknown twice reports unknown first", names: []string{"bogus", "bogus"}, wantErr: `unknown profile "bogus"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(tc.names, tc.cpu)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Plan(%q) = %+v, want error %q", tc.names, got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Plan(%q) error = %q, want it to contain %q", tc.names, err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("Plan(%q) returned %+v with its error", tc.names, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan(%q): %v", tc.names, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan(%q) = %+v, want %+v", tc.names, got, tc.want)
			}
		})
	}
}
