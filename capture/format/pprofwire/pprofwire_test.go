package pprofwire

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/pprof/profile"
)

func fixtures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "report", "testdata", "*.pb.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	return files
}

// TestReadMatchesParseData reads real profiles, gzipped and not, and checks
// the header, the tables and every sample against profile.ParseData.
func TestReadMatchesParseData(t *testing.T) {
	for _, file := range fixtures(t) {
		gz, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		want, err := profile.ParseData(gz)
		if err != nil {
			t.Fatal(err)
		}
		// Writing (and copying) fills a profile's string indexes: write
		// another parse.
		other, err := profile.ParseData(gz)
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		if err := other.WriteUncompressed(&raw); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"gzipped": gz, "raw": raw.Bytes()} {
			t.Run(filepath.Base(file)+"/"+name, func(t *testing.T) {
				got, err := Read(data, 1<<30)
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				h := got.Header
				if !reflect.DeepEqual(h.SampleType, want.SampleType) || !reflect.DeepEqual(h.PeriodType, want.PeriodType) ||
					h.DefaultSampleType != want.DefaultSampleType || h.DurationNanos != want.DurationNanos ||
					h.TimeNanos != want.TimeNanos || h.Period != want.Period || !reflect.DeepEqual(h.Comments, want.Comments) ||
					h.DropFrames != want.DropFrames || h.KeepFrames != want.KeepFrames {
					t.Errorf("header %+v, ParseData %+v", h, want)
				}
				if !reflect.DeepEqual(h.Mapping, want.Mapping) || !reflect.DeepEqual(h.Function, want.Function) ||
					!reflect.DeepEqual(h.Location, want.Location) {
					t.Error("tables differ from ParseData's")
				}
				if got.Samples != len(want.Sample) {
					t.Errorf("%d samples, ParseData has %d", got.Samples, len(want.Sample))
				}
				i := 0
				err = got.EachSample(func(s *profile.Sample) error {
					w := want.Sample[i]
					i++
					if !reflect.DeepEqual(s.Value, w.Value) || len(s.Location) != len(w.Location) {
						t.Fatalf("sample %d: %v at %d locations, ParseData %v at %d", i-1, s.Value, len(s.Location), w.Value, len(w.Location))
					}
					for j, l := range s.Location {
						if l.ID != w.Location[j].ID {
							t.Fatalf("sample %d location %d: ID %d, ParseData %d", i-1, j, l.ID, w.Location[j].ID)
						}
					}
					if len(s.Label)+len(w.Label) > 0 && !reflect.DeepEqual(s.Label, w.Label) {
						t.Fatalf("sample %d labels %v, ParseData %v", i-1, s.Label, w.Label)
					}
					return nil
				})
				if err != nil || i != len(want.Sample) {
					t.Fatalf("EachSample: %v after %d samples of %d", err, i, len(want.Sample))
				}
			})
		}
	}
}

// TestCheckAgreesWithParseData damages real profiles (truncation, flipped
// bytes, spliced garbage) and checks that Check never accepts what
// profile.ParseData rejects, and rejects what it accepts only with ErrWire
// (the caller's cue to ask profile.ParseData).
func TestCheckAgreesWithParseData(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, file := range fixtures(t)[:4] {
		gz, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := profile.ParseData(gz)
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		if err := p.WriteUncompressed(&raw); err != nil {
			t.Fatal(err)
		}
		orig := raw.Bytes()
		for i := range 400 {
			data := bytes.Clone(orig)
			switch i % 3 {
			case 0:
				data = data[:r.IntN(len(data))]
			case 1:
				for range 1 + r.IntN(4) {
					data[r.IntN(len(data))] = byte(r.IntN(256))
				}
			case 2:
				at := r.IntN(len(data))
				data = append(data[:at:at], append([]byte{byte(r.IntN(256)), byte(r.IntN(256))}, data[at:]...)...)
			}
			_, werr := profile.ParseData(data)
			_, err := Check(data, 1<<30)
			switch {
			case err == nil && werr != nil:
				t.Fatalf("%s mutation %d: Check accepts, ParseData says %v", file, i, werr)
			case err != nil && werr == nil && !errors.Is(err, ErrWire):
				t.Fatalf("%s mutation %d: Check says %v, ParseData accepts", file, i, err)
			}
		}
	}
}

// TestReadCaps checks the cap on the decoded size and the empty input.
func TestReadCaps(t *testing.T) {
	gz, err := os.ReadFile(fixtures(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(gz, 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("gzipped over the cap: %v, want ErrTooLarge", err)
	}
	if _, err := Check(make([]byte, 200), 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("raw over the cap: %v, want ErrTooLarge", err)
	}
	if _, err := Check(nil, 100); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := Check(gz, 1<<30); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestReadUnboundedCap checks that the largest cap is no cap.
func TestReadUnboundedCap(t *testing.T) {
	gz, err := os.ReadFile(fixtures(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(gz, math.MaxInt64); err != nil {
		t.Errorf("Check: %v", err)
	}
}
