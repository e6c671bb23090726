package spool

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alertprof/alertprof/capture"
)

func openSpool(t *testing.T, dir string, max int64) *Spool {
	t.Helper()
	s, dropped, err := Open(dir, max)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 0 {
		t.Fatalf("dropped %q on open", dropped)
	}
	return s
}

func spooledBytes(t *testing.T, s *Spool, e *spoolEntry) []byte {
	t.Helper()
	f, err := s.open(e)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tmpFiles lists every file under dir whose name starts with ".tmp-".
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSpoolBounds(t *testing.T) {
	tests := []struct {
		name string
		add  func(s *Spool, key string, n int) error // adds n bytes
	}{
		{name: "known length", add: func(s *Spool, key string, n int) error {
			_, err := s.Add(key, make([]byte, n), capture.Meta{})
			return err
		}},
		{name: "unknown length", add: func(s *Spool, key string, n int) error {
			_, err := s.add(key, io.LimitReader(zeros{}, int64(n)), -1, capture.Meta{})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSpool(t, t.TempDir(), 100)
			if err := tc.add(s, "a", 60); err != nil {
				t.Fatal(err)
			}
			if err := tc.add(s, "b", 41); !errors.Is(err, ErrFull) {
				t.Fatalf("adding past the bound: err = %v, want ErrFull", err)
			}
			if err := tc.add(s, "c", 40); err != nil {
				t.Fatalf("adding up to the bound: %v", err)
			}
			if s.Bytes() != 100 || s.Len() != 2 {
				t.Fatalf("spool holds %d bytes in %d entries, want 100 in 2", s.Bytes(), s.Len())
			}
			if left := tmpFiles(t, s.dir); len(left) != 0 {
				t.Fatalf("refused add left %q", left)
			}
			for _, e := range s.Pending() {
				s.remove(e)
			}
			if s.Bytes() != 0 || s.Len() != 0 {
				t.Fatalf("after removing all: %d bytes, %d entries", s.Bytes(), s.Len())
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestSpoolSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, 1<<20)
	meta := capture.Meta{Incident: "inc", Namespace: "ns", Pod: "pod", Profile: "heap", AlertName: "A"}
	data := []byte("\x1f\x8b raw profile \x00\xff")
	if _, err := s.Add("k/heap.pb.gz", data, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add("k/incident.json", []byte(`{"v":1}`), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add("k/incident.json", []byte(`{"v":2}`), capture.Meta{}); err != nil {
		t.Fatal(err)
	}
	// Leftovers of a crash: a temp file and a body never committed.
	os.WriteFile(filepath.Join(dir, ".tmp-1"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "00000000000000000099.body"), []byte("x"), 0o600)

	s2, dropped, err := Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || dropped[0] != "00000000000000000099.body" {
		t.Fatalf("dropped %q, want the uncommitted body", dropped)
	}
	p := s2.Pending()
	if len(p) != 3 {
		t.Fatalf("reopened spool has %d entries, want 3", len(p))
	}
	if p[0].Key != "k/heap.pb.gz" || p[0].Meta != meta || !bytes.Equal(spooledBytes(t, s2, p[0]), data) {
		t.Fatalf("first entry %+v does not match what was spooled", p[0])
	}
	if e := s2.latestFor("k/incident.json"); e == nil || string(spooledBytes(t, s2, e)) != `{"v":2}` {
		t.Fatal("the newest incident.json is not the latest entry after restart")
	}
	if s2.isLatest(p[1]) {
		t.Fatal("the superseded incident.json counts as latest")
	}
	if e, err := s2.Add("new", []byte("n"), capture.Meta{}); err != nil || e.Seq <= p[2].Seq {
		t.Fatalf("new entry after restart: %+v, %v; want a sequence after the loaded ones", e, err)
	}
	if left := tmpFiles(t, dir); len(left) != 0 {
		t.Fatalf("temp files survived the rescan: %q", left)
	}
}

func TestSpoolCorruptEntryIsDropped(t *testing.T) {
	dir := t.TempDir()
	s := openSpool(t, dir, 1<<20)
	e, err := s.Add("k", []byte("12345"), capture.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.bodyPath(e.Seq), []byte("123"), 0o600); err != nil { // truncated
		t.Fatal(err)
	}
	s2, dropped, err := Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 1 || s2.Len() != 0 || s2.Bytes() != 0 {
		t.Fatalf("dropped %q, %d entries left; want the truncated entry dropped", dropped, s2.Len())
	}
}
