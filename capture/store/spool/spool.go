package spool

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alertprof/alertprof/capture"
)

// ErrFull reports that an artifact does not fit in the spool's bound.
var ErrFull = errors.New("spool full")

// Spool is a bounded on-disk queue of artifacts waiting for upload. Each
// entry is two files: <seq>.body, the bytes exactly as given, and
// <seq>.json, its key and metadata, written last as the commit mark.
// Open rescans the directory, so entries survive a restart.
type Spool struct {
	dir string
	max int64

	mu      sync.Mutex
	total   int64
	seq     uint64
	entries map[uint64]*spoolEntry
	latest  map[string]uint64 // key -> seq of its newest entry
}

// spoolEntry is one artifact waiting in the spool.
type spoolEntry struct {
	Seq     uint64       `json:"seq"`
	Key     string       `json:"key"`
	Size    int64        `json:"size"`
	Meta    capture.Meta `json:"meta"`
	Spooled time.Time    `json:"spooled"`
}

func (s *Spool) bodyPath(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.body", seq))
}

func (s *Spool) metaPath(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d.json", seq))
}

// Open opens (creating) the spool in dir, bounded to maxBytes of
// bodies, and loads the entries a previous process left. Files that are
// not a complete entry are removed and returned by name, so the caller can
// log and count them.
func Open(dir string, maxBytes int64) (*Spool, []string, error) {
	if maxBytes <= 0 {
		return nil, nil, errors.New("spool: max bytes must be positive")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, max: maxBytes, entries: make(map[uint64]*spoolEntry), latest: make(map[string]uint64)}
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	var dropped []string
	for _, n := range names {
		name := n.Name()
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSuffix(name, ".json"), ".body"), 10, 64)
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			os.Remove(filepath.Join(dir, name))
			continue
		case err != nil:
			continue // not ours
		case strings.HasSuffix(name, ".body"):
			if _, err := os.Stat(s.metaPath(seq)); err != nil {
				os.Remove(s.bodyPath(seq)) // never committed
				dropped = append(dropped, name)
			}
			continue
		}
		e, err := s.load(seq)
		if err != nil {
			os.Remove(s.metaPath(seq))
			os.Remove(s.bodyPath(seq))
			dropped = append(dropped, name)
			continue
		}
		s.insert(e)
	}
	return s, dropped, nil
}

func (s *Spool) load(seq uint64) (*spoolEntry, error) {
	b, err := os.ReadFile(s.metaPath(seq))
	if err != nil {
		return nil, err
	}
	var e spoolEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	fi, err := os.Stat(s.bodyPath(seq))
	if err != nil {
		return nil, err
	}
	if e.Seq != seq || e.Key == "" || fi.Size() != e.Size {
		return nil, fmt.Errorf("spool entry %d is inconsistent", seq)
	}
	return &e, nil
}

// insert adds a loaded or new entry. The caller holds mu or owns s.
func (s *Spool) insert(e *spoolEntry) {
	s.entries[e.Seq] = e
	s.total += e.Size
	if e.Seq >= s.seq {
		s.seq = e.Seq
	}
	if e.Seq > s.latest[e.Key] {
		s.latest[e.Key] = e.Seq
	}
}

// Add writes data into the spool under key. It fails with ErrFull, and
// keeps nothing, when the bytes would pass the bound.
func (s *Spool) Add(key string, data []byte, meta capture.Meta) (*spoolEntry, error) {
	return s.add(key, bytes.NewReader(data), int64(len(data)), meta)
}

// add copies r, of size bytes (negative when unknown), into the spool.
func (s *Spool) add(key string, r io.Reader, size int64, meta capture.Meta) (*spoolEntry, error) {
	s.mu.Lock()
	room := s.max - s.total
	s.mu.Unlock()
	if size > room {
		return nil, fmt.Errorf("spool %s (%d bytes, %d free): %w", key, size, room, ErrFull)
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	n, err := io.Copy(tmp, io.LimitReader(r, room+1))
	if err == nil && n > room {
		err = ErrFull
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", key, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total+n > s.max { // another Add took the room meanwhile
		return nil, fmt.Errorf("spool %s: %w", key, ErrFull)
	}
	s.seq++
	e := &spoolEntry{Seq: s.seq, Key: key, Size: n, Meta: meta, Spooled: time.Now().UTC()}
	if err := os.Rename(tmp.Name(), s.bodyPath(e.Seq)); err != nil {
		return nil, fmt.Errorf("spool %s: %w", key, err)
	}
	if err := s.writeMeta(e); err != nil {
		os.Remove(s.bodyPath(e.Seq))
		return nil, fmt.Errorf("spool %s: %w", key, err)
	}
	s.insert(e)
	return e, nil
}

func (s *Spool) writeMeta(e *spoolEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), s.metaPath(e.Seq))
}

// Pending returns the entries in the order they were spooled.
func (s *Spool) Pending() []*spoolEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*spoolEntry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *spoolEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	return out
}

// latestFor returns the newest entry for key, or nil.
func (s *Spool) latestFor(key string) *spoolEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	seq, ok := s.latest[key]
	if !ok {
		return nil
	}
	return s.entries[seq]
}

// isLatest reports whether e is still the newest entry for its key.
func (s *Spool) isLatest(e *spoolEntry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest[e.Key] == e.Seq && s.entries[e.Seq] == e
}

// open returns e's body for reading.
func (s *Spool) open(e *spoolEntry) (*os.File, error) {
	return os.Open(s.bodyPath(e.Seq))
}

// read returns e's body.
func (s *Spool) read(e *spoolEntry) ([]byte, error) {
	return os.ReadFile(s.bodyPath(e.Seq))
}

// remove deletes e (uploaded, or superseded by a newer entry for its key).
func (s *Spool) remove(e *spoolEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[e.Seq]; !ok {
		return
	}
	os.Remove(s.metaPath(e.Seq)) // the commit mark first
	os.Remove(s.bodyPath(e.Seq))
	delete(s.entries, e.Seq)
	s.total -= e.Size
	if s.latest[e.Key] == e.Seq {
		delete(s.latest, e.Key)
	}
}

// Bytes is the size of the bodies waiting; Len their number.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Len is the number of entries waiting.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}
