package main

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// chartOwned are configuration keys the chart sets itself, so its values
// schema rightly refuses them under config.
var chartOwned = []string{"listen"}

// TestChartSchemaCoversConfig: every key of the configuration file can be
// set through the chart's config values (its schema refuses unknown keys),
// and the schema offers no key the receiver would refuse.
func TestChartSchemaCoversConfig(t *testing.T) {
	b, err := os.ReadFile("../../charts/alertprof/values.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]schemaNode `json:"properties"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	var inSchema, inConfig []string
	schema.Properties["config"].paths("", &inSchema)
	configPaths(reflect.TypeOf(Config{}), "", &inConfig)
	for _, p := range inConfig {
		if !slices.Contains(inSchema, p) && !slices.Contains(chartOwned, p) {
			t.Errorf("config key %s cannot be set through the chart: values.schema.json has no config.%s", p, p)
		}
	}
	for _, p := range inSchema {
		if !slices.Contains(inConfig, p) {
			t.Errorf("values.schema.json offers config.%s, which the receiver does not know", p)
		}
	}
}

type schemaNode struct {
	Type       any                   `json:"type"`
	Properties map[string]schemaNode `json:"properties"`
	Items      *schemaNode           `json:"items"`
}

// paths lists the leaves under n as dotted keys; an array of objects
// contributes its items' keys, a map (an object without properties) is a
// leaf.
func (n schemaNode) paths(prefix string, out *[]string) {
	switch {
	case len(n.Properties) > 0:
		for k, v := range n.Properties {
			v.paths(prefix+k+".", out)
		}
	case n.Items != nil && len(n.Items.Properties) > 0:
		n.Items.paths(prefix, out)
	default:
		*out = append(*out, strings.TrimSuffix(prefix, "."))
	}
}

// configPaths lists the YAML keys of t's leaves as dotted keys, as the
// strict decoder reads them (inline structs add their keys to the parent).
func configPaths(t reflect.Type, prefix string, out *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || (name == "" && opts != "inline") {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if opts == "inline" {
			configPaths(ft, prefix, out)
			continue
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeOf(time.Time{}) {
			configPaths(ft, prefix+name+".", out)
			continue
		}
		*out = append(*out, prefix+name)
	}
}
