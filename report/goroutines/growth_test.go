package goroutines

import (
	"fmt"
	"strings"
	"testing"
)

// dumpText writes a goroutine dump in the runtime's debug=2 format:
// n goroutines of each stack, numbered from first.
func dumpText(groups map[string]int) string {
	stacks := map[string]string{
		"leak":  "goroutine %d [chan send, 3 minutes]:\nmain.fetchWorker(0x1, 0xc000010000)\n\t/src/main.go:70 +0x2a\ncreated by main.fetchAll in goroutine 1\n\t/src/main.go:64 +0x45\n",
		"serve": "goroutine %d [IO wait]:\ninternal/poll.runtime_pollWait(0x7f, 0x72)\n\t/go/src/runtime/netpoll.go:351 +0x85\nmain.serve()\n\t/src/main.go:20 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:12 +0x25\n",
		"tick":  "goroutine %d [select]:\nmain.ticker()\n\t/src/main.go:30 +0x1d\ncreated by main.main in goroutine 1\n\t/src/main.go:13 +0x25\n",
	}
	var b strings.Builder
	id := 1
	for _, name := range []string{"leak", "serve", "tick"} {
		for range groups[name] {
			fmt.Fprintf(&b, stacks[name], id)
			b.WriteString("\n")
			id++
		}
	}
	return b.String()
}

func mustParse(t *testing.T, text string) *Dump {
	t.Helper()
	d, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCompare: the growth between two dumps, by group, growth first and
// shrinking and vanished groups last.
func TestCompare(t *testing.T) {
	base := mustParse(t, dumpText(map[string]int{"leak": 10, "serve": 4, "tick": 2}))
	cur := mustParse(t, dumpText(map[string]int{"leak": 510, "serve": 3}))
	gr := Compare(base, cur)
	if gr.Before != 16 || gr.After != 513 {
		t.Fatalf("totals %d → %d, want 16 → 513", gr.Before, gr.After)
	}
	var got []string
	for _, c := range gr.Changes {
		got = append(got, fmt.Sprintf("%s %d→%d %+d", c.Top, c.Before, c.Count, c.Delta))
	}
	want := []string{"main.fetchWorker 10→510 +500", "main.serve 4→3 -1", "main.ticker 2→0 -2"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("changes %q, want %q", got, want)
	}
	const headline = "goroutines grew +497 (16 → 513), +500 in [chan send] at main.fetchWorker, created by main.fetchAll"
	if h := gr.Headline(); h != headline {
		t.Errorf("headline %q, want %q", h, headline)
	}
	if h := Compare(cur, cur).Headline(); h != "goroutines unchanged (513)" {
		t.Errorf("same dump: headline %q", h)
	}
	if h := Compare(cur, base).Headline(); !strings.HasPrefix(h, "goroutines shrank -497 (513 → 16), -500 in [chan send] at main.fetchWorker") {
		t.Errorf("shrink: headline %q", h)
	}
	var b strings.Builder
	if err := WriteGrowth(&b, gr, 2); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"=> " + headline, "    +500      510  [chan send]", "… 1 more changed groups"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text lacks %q:\n%s", line, b.String())
		}
	}
}
