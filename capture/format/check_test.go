package format

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// TestCheckProfile checks the streaming validity check: a real profile
// gives its header without samples or tables; what ParseProfile rejects,
// CheckProfile rejects with a "parse profile" error; the decoded-size cap
// holds.
func TestCheckProfile(t *testing.T) {
	data := realProfile(t)
	h, err := CheckProfile(data, DefaultMaxDecoded)
	if err != nil {
		t.Fatalf("real profile: %v", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.SampleType) != len(p.SampleType) || h.SampleType[0].Type != p.SampleType[0].Type || h.PeriodType.Type != p.PeriodType.Type {
		t.Errorf("header types %v %v, parsed %v %v", h.SampleType, h.PeriodType, p.SampleType, p.PeriodType)
	}
	if h.Sample != nil || h.Location != nil || h.Function != nil || h.Mapping != nil {
		t.Error("the header keeps samples or tables")
	}
	// A sample pointing at no location: valid protobuf, invalid profile.
	bad := &profile.Profile{SampleType: []*profile.ValueType{{Type: "x", Unit: "count"}},
		Sample: []*profile.Sample{{Value: []int64{1}, Location: []*profile.Location{{ID: 7}}}}}
	var raw bytes.Buffer
	if err := bad.WriteUncompressed(&raw); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"garbage protobuf": {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01},
		"truncated gzip":   gz(t, "x")[:8],
		"unknown location": raw.Bytes(),
		"empty":            nil,
	} {
		_, perr := ParseProfile(data)
		if _, err := CheckProfile(data, DefaultMaxDecoded); err == nil || perr == nil || !strings.HasPrefix(err.Error(), "parse profile") {
			t.Errorf("%s: CheckProfile %v, ParseProfile %v; want both to fail, CheckProfile with a parse profile error", name, err, perr)
		}
	}
	if _, err := CheckProfile(data, 64); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the cap: %v, want ErrTooLarge", err)
	}
}
