package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// checkBlocks asserts Slack's limits and that every text is escaped.
func checkBlocks(t testing.TB, blocks []slack.Block) {
	t.Helper()
	if len(blocks) > MaxBlocks {
		t.Errorf("%d blocks, Slack takes %d", len(blocks), MaxBlocks)
	}
	for _, text := range blockTexts(blocks) {
		if len(text) > MaxTextLen {
			t.Errorf("text of %d bytes, Slack takes %d", len(text), MaxTextLen)
		}
		if strings.ContainsAny(text, "<>") {
			t.Errorf("unescaped < or > in %q", text)
		}
	}
}

func blockTexts(blocks []slack.Block) []string {
	var out []string
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			out = append(out, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if tb, ok := e.(*slack.TextBlockObject); ok {
					out = append(out, tb.Text)
				}
			}
		}
	}
	return out
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
	heap, err := Analyze(readProfile(t, filepath.Join("testdata", "culprits", "reflect", "heap.pb.gz")), Options{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "culprits", "cache")
	diff, err := Diff(readProfile(t, filepath.Join(dir, "heap.pb.gz")), readProfile(t, filepath.Join(dir, "heap2.pb.gz")), Options{Top: 5})
	if err != nil {
		t.Fatal(err)
	}
	g := readDump(t, filepath.Join("testdata", "culprits", "leak", "goroutine.txt.gz"))
	blocks := Blocks(append([]Summary{diff}, heap...), g, 0)
	checkBlocks(t, blocks)
	got, err := json.MarshalIndent(slack.Blocks{BlockSet: blocks}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, filepath.Join("testdata", "blocks_pod.golden.json"), append(got, '\n'))
}

// TestBlocksLimits renders far more than fits: 80 summaries with long,
// hostile function names. The result must stay within Slack's limits, say
// what was cut, and escape everything.
func TestBlocksLimits(t *testing.T) {
	evil := "<!channel> & <@U0BOSS> <https://evil.example|click>"
	rows := make([]Row, 200)
	for i := range rows {
		rows[i] = Row{Function: "main.f" + strings.Repeat("x", 40) + evil, Flat: int64(1000 - i), Cum: 1000}
	}
	sums := make([]Summary, 80)
	for i := range sums {
		sums[i] = Summary{Kind: "heap", SampleType: "inuse_space" + evil, Unit: "bytes", Total: 1 << 30, Rows: rows,
			Headline: &Headline{Text: "inuse heap " + evil}}
	}
	blocks := Blocks(sums, nil, 0)
	checkBlocks(t, blocks)
	if len(blocks) != MaxBlocks {
		t.Errorf("%d blocks, want the full %d", len(blocks), MaxBlocks)
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
}

// compareGolden compares got with the file, rewriting it under -update.
func compareGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}
