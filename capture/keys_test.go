package capture

import (
	"io/fs"
	"strings"
	"testing"
	"time"
)

// artifactKeyCase is one key ArtifactKey must build.
type artifactKeyCase struct {
	name   string
	opened time.Time
	id     string
	target Target
	file   string
	want   string
}

// artifactKeyCases are TestArtifactKey's cases; export_test.go hands their
// keys to the test that stores each one.
func artifactKeyCases() []artifactKeyCase {
	plus5 := time.FixedZone("UTC+5", 5*3600)
	minus8 := time.FixedZone("UTC-8", -8*3600)
	return []artifactKeyCase{
		{
			name:   "static target",
			opened: time.Date(2024, 3, 7, 12, 0, 0, 0, time.UTC),
			id:     "20240307T120000Z-0badf00d",
			target: Target{Namespace: "static", Pod: "127.0.0.1-6060"},
			file:   "heap.pb.gz",
			want:   "incidents/2024/03/07/20240307T120000Z-0badf00d/static/127.0.0.1-6060/heap.pb.gz",
		},
		{
			name:   "date is taken in UTC, east of Greenwich",
			opened: time.Date(2024, 3, 1, 1, 30, 0, 0, plus5),
			id:     "i",
			target: Target{Namespace: "ns", Pod: "p"},
			file:   "f",
			want:   "incidents/2024/02/29/i/ns/p/f",
		},
		{
			name:   "date is taken in UTC, west of Greenwich",
			opened: time.Date(2023, 12, 31, 20, 0, 0, 0, minus8),
			id:     "i",
			target: Target{Namespace: "ns", Pod: "p"},
			file:   "f",
			want:   "incidents/2024/01/01/i/ns/p/f",
		},
		{
			name:   "hostile parts cannot add segments",
			opened: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			id:     "../../..",
			target: Target{Namespace: "a/b", Pod: ".."},
			file:   "../../etc/passwd",
			want:   "incidents/2024/01/02/_._.._../a_b/__/_._.._etc_passwd",
		},
		{
			name:   "empty parts become underscores",
			opened: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			want:   "incidents/2024/01/02/_/_/_/_",
		},
		{
			name:   "ipv6 pod name",
			opened: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			id:     "x",
			target: Target{Namespace: "static", Pod: staticPodName("[::1]:6060")},
			file:   "cpu.pb.gz",
			want:   "incidents/2024/01/02/x/static/__1-6060/cpu.pb.gz",
		},
		{
			name:   "hidden names are not hidden in the key",
			opened: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			id:     ".id",
			target: Target{Namespace: ".ns", Pod: ".pod"},
			file:   ".file",
			want:   "incidents/2024/01/02/_id/_ns/_pod/_file",
		},
	}
}

func TestArtifactKey(t *testing.T) {
	tests := artifactKeyCases()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ArtifactKey(tc.opened, tc.id, tc.target, tc.file)
			if got != tc.want {
				t.Errorf("ArtifactKey = %q, want %q", got, tc.want)
			}
			checkKeyLayout(t, got)
			if prefix := IncidentPrefix(tc.opened, tc.id); !strings.HasPrefix(got, prefix+"/") {
				t.Errorf("ArtifactKey %q does not start with IncidentPrefix %q", got, prefix)
			}
		})
	}
}

// checkKeyLayout checks incidents/yyyy/mm/dd/<id>/<ns>/<pod>/<file> with
// every segment safe.
func checkKeyLayout(t *testing.T, key string) {
	t.Helper()
	parts := strings.Split(key, "/")
	if len(parts) != 8 {
		t.Fatalf("key %q has %d segments, want 8", key, len(parts))
	}
	if parts[0] != "incidents" {
		t.Errorf("key %q does not start with incidents/", key)
	}
	if _, err := time.Parse("2006/01/02", strings.Join(parts[1:4], "/")); err != nil {
		t.Errorf("key %q: date segments: %v", key, err)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			t.Errorf("key %q has unsafe segment %q", key, p)
		}
	}
	if !fs.ValidPath(key) {
		t.Errorf("key %q is not a valid slash path", key)
	}
}

