package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs `alertprof demo` as a user would and checks what it
// promises: it exits 0, the leaking function is among the top three heap
// rows, and every artifact it lists exists and opens with go tool pprof.
func TestDemo(t *testing.T) {
	cmd := exec.Command(binary, "demo", "--cpu-seconds", "2", "--warmup", "2s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()

	heapRows := tableRows(out, "heap inuse_space: total")
	if len(heapRows) < 3 {
		t.Fatalf("heap table has %d rows:\n%s", len(heapRows), out)
	}
	found := false
	for _, row := range heapRows[:3] {
		found = found || strings.Contains(row, "(*sessionCache).remember")
	}
	if !found {
		t.Fatalf("the leaking function is not in the top 3 heap rows:\n%s", strings.Join(heapRows[:3], "\n"))
	}

	artifacts := regexp.MustCompile(`(?m)^\s+\d+\s+(/\S+)$`).FindAllStringSubmatch(out, -1)
	if len(artifacts) < 8 {
		t.Fatalf("want six profiles (memstats.txt among them), the summary and the incident record listed, got %d:\n%s", len(artifacts), out)
	}
	var profiles int
	for _, m := range artifacts {
		path := m[1]
		if _, err := os.Stat(path); err != nil {
			t.Errorf("listed artifact %s: %v", path, err)
			continue
		}
		if strings.HasSuffix(path, ".pb.gz") {
			profiles++
			if pout, err := exec.Command("go", "tool", "pprof", "-top", "-symbolize=none", path).CombinedOutput(); err != nil {
				t.Errorf("go tool pprof %s: %v\n%s", path, err, pout)
			}
		}
	}
	if profiles != 4 {
		t.Fatalf("%d profiles listed, want heap, heap-2, allocs and cpu", profiles)
	}
	// The demo's receiver stops before it exits and has no public URL:
	// no flame-graph link would work, so none is printed.
	if strings.Contains(out, "open flame graph") {
		t.Fatalf("the demo printed a flame-graph link that dies with it:\n%s", out)
	}
	if !strings.Contains(out, "=> inuse heap grew") || !strings.Contains(out, "(*sessionCache).remember") {
		t.Fatalf("no growth headline naming the leak:\n%s", out)
	}
	// The demo target has no container limit: the memory reconciliation
	// still shows what the runtime holds, and says the limit is unknown.
	// Its lead is what the runtime holds, or, when the target's peak RSS
	// is far over it (a race-detector build's shadow memory, the binary's
	// own pages), the memory outside the Go heap.
	if !regexp.MustCompile(`(?m)^\[memory\] (the Go runtime holds \S+|peak RSS \S+ exceeds all memory the Go runtime has mapped)`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  runtime holds +\S+ +Sys-HeapReleased`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^  container limit +unknown +no pod spec to read it from$`).MatchString(out) || strings.Contains(out, "OOMKilled") {
		t.Fatalf("no memory reconciliation without a limit:\n%s", out)
	}
	if !strings.Contains(out, "demotarget.waitForUpdate") {
		t.Fatalf("the goroutine groups do not name the leaking goroutines:\n%s", out)
	}
	checkAnalyzeAgrees(t, artifacts)
	if os.Getenv("ALERTPROF_KEEP_DEMO") == "" {
		dir := regexp.MustCompile(`Artifacts in (\S+):`).FindStringSubmatch(out)
		if dir != nil && strings.Contains(dir[1], "alertprof-demo-") {
			os.RemoveAll(dir[1])
		}
	}
}

// tableRows returns the rows of the "top by flat" table of the summary
// whose title contains header.
func tableRows(out, header string) []string {
	var rows []string
	sc := bufio.NewScanner(strings.NewReader(out))
	inSummary, inTable := false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, header):
			inSummary = true
		case inSummary && strings.Contains(line, "top by flat"):
			inTable = true
		case inTable && (strings.Contains(line, "flat%") || strings.TrimSpace(line) == ""):
			return rows
		case inTable:
			rows = append(rows, line)
		}
	}
	return rows
}

// checkAnalyzeAgrees runs `alertprof analyze` on the files of the demo's
// capture, in the order summary.txt lists them, and wants the report the
// job wrote to summary.txt, but for the title line.
func checkAnalyzeAgrees(t *testing.T, artifacts [][]string) {
	t.Helper()
	var summary string
	for _, m := range artifacts {
		if strings.HasSuffix(m[1], "/summary.txt") {
			summary = m[1]
		}
	}
	want, err := os.ReadFile(summary)
	if err != nil {
		t.Fatalf("summary.txt: %v", err)
	}
	var files []string
	for _, m := range regexp.MustCompile(`(?m)^  \S+ +(/\S+)$`).FindAllStringSubmatch(string(want), -1) {
		files = append(files, m[1])
	}
	if len(files) < 6 {
		t.Fatalf("summary.txt lists %d files:\n%s", len(files), want)
	}
	checkAnalyzeMatchesSummary(t, string(want), files, false)
	checkAnalyzeDirMatchesSummary(t, summary)
}

// checkAnalyzeMatchesSummary runs `alertprof analyze` on files and wants
// the text of summary but for the title line, and for the artifact links
// when maskLinks is set (a server's links are URLs, analyze names files):
// the capture's analysis and the command line's are one.
func checkAnalyzeMatchesSummary(t *testing.T, summary string, files []string, maskLinks bool) {
	t.Helper()
	got, err := exec.Command(binary, append([]string{"analyze"}, files...)...).Output()
	if err != nil {
		t.Fatalf("analyze: %v", err)
	}
	// The flame graph's PNG is the capture's own artifact: analyze stores
	// nothing, so it draws none.
	masks := []*regexp.Regexp{regexp.MustCompile(`(?m)^--- .* ---$`), regexp.MustCompile(`(?m)^ +flame graph of \S+ \(PNG\): \S+\n`)}
	if maskLinks {
		masks = append(masks, regexp.MustCompile(`(?m)^  (\S+) +\S+$`), regexp.MustCompile(`(?m)^ +open flame graph: \S+\n`))
	}
	g, w := string(got), summary
	for _, m := range masks {
		g, w = m.ReplaceAllString(g, "$1"), m.ReplaceAllString(w, "$1")
	}
	if g != w {
		t.Errorf("alertprof analyze differs from the capture's summary.txt\nanalyze:\n%s\nsummary.txt:\n%s", g, w)
	}
}
