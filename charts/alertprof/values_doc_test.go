// Package chart_test tests the Helm chart in this directory: the values
// table of its README against values.yaml (here, plain `go test`), and,
// with the integration tag, the chart itself with the real helm binary
// (ALERTPROF_HELM, built by .ci/tools.d/helm.sh): lint, the schema, the
// rendered objects, a real API server (cluster_test.go) and the release
// (release_test.go).
package chart_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the values table in README.md from values.yaml")

const (
	tableStart = "<!-- values-table:start (generated from values.yaml by `go test ./charts/alertprof -run TestValuesTable -update`) -->"
	tableEnd   = "<!-- values-table:end -->"
)

// TestValuesTable: README.md's values table is exactly what values.yaml's
// "# --" comments say, and every value is documented. Run with -update
// after editing values.yaml.
func TestValuesTable(t *testing.T) {
	src, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	table, undocumented, err := valuesTable(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(undocumented) > 0 {
		t.Errorf("values without a \"# --\" comment (on them or a parent): %q", undocumented)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(readme), tableStart)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md lacks the markers %q and %q", tableStart, tableEnd)
	}
	want := before + tableStart + "\n" + table + tableEnd + after
	if want == string(readme) {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("README.md values table updated")
		return
	}
	t.Errorf("README.md's values table differs from values.yaml; run: go test ./charts/alertprof -run TestValuesTable -update")
}

// TestValuesTableCatchesDrift: the generator notices an undocumented key
// and a changed default.
func TestValuesTableCatchesDrift(t *testing.T) {
	a, undoc, err := valuesTable([]byte("# -- The port.\nport: 1\nsection:\n  # -- A flag.\n  on: true\n  bare: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(undoc) != 1 || undoc[0] != "section.bare" {
		t.Errorf("undocumented %q, want [section.bare]", undoc)
	}
	b, _, _ := valuesTable([]byte("# -- The port.\nport: 2\nsection:\n  # -- A flag.\n  on: true\n  bare: x\n"))
	if a == b || !strings.Contains(a, "| `port` | int | `1` | The port. |") || !strings.Contains(a, "| `section.on` | bool | `true` | A flag. |") {
		t.Errorf("tables:\n%s\n%s", a, b)
	}
}

// valuesTable renders the Markdown table of values.yaml: one row per key
// with a "# --" comment (key, type, default, description), in file order.
// It also returns keys that no such comment covers.
func valuesTable(src []byte) (string, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return "", nil, fmt.Errorf("values.yaml: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return "", nil, fmt.Errorf("values.yaml is not a mapping")
	}
	var b strings.Builder
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	var undocumented []string
	var walk func(prefix string, m *yaml.Node, covered bool) error
	walk = func(prefix string, m *yaml.Node, covered bool) error {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			key := prefix + k.Value
			desc := description(k.HeadComment)
			if desc != "" {
				def := "see below"
				if v.Kind != yaml.MappingNode || !hasDescriptions(v) {
					d, err := compact(v)
					if err != nil {
						return fmt.Errorf("%s: %w", key, err)
					}
					def = "`" + d + "`"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", key, typeOf(v), cell(def), cell(desc))
			}
			switch {
			case v.Kind == yaml.MappingNode && len(v.Content) > 0:
				if err := walk(key+".", v, covered || desc != ""); err != nil {
					return err
				}
			case desc == "" && !covered:
				undocumented = append(undocumented, key)
			}
		}
		return nil
	}
	if err := walk("", doc.Content[0], false); err != nil {
		return "", nil, err
	}
	return b.String(), undocumented, nil
}

// description returns the "# --" comment of a key and the comment lines
// after it, joined; "" when there is none.
func description(comment string) string {
	lines := strings.Split(comment, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "# --") {
			start = i
		}
	}
	if start < 0 {
		return ""
	}
	var words []string
	for i, l := range lines[start:] {
		l = strings.TrimPrefix(strings.TrimSpace(l), "#")
		if i == 0 {
			l = strings.TrimPrefix(strings.TrimSpace(l), "--")
		}
		if l = strings.TrimSpace(l); l != "" {
			words = append(words, l)
		}
	}
	return strings.Join(words, " ")
}

func hasDescriptions(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if description(m.Content[i].HeadComment) != "" || (m.Content[i+1].Kind == yaml.MappingNode && hasDescriptions(m.Content[i+1])) {
			return true
		}
	}
	return false
}

func typeOf(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "list"
	}
	switch v.Tag {
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!bool":
		return "bool"
	case "!!null":
		return "null"
	}
	return "string"
}

// compact renders a value as one line of JSON.
func compact(v *yaml.Node) (string, error) {
	var x any
	if err := v.Decode(&x); err != nil {
		return "", err
	}
	j, err := json.Marshal(x)
	if err != nil {
		return "", err
	}
	return string(j), nil
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