func TestIncidentPrefix(t *testing.T) {
	got := IncidentPrefix(time.Date(2025, 11, 9, 23, 59, 59, 0, time.FixedZone("x", -3600)), "inc/1")
	if want := "incidents/2025/11/10/inc_1"; got != want {
		t.Errorf("IncidentPrefix = %q, want %q", got, want)
	}
}

func TestSanitizeKeyPart(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: "_"},
		{name: "dot", in: ".", want: "_"},
		{name: "dot dot", in: "..", want: "__"},
		{name: "three dots", in: "...", want: "___"},
		{name: "safe alphabet kept", in: "aZ09-_.x", want: "aZ09-_.x"},
		{name: "inner dots kept", in: "heap.pb.gz", want: "heap.pb.gz"},
		{name: "trailing dot kept", in: "a.", want: "a."},
		{name: "leading dot replaced", in: ".hidden", want: "_hidden"},
		{name: "slash", in: "a/b", want: "a_b"},
		{name: "backslash", in: `a\b`, want: "a_b"},
		{name: "traversal", in: "../x", want: "_._x"},
		{name: "spaces and colons", in: "host name:80", want: "host_name_80"},
		{name: "nul byte", in: "a\x00b", want: "a_b"},
		{name: "multi-byte rune is one underscore per byte", in: "é", want: "__"},
		{name: "percent escapes are not decoded", in: "%2e%2e%2f", want: "_2e_2e_2f"},
		{name: "long input capped", in: strings.Repeat("x", 300), want: strings.Repeat("x", 200)},
		{name: "exactly 200 kept", in: strings.Repeat("y", 200), want: strings.Repeat("y", 200)},
		{name: "long dots then letter", in: strings.Repeat(".", 250) + "a", want: "_" + strings.Repeat(".", 199)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sanitizeKeyPart(tc.in)
			if got != tc.want {
				t.Errorf("sanitizeKeyPart(%q) = %q, want %q", tc.in, got, tc.want)
			}
			checkSafeKeyPart(t, tc.in, got)
		})
	}
}

func checkSafeKeyPart(t *testing.T, in, out string) {
	t.Helper()
	if out == "" || out == "." || out == ".." {
		t.Fatalf("sanitizeKeyPart(%q) = %q, an unsafe segment", in, out)
	}
	if strings.ContainsAny(out, `/\`) {
		t.Fatalf("sanitizeKeyPart(%q) = %q contains a path separator", in, out)
	}
	if out[0] == '.' {
		t.Fatalf("sanitizeKeyPart(%q) = %q starts with a dot; the store refuses it", in, out)
	}
	if len(out) > 200 {
		t.Fatalf("sanitizeKeyPart(%q) is %d bytes, want at most 200", in, len(out))
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			t.Fatalf("sanitizeKeyPart(%q) = %q has byte %q outside the safe alphabet", in, out, c)
		}
	}
	if again := sanitizeKeyPart(out); again != out {
		t.Fatalf("sanitizeKeyPart is not idempotent: %q -> %q -> %q", in, out, again)
	}
}

func FuzzSanitizeKeyPart(f *testing.F) {
	for _, s := range []string{
		"", ".", "..", "...", "/", "//", "a/b", "../../etc/passwd", `..\..\x`, ".hidden",
		"heap.pb.gz", "127.0.0.1-6060", "::1", "é", "\x00", "\xff\xfe", " ", "%2e%2e",
		strings.Repeat(".", 201) + "a", strings.Repeat("x", 300), strings.Repeat("é", 150),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := sanitizeKeyPart(s)
		checkSafeKeyPart(t, s, out)
		// A whole key built from fuzzed parts keeps its shape.
		key := ArtifactKey(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), s, Target{Namespace: s, Pod: s}, s)
		checkKeyLayout(t, key)
		// That the local store accepts such keys is store's FuzzLocalArtifactKey.
	})
}
