package goroutines

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/alertprof/alertprof/report/internal/funcname"
)

// Limits that keep Parse bounded whatever it reads.
const (
	// maxGroups is the number of distinct (state, stack) groups
	// kept; goroutines of further groups are counted in Dump.Other.
	maxGroups = 10_000
	// maxStackFrames is the number of frames kept per stack; the runtime
	// prints at most 100 anyway.
	maxStackFrames = 128
	// maxLine is the longest line read whole; longer lines are cut.
	maxLine = 64 << 10
)

// Group is a set of goroutines with the same state and the same
// stack.
type Group struct {
	Count int `json:"count"`
	// State is the wait reason or status without the wait time, e.g.
	// "chan receive", "IO wait", "select", "semacquire", "running".
	State string `json:"state"`
	// MaxWait is the longest time any goroutine of the group has been
	// waiting; the runtime reports it in whole minutes, from one minute.
	MaxWait time.Duration `json:"max_wait_ns"`
	// Top is the innermost user function of the stack (see Headline), or
	// the innermost function when the stack has no user code.
	Top string `json:"top"`
	// Stack lists the functions, innermost first, without file paths.
	Stack []string `json:"stack"`
	// CreatedBy is the function that started the goroutines, if printed.
	CreatedBy string `json:"created_by,omitempty"`
}

// Wait formats the state and longest wait as the runtime prints them:
// "chan receive, 17 minutes".
func (g Group) Wait() string {
	if m := int64(g.MaxWait / time.Minute); m > 0 {
		return fmt.Sprintf("%s, %d minutes", g.State, m)
	}
	return g.State
}

// Dump is a goroutine dump (goroutine?debug=2) grouped by state and
// stack.
type Dump struct {
	// Total is the number of goroutines in the dump.
	Total int `json:"total"`
	// Groups are the groups, largest first (then longest wait).
	Groups []Group `json:"groups"`
	// Other counts goroutines that fell outside the groups kept, because
	// the dump had more than 10,000 distinct stacks.
	Other int `json:"other,omitempty"`
}

// errNotDump is returned for input that holds no goroutine.
var errNotDump = errors.New("not a goroutine dump: no \"goroutine N [state]:\" header")

// Parse reads a goroutine dump in the text format of
// /debug/pprof/goroutine?debug=2 (runtime.Stack with all=true) and groups
// its goroutines. It streams: memory grows with the number of distinct
// stacks (at most 10,000), not with the number of goroutines.
func Parse(r io.Reader) (*Dump, error) {
	p := goroutineParser{
		groups: make(map[uint64]*Group),
		seed:   maphash.MakeSeed(),
	}
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			p.line(line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read goroutine dump: %w", err)
		}
	}
	p.flush()
	if p.out.Total == 0 {
		return nil, errNotDump
	}
	p.out.Groups = make([]Group, 0, len(p.groups))
	for _, g := range p.groups {
		p.out.Groups = append(p.out.Groups, *g)
	}
	slices.SortFunc(p.out.Groups, func(a, b Group) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		// Of equal groups, those running user code come first.
		if c := cmp.Compare(b2i(funcname.IsUser(b.Top)), b2i(funcname.IsUser(a.Top))); c != 0 {
			return c
		}
		if c := cmp.Compare(b.MaxWait, a.MaxWait); c != 0 {
			return c
		}
		if c := cmp.Compare(a.State, b.State); c != 0 {
			return c
		}
		return slices.Compare(a.Stack, b.Stack)
	})
	return &p.out, nil
}

// readLine returns the next line without its newline, cutting lines longer
// than the reader's buffer (the rest is discarded).
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		cut := line
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n')
		}
		return cut, err
	}
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")), err
}

// goroutineParser holds the goroutine being read; frames are hashed as
// they arrive and only copied when they start a new group.
type goroutineParser struct {
	out    Dump
	groups map[uint64]*Group
	seed   maphash.Seed

	in        bool // inside a goroutine
	state     []byte
	wait      time.Duration
	hash      maphash.Hash
	frames    [][]byte // function names of the current stack (reused)
	nframes   int
	createdBy []byte
}

