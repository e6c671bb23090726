package slack

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/internal/golden"
	"github.com/alertprof/alertprof/report/pprof"
)

// checkBlocks asserts Slack's limits and that every text is escaped.
func checkBlocks(t testing.TB, blocks []slackgo.Block) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, Slack takes %d", len(blocks), maxBlocks)
	}
	for _, text := range blockTexts(blocks) {
		if len(text) > maxTextLen {
			t.Errorf("text of %d bytes, Slack takes %d", len(text), maxTextLen)
		}
		if strings.ContainsAny(text, "<>") {
			t.Errorf("unescaped < or > in %q", text)
		}
	}
}

func blockTexts(blocks []slackgo.Block) []string {
	var out []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slackgo.SectionBlock:
			out = append(out, b.Text.Text)
		case *slackgo.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if tb, ok := e.(*slackgo.TextBlockObject); ok {
					out = append(out, tb.Text)
				}
			}
		}
	}
	return out
}

// testBlocks renders summaries and a goroutine dump as a reply does, with
// the headline of the first summary that has one, else the dump's.
func testBlocks(sums []pprof.Summary, g *goroutines.Dump, limit int) []slackgo.Block {
	a := analysis{sums: sums, dump: g}
	for _, s := range sums {
		if s.Headline != nil {
			a.headline = s.Headline.Text
			break
		}
	}
	if a.headline == "" && g != nil {
		a.headline = g.Headline()
	}
	blocks, _ := a.blocks(limit)
	return blocks
}

// readProfile parses a pprof profile file.
func readProfile(t testing.TB, file string) *profile.Profile {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := format.ParseProfile(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readDump parses a gzipped goroutine dump.
func readDump(t testing.TB, file string) *goroutines.Dump {
	t.Helper()
	g, err := goroutines.Parse(bytes.NewReader(gunzipFile(t, file)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func gunzipFile(t testing.TB, file string) []byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestBlocksGolden renders a pod's analysis (heap views, a diff, a
// goroutine dump) and compares the Block Kit JSON with a golden file.
func TestBlocksGolden(t *testing.T) {
	heap, err := pprof.Analyze(readProfile(t, filepath.Join("..", "testdata", "culprits", "reflect", "heap.pb.gz")), pprof.Options{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "testdata", "culprits", "cache")
	diff, err := pprof.Diff(readProfile(t, filepath.Join(dir, "heap.pb.gz")), readProfile(t, filepath.Join(dir, "heap2.pb.gz")), pprof.Options{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	g := readDump(t, filepath.Join("..", "testdata", "culprits", "leak", "goroutine.txt.gz"))
	blocks := testBlocks(append([]pprof.Summary{diff}, heap...), g, 0)
	checkBlocks(t, blocks)
	got, err := json.MarshalIndent(slackgo.Blocks{BlockSet: blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Compare(t, filepath.Join("testdata", "blocks_pod.golden.json"), append(got, '\n'))
}

// TestBlocksLimits renders far more than fits: 80 summaries with long,
// hostile function names. The result must stay within Slack's limits, say
// what was cut, and escape everything.
func TestBlocksLimits(t *testing.T) {
	evil := "<!channel> & <@U0BOSS> <https://evil.example|click>"
	rows := make([]pprof.Row, 200)
	for i := range rows {
		rows[i] = pprof.Row{Function: "main.f" + strings.Repeat("x", 40) + evil, Flat: int64(1000 - i), Cum: 1000}
	}
	sums := make([]pprof.Summary, 80)
	for i := range sums {
		sums[i] = pprof.Summary{Kind: "heap", SampleType: "inuse_space" + evil, Unit: "bytes", Total: 1 << 30, Rows: rows,
			Headline: &pprof.Headline{Text: "inuse heap " + evil}}
	}
	blocks := testBlocks(sums, nil, 0)
	checkBlocks(t, blocks)
	if len(blocks) != maxBlocks {
		t.Errorf("%d blocks, want the full %d", len(blocks), maxBlocks)
	}
	texts := blockTexts(blocks)
	if last := texts[len(texts)-1]; !strings.Contains(last, "32 more sections cut") {
		t.Errorf("last block does not say what was cut: %q", last)
	}
	if !strings.Contains(texts[1], "rows cut to fit Slack") {
		t.Errorf("long table not cut with a note: %q", texts[1][len(texts[1])-80:])
	}
	if !strings.Contains(texts[0], "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;") {
		t.Errorf("headline not escaped: %q", texts[0])
	}
	// The cuts are data too: what decides attaching the whole report.
	_, cut := analysis{headline: "h", sums: sums}.blocks(0)
	if len(cut.Sections) != 32 || cut.Sections[0] != "heap inuse_space"+evil || cut.Rows < 48*150 {
		t.Errorf("cut %d sections (first %q), %d rows; want 32 sections and most rows of 48 tables", len(cut.Sections), cut.Sections[0], cut.Rows)
	}
	if _, cut := (analysis{headline: "h", sums: sums[:1]}).blocks(0); !cut.any() || cut.Sections != nil {
		t.Errorf("one long table: cut %+v, want rows cut and no section", cut)
	}
}

func readFile(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
