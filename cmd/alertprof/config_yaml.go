package main

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// decodeConfigDoc decodes a configuration file over cfg and returns the
// line of each of its keys with every problem of the file itself: a
// syntax error (then nothing is decoded), or each unknown key and each
// value of the wrong type, all of them, each at its line.
func decodeConfigDoc(b []byte, cfg *Config) (keyIndex, []configProblem) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := parseLinePrefix(strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, []configProblem{{line: line, msg: msg}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return keyIndex{}, nil // empty: defaults
	}
	w := yamlWalker{idx: keyIndex{}}
	w.walk(doc.Content[0], reflect.TypeOf(cfg).Elem(), "")
	if err := doc.Decode(cfg); err != nil {
		te, ok := err.(*yaml.TypeError)
		if !ok {
			return w.idx, append(w.problems, configProblem{msg: err.Error()})
		}
		for _, s := range te.Errors {
			line, msg := parseLinePrefix(s)
			if key := w.valueAt[line]; key != "" {
				msg = key + ": " + msg
			}
			w.problems = append(w.problems, configProblem{line: line, msg: msg})
		}
	}
	slices.SortStableFunc(w.problems, func(a, b configProblem) int { return a.line - b.line })
	return w.idx, w.problems
}

// yamlWalker walks a YAML document beside the Go type it decodes into,
// as yaml.v3 does with KnownFields, but it records every key's line and
// reports every unknown key rather than stopping.
type yamlWalker struct {
	idx      keyIndex
	valueAt  map[int]string // line → the key whose scalar value starts there
	problems []configProblem
}

var yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

func (w *yamlWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(yamlUnmarshaler) {
		return // its own decoder decides what it takes
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		w.walkStruct(n, t, path)
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			w.record(join(path, k.Value), k, v)
			w.walk(v, t.Elem(), join(path, k.Value))
		}
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.idx[p] = c.Line
			w.walk(c, t.Elem(), p)
		}
	}
}

func (w *yamlWalker) walkStruct(n *yaml.Node, t reflect.Type, path string) {
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" { // a merge: its keys are this mapping's
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				w.walk(m, t, path)
			}
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			w.problems = append(w.problems, configProblem{line: k.Line, msg: unknownKey(k.Value, path, fields)})
			continue
		}
		w.record(join(path, k.Value), k, v)
		w.walk(v, ft, join(path, k.Value))
	}
}

func (w *yamlWalker) record(path string, k, v *yaml.Node) {
	if _, seen := w.idx[path]; !seen {
		w.idx[path] = k.Line
	}
	if v.Kind == yaml.ScalarNode {
		if w.valueAt == nil {
			w.valueAt = make(map[int]string)
		}
		if _, seen := w.valueAt[v.Line]; !seen {
			w.valueAt[v.Line] = path
		}
	}
}

// unknownKey words an unknown key, with the known key it is likely a
// typo of: "unknown key captur (did you mean capture?)".
func unknownKey(key, path string, fields map[string]reflect.Type) string {
	msg := "unknown key " + key
	if path != "" {
		msg += " in " + path
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	if s := suggest(key, names); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return msg
}

// yamlFields maps the YAML keys of struct t to their types, with the
// keys of inline structs, as yaml.v3 names them.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range yamlFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