func (p *goroutineParser) line(line []byte) {
	if bytes.HasPrefix(line, []byte("goroutine ")) {
		if state, wait, ok := parseHeader(line); ok {
			p.flush()
			p.in = true
			p.state = append(p.state[:0], state...)
			p.wait = wait
			p.hash.SetSeed(p.seed)
			p.hash.Write(p.state)
			p.hash.WriteByte(0)
			p.nframes = 0
			p.createdBy = p.createdBy[:0]
			return
		}
	}
	if !p.in {
		return
	}
	if len(line) == 0 {
		p.flush()
		return
	}
	if line[0] == '\t' {
		// file:line +0xoff of the previous function; the offset differs
		// between goroutines at the same line only by the call site.
		loc := bytes.TrimSpace(line)
		if i := bytes.LastIndex(loc, []byte(" +0x")); i >= 0 {
			loc = loc[:i]
		}
		p.hash.Write(loc)
		p.hash.WriteByte(0)
		return
	}
	fn := line
	if rest, ok := bytes.CutPrefix(line, []byte("created by ")); ok {
		if i := bytes.Index(rest, []byte(" in goroutine ")); i >= 0 {
			rest = rest[:i]
		}
		p.createdBy = append(p.createdBy[:0], rest...)
		p.hash.WriteString("created by ")
		p.hash.Write(rest)
		p.hash.WriteByte(0)
		return
	}
	if bytes.HasPrefix(line, []byte("...")) {
		p.hash.Write(line)
		p.hash.WriteByte(0)
		return
	}
	fn = funcOfFrame(fn)
	p.hash.Write(fn)
	p.hash.WriteByte(0)
	if p.nframes < maxStackFrames {
		if p.nframes < len(p.frames) {
			p.frames[p.nframes] = append(p.frames[p.nframes][:0], fn...)
		} else {
			p.frames = append(p.frames, append([]byte(nil), fn...))
		}
		p.nframes++
	}
}

// flush adds the goroutine read so far to its group.
func (p *goroutineParser) flush() {
	if !p.in {
		return
	}
	p.in = false
	p.out.Total++
	key := p.hash.Sum64()
	g := p.groups[key]
	if g == nil {
		if len(p.groups) >= maxGroups {
			p.out.Other++
			return
		}
		g = &Group{State: string(p.state), Stack: make([]string, p.nframes)}
		for i := range p.nframes {
			g.Stack[i] = string(p.frames[i])
		}
		g.CreatedBy = string(p.createdBy)
		g.Top = topUserFrame(g.Stack, g.CreatedBy)
		p.groups[key] = g
	}
	g.Count++
	g.MaxWait = max(g.MaxWait, p.wait)
}

// topUserFrame is the innermost user function of stack, else the creator
// if it is user code, else the outermost frame: the function the goroutine
// was started with, which says more than the runtime's innermost frames.
func topUserFrame(stack []string, createdBy string) string {
	for _, f := range stack {
		if funcname.IsUser(f) {
			return f
		}
	}
	if funcname.IsUser(createdBy) {
		return createdBy
	}
	if len(stack) > 0 {
		return stack[len(stack)-1]
	}
	return createdBy
}

// parseHeader parses "goroutine 7 [chan receive, 17 minutes, locked to
// thread]:" into its state and wait.
func parseHeader(line []byte) (state []byte, wait time.Duration, ok bool) {
	open := bytes.IndexByte(line, '[')
	if open < 0 || !bytes.HasSuffix(line, []byte("]:")) {
		return nil, 0, false
	}
	inner := line[open+1 : len(line)-2]
	if i := bytes.Index(inner, []byte(" labels:{")); i >= 0 {
		inner = inner[:i]
	}
	state, rest, _ := bytes.Cut(inner, []byte(", "))
	for len(rest) > 0 {
		var part []byte
		part, rest, _ = bytes.Cut(rest, []byte(", "))
		if n, ok := bytes.CutSuffix(part, []byte(" minutes")); ok {
			if m, err := strconv.Atoi(string(n)); err == nil && m >= 0 && m < 1<<30 {
				wait = time.Duration(m) * time.Minute
			}
		}
	}
	return state, wait, true
}

// funcOfFrame strips the argument list from a frame line:
// "main.(*T).run(0xc000012345, ...)" becomes "main.(*T).run".
func funcOfFrame(line []byte) []byte {
	if !bytes.HasSuffix(line, []byte(")")) {
		return line
	}
	depth := 0
	for i := len(line) - 1; i >= 0; i-- {
		switch line[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return line[:i]
			}
		}
	}
	return line
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
