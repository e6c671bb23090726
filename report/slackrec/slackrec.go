// Package slackrec is an HTTP server that speaks the part of Slack's Web
// API alertprof uses (chat.postMessage, chat.update and the files upload
// v2 flow), records every call, and can be told to answer 429, 5xx or
// {"ok": false}. Tests point slack-go at it with slack.OptionAPIURL, so the
// real client code runs.
package slackrec

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one Web API request as the server received it.
type Call struct {
	Method    string
	Form      url.Values
	UserAgent string
	// At is when the server received the call.
	At time.Time
	// Posted is the ts the server gave a message it accepted from
	// chat.postMessage: the one a later chat.update of it names.
	Posted string
}

// Channel, ThreadTS, TS and Text return the common parameters.
func (c Call) Channel() string  { return c.Form.Get("channel") }
func (c Call) ThreadTS() string { return c.Form.Get("thread_ts") }
func (c Call) TS() string       { return c.Form.Get("ts") }
func (c Call) Text() string     { return c.Form.Get("text") }

// Blocks returns the raw JSON of the message's blocks.
func (c Call) Blocks() string { return c.Form.Get("blocks") }

// ChannelID is where files.completeUploadExternal shares a file.
func (c Call) ChannelID() string { return c.Form.Get("channel_id") }

// FileIDs are the IDs in files.completeUploadExternal's files parameter.
func (c Call) FileIDs() []string {
	var files []struct{ ID string }
	_ = json.Unmarshal([]byte(c.Form.Get("files")), &files)
	ids := make([]string, 0, len(files))
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	return ids
}

// File is one file uploaded to an upload URL.
type File struct {
	// Name is the multipart file name; empty for a raw body.
	Name string
	// Data is the file's bytes (the part's content when the body is
	// multipart, else the whole body).
	Data []byte
}

type fault struct {
	status     int
	retryAfter int
	apiError   string
}

// Server records Slack Web API calls.
type Server struct {
	// URL is the API base URL for slack.OptionAPIURL (ends with "/").
	URL   string
	token string
	srv   *httptest.Server

	mu      sync.Mutex
	calls   []Call
	uploads map[string]File
	faults  map[string][]fault
	seq     int
}

// New starts a server that accepts token and stops it when t ends.
func New(t testing.TB, token string) *Server {
	s := &Server{token: token, uploads: map[string]File{}, faults: map[string][]fault{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/api/"
	t.Cleanup(s.srv.Close)
	return s
}

// FailNext makes the next n calls of method answer HTTP status (429 with
// a Retry-After of retryAfter seconds, or a 5xx).
func (s *Server) FailNext(method string, n, status, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{status: status, retryAfter: retryAfter})
	}
}

// RefuseNext makes the next n calls of method answer 200 {"ok": false,
// "error": code}.
func (s *Server) RefuseNext(method string, n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults[method] = append(s.faults[method], fault{apiError: code})
	}
}

// Calls returns the recorded calls of method ("" for all), in order.
// Calls answered with a fault are recorded too, with Method prefixed "!".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Upload returns the bytes uploaded for a file ID.
func (s *Server) Upload(id string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads[id].Data
}

// Uploaded returns the file uploaded for a file ID.
func (s *Server) Uploaded(id string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.uploads[id]
	return f, ok
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/upload/"); ok {
		f, err := readUpload(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.uploads[id] = f
		s.mu.Unlock()
		_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(f.Data)))
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token && r.Form.Get("token") != s.token {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	s.mu.Lock()
	if fs := s.faults[method]; len(fs) > 0 {
		f := fs[0]
		s.faults[method] = fs[1:]
		s.calls = append(s.calls, Call{Method: "!" + method, Form: r.Form, UserAgent: r.UserAgent(), At: time.Now()})
		s.mu.Unlock()
		if f.apiError != "" {
			reply(w, map[string]any{"ok": false, "error": f.apiError})
			return
		}
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(f.retryAfter))
		}
		w.WriteHeader(f.status)
		return
	}
	s.seq++
	seq := s.seq
	ts := fmt.Sprintf("1700000000.%06d", seq)
	c := Call{Method: method, Form: r.Form, UserAgent: r.UserAgent(), At: time.Now()}
	if method == "chat.postMessage" {
		c.Posted = ts
	}
	s.calls = append(s.calls, c)
	s.mu.Unlock()

	switch method {
	case "chat.postMessage":
		reply(w, map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": ts})
	case "chat.update":
		reply(w, map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": r.Form.Get("ts"), "text": r.Form.Get("text")})
	case "files.getUploadURLExternal":
		id := fmt.Sprintf("F%06d", seq)
		reply(w, map[string]any{"ok": true, "file_id": id, "upload_url": s.srv.URL + "/upload/" + id})
	case "files.completeUploadExternal":
		var files []map[string]any
		_ = json.Unmarshal([]byte(r.Form.Get("files")), &files)
		reply(w, map[string]any{"ok": true, "files": files})
	case "auth.test":
		reply(w, map[string]any{"ok": true, "user_id": "UALERTPROF", "team": "test"})
	default:
		reply(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// maxUpload bounds what the server reads of one upload.
const maxUpload = 10 << 20

// readUpload reads an upload: the first file part of a multipart body,
// as slack-go sends it, or the whole body.
func readUpload(r *http.Request) (File, error) {
	body := io.LimitReader(r.Body, maxUpload)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		b, err := io.ReadAll(body)
		return File{Data: b}, err
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return File{}, fmt.Errorf("no file part: %w", err)
		}
		if p.FileName() == "" {
			continue
		}
		b, err := io.ReadAll(p)
		return File{Name: p.FileName(), Data: b}, err
	}
}
