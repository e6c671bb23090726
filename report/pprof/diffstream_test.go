package pprof

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"
)

// FuzzDiffMatchesParsed checks that DiffData on two profiles' bytes gives
// what Diff gives on the parsed profiles, errors included, for random
// valid pairs: a profile and a changed copy of it (values grown, shrunk or
// cancelled, location and mapping IDs renumbered, mappings moved, samples
// dropped), or two independent profiles with the same sample types.
func FuzzDiffMatchesParsed(f *testing.F) {
	f.Add([]byte("seed"), 5, false)
	f.Add(bytes.Repeat([]byte{7, 200, 3, 41, 0, 255, 16}, 40), 3, true)
	f.Add(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 30), 10, false)
	f.Fuzz(func(t *testing.T, in []byte, top int, gz bool) {
		fb := &fuzzBytes{b: in}
		base := genProfile(fb)
		cur := changedProfile(fb, base)
		baseData, curData := encode(t, base, gz), encode(t, cur, !gz)
		parsedBase, err := profile.ParseData(baseData)
		if err != nil {
			t.Fatalf("parse the written base: %v", err)
		}
		parsedCur, err := profile.ParseData(curData)
		if err != nil {
			t.Fatalf("parse the written profile: %v", err)
		}
		for _, idx := range []string{"", "1"} {
			opts := Options{Top: top % 50, SampleIndex: idx}
			want, wantErr := Diff(parsedBase, parsedCur, opts)
			got, err := DiffData(baseData, curData, 0, opts)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("opts %+v: DiffData error %v, Diff error %v", opts, err, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("opts %+v: DiffData gave\n%s\nDiff gave\n%s", opts, dump([]Summary{got}), dump([]Summary{want}))
			}
		}
	})
}

// changedProfile returns a profile to diff base against: a changed copy
// of base, or an independent profile given base's sample and period types
// when it has as many sample types.
func changedProfile(fb *fuzzBytes, base *profile.Profile) *profile.Profile {
	if fb.n(3) == 0 {
		p := genProfile(fb)
		if len(p.SampleType) == len(base.SampleType) {
			p.SampleType, p.PeriodType = base.SampleType, base.PeriodType
			return p
		}
	}
	p := base.Copy()
	if fb.n(2) == 0 {
		for _, l := range p.Location {
			l.ID += 100
		}
	}
	for _, m := range p.Mapping {
		if fb.n(3) == 0 {
			m.Start, m.Limit = 0x1000*uint64(1+fb.n(3)), 0x1000*uint64(3+fb.n(3))
		}
	}
	kept := p.Sample[:0]
	for _, s := range p.Sample {
		switch fb.n(5) {
		case 0:
			continue
		case 1:
			for i := range s.Value {
				s.Value[i] += int64(fb.n(7)-3) * int64(1+fb.n(100))
			}
		case 2:
			for i := range s.Value {
				s.Value[i] = 0
			}
		}
		kept = append(kept, s)
	}
	p.Sample = kept
	return p
}

func encode(t *testing.T, p *profile.Profile, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	write := p.WriteUncompressed
	if gz {
		write = p.Write
	}
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDiffDataFallsBackToPprofsParser diffs legacy text heap profiles,
// which the wire reader rejects: the result is Diff's on the parsed
// profiles.
func TestDiffDataFallsBackToPprofsParser(t *testing.T) {
	base := []byte(`heap profile: 1: 1024 [2: 2048] @ heap/1048576
1: 1024 [2: 2048] @ 0x401000 0x403000
`)
	cur := []byte(`heap profile: 3: 3072 [5: 5120] @ heap/1048576
2: 2048 [3: 3072] @ 0x401000 0x402000
1: 1024 [2: 2048] @ 0x401000 0x403000
`)
	pb, err := profile.ParseData(base)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := profile.ParseData(cur)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Diff(pb, pc, Options{Top: 5})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	got, err := DiffData(base, cur, 0, Options{Top: 5})
	if err != nil {
		t.Fatalf("DiffData: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DiffData gave\n%s\nDiff gave\n%s", dump([]Summary{got}), dump([]Summary{want}))
	}
	if !got.Diff || got.Total == 0 {
		t.Errorf("Diff %t, total %d: want a diff with a total", got.Diff, got.Total)
	}
}
