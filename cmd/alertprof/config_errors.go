package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// keyError is a validation error about one configuration key, named by
// its dotted YAML path ("capture.cooldown", "slack.routes[1]"), so that
// the error can point at the key's line in the file.
type keyError struct {
	key string
	msg string // names the key itself, as people read it
}

func (e *keyError) Error() string { return "config: " + e.msg }

// keyErrorf is a keyError about key.
func keyErrorf(key, format string, args ...any) error {
	return &keyError{key: key, msg: fmt.Sprintf(format, args...)}
}

// configProblem is one thing wrong with a configuration and the line of
// the key it concerns in the file (0 when no line can be named: a default
// or an environment variable is at fault).
type configProblem struct {
	line int
	msg  string
}

// configErrors is every problem of one configuration: the file's unknown
// keys and values of the wrong type, then every check of Validate that
// fails. Error prints one line per problem, "FILE:LINE: what is wrong".
type configErrors struct {
	file     string
	problems []configProblem
	errs     []error // the errors the problems came from, for errors.Is/As
}

func (e *configErrors) Error() string {
	lines := make([]string, len(e.problems))
	for i, p := range e.problems {
		lines[i] = e.line(p)
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the underlying errors.
func (e *configErrors) Unwrap() []error { return e.errs }

// Lines are the problems as printed, one per entry.
func (e *configErrors) Lines() []string { return strings.Split(e.Error(), "\n") }

func (e *configErrors) line(p configProblem) string {
	switch {
	case e.file != "" && p.line > 0:
		return fmt.Sprintf("%s:%d: %s", e.file, p.line, p.msg)
	case e.file != "":
		return e.file + ": " + p.msg
	default:
		return "config: " + p.msg
	}
}

// add records err, and each error it joins, as problems located with idx.
func (e *configErrors) add(err error, idx keyIndex) {
	if err == nil {
		return
	}
	if parts := joined(err); parts != nil {
		for _, err := range parts {
			e.add(err, idx)
		}
		return
	}
	p := configProblem{msg: strings.TrimPrefix(err.Error(), "config: ")}
	var ke *keyError
	if errors.As(err, &ke) {
		p = configProblem{line: idx.line(ke.key), msg: ke.msg}
	} else {
		p.line = idx.line(guessKey(p.msg, idx))
	}
	for _, q := range e.problems {
		if q.msg == p.msg {
			return // two checks that see the same fault
		}
	}
	e.errs = append(e.errs, err)
	e.problems = append(e.problems, p)
}

// joined returns the errors err joins when it is an errors.Join (its
// message is theirs, one per line), else nil. An error that wraps several
// with words of its own stays one problem.
func joined(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	parts := j.Unwrap()
	msgs := make([]string, len(parts))
	for i, p := range parts {
		msgs[i] = p.Error()
	}
	if strings.Join(msgs, "\n") != err.Error() {
		return nil
	}
	return parts
}

// orNil is e with its problems in the order of the file's lines (those
// with no line last), or nil when it holds no problem.
func (e *configErrors) orNil() error {
	if len(e.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(e.problems, func(a, b configProblem) int {
		if (a.line == 0) != (b.line == 0) {
			return b.line - a.line // a line before none
		}
		return a.line - b.line
	})
	return e
}

// keyIndex maps the dotted path of every key in a configuration file to
// its line ("capture.access[0].cidrs" → 12). Its zero value knows no key.
type keyIndex map[string]int

// line is the line of key, or of its nearest ancestor in the file, or 0.
func (idx keyIndex) line(key string) int {
	for key != "" {
		if l, ok := idx[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// guessKey finds the key a plain validation error is about. Checks in
// the per-section files return errors worded "config: KEY ...", so the
// first word, or the first dotted word, that names a key of the file is
// taken. It only places the error on a line; nothing is decided by it.
func guessKey(msg string, idx keyIndex) string {
	for i, w := range strings.Fields(msg) {
		w = strings.Trim(w, `:,;()"'`)
		if (i == 0 || strings.Contains(w, ".")) && idx.line(w) > 0 {
			return w
		}
	}
	return ""
}

// parseLinePrefix splits yaml.v3's "line 12: what" into 12 and "what".
func parseLinePrefix(s string) (int, string) {
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s
	}
	num, msg, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, s
	}
	return n, msg
}

// suggest is the candidate closest to word when it is close enough to be
// a typo of it, else "".
func suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := editDistance(word, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(1, len(word)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
