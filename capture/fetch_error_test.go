package capture

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFetchErrorMessage(t *testing.T) {
	inner := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	tests := []struct {
		name string
		err  *FetchError
		want string
	}{
		{name: "with cause", err: &FetchError{Profile: "heap", Reason: ReasonConnect, Detail: "cannot reach the target", Err: inner}, want: "heap: cannot reach the target: dial tcp 127.0.0.1:1: connect: connection refused"},
		{name: "without cause", err: &FetchError{Profile: "cpu", Reason: ReasonStatus, Detail: "the target answered HTTP 500"}, want: "cpu: the target answered HTTP 500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if tc.err.Err != nil && !errors.Is(tc.err, tc.err.Err) {
				t.Errorf("FetchError does not unwrap to its cause")
			}
			if tc.err.Err == nil && tc.err.Unwrap() != nil {
				t.Errorf("Unwrap() = %v, want nil", tc.err.Unwrap())
			}
		})
	}
}

func TestReasonsAreDistinctLabelValues(t *testing.T) {
	want := []string{ReasonTimeout, ReasonConnect, ReasonStatus, ReasonTooLarge, ReasonNotProfile, ReasonCanceled, ReasonTLS}
	seen := map[string]bool{}
	for _, r := range Reasons {
		if seen[r] {
			t.Errorf("reason %q listed twice", r)
		}
		seen[r] = true
		for _, c := range r {
			if !(c >= 'a' && c <= 'z' || c == '_') {
				t.Errorf("reason %q is not a lower_snake metric label value", r)
				break
			}
		}
	}
	for _, r := range want {
		if !seen[r] {
			t.Errorf("Reasons lacks %q", r)
		}
	}
	if len(Reasons) != len(want) {
		t.Errorf("Reasons = %q, want the %d reasons %q", Reasons, len(want), want)
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "whitespace only", in: " \n\t\r ", want: ""},
		{name: "newlines become spaces", in: "line one\nline two\r\n", want: "line one line two"},
		{name: "control bytes dropped", in: "a\x00b\x1b[31mc", want: "ab[31mc"},
		{name: "exactly 160 kept", in: strings.Repeat("x", 160), want: strings.Repeat("x", 160)},
		{name: "long cut with ellipsis", in: strings.Repeat("y", 500), want: strings.Repeat("y", 160) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := snippet([]byte(tc.in)); got != tc.want {
				t.Errorf("snippet(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestStatusDetailIsOneValidLine(t *testing.T) {
	for _, body := range []string{"", "plain", strings.Repeat("é", 200), "\xff\xfe binary \x00", "a\nb\"c"} {
		d := statusDetail(503, []byte(body))
		if !strings.HasPrefix(d, "the target answered HTTP 503") {
			t.Errorf("statusDetail(%q) = %q lacks the status", body, d)
		}
		if strings.ContainsAny(d, "\n\r") || !utf8.ValidString(d) {
			t.Errorf("statusDetail(%q) = %q is not one valid UTF-8 line", body, d)
		}
	}
}
