// Package units formats profile values, percentages and counts the way
// pprof prints them, for every report renderer.
package units

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The formatting below mirrors pprof's internal/measurement package, which
// cannot be imported. Keep it in step with ScaledLabel and Percentage there.

// unitAlias is one unit of a unitFamily: its printed name, the lower-case
// names it is known by in profiles, and its size in the family's base unit.
type unitAlias struct {
	name    string
	aliases []string
	factor  float64
}

// unitFamily is a set of units of one dimension, such as memory or time.
type unitFamily struct {
	units []unitAlias
	def   unitAlias // used when no unit of the family fits the value
}

var unitFamilies = []unitFamily{{
	units: []unitAlias{
		{"B", []string{"b", "byte"}, 1},
		{"kB", []string{"kb", "kbyte", "kilobyte"}, 1 << 10},
		{"MB", []string{"mb", "mbyte", "megabyte"}, 1 << 20},
		{"GB", []string{"gb", "gbyte", "gigabyte"}, 1 << 30},
		{"TB", []string{"tb", "tbyte", "terabyte"}, 1 << 40},
		{"PB", []string{"pb", "pbyte", "petabyte"}, 1 << 50},
	},
	def: unitAlias{"B", nil, 1},
}, {
	units: []unitAlias{
		{"ns", []string{"ns", "nanosecond"}, 1},
		{"us", []string{"μs", "us", "microsecond"}, 1e3},
		{"ms", []string{"ms", "millisecond"}, 1e6},
		{"s", []string{"s", "sec", "second"}, 1e9},
		{"hrs", []string{"hour", "hr"}, 3600e9},
	},
	def: unitAlias{"s", nil, 1e9},
}, {
	units: []unitAlias{
		{"n*GCU", []string{"nanogcu"}, 1e-9},
		{"u*GCU", []string{"microgcu"}, 1e-6},
		{"m*GCU", []string{"milligcu"}, 1e-3},
		{"GCU", []string{"gcu"}, 1},
		{"k*GCU", []string{"kilogcu"}, 1e3},
		{"M*GCU", []string{"megagcu"}, 1e6},
		{"G*GCU", []string{"gigagcu"}, 1e9},
		{"T*GCU", []string{"teragcu"}, 1e12},
		{"P*GCU", []string{"petagcu"}, 1e15},
	},
	def: unitAlias{"GCU", nil, 1},
}}

// sniff returns the unit of the family that unit names, or nil. Like pprof
// it ignores case and a plural "s" on names longer than two characters.
func (f unitFamily) sniff(unit string) *unitAlias {
	unit = strings.ToLower(unit)
	if utf8.RuneCountInString(unit) > 2 {
		unit = strings.TrimSuffix(unit, "s")
	}
	for i := range f.units {
		if slices.Contains(f.units[i].aliases, unit) {
			return &f.units[i]
		}
	}
	return nil
}

// autoScale picks the largest unit of the family in which v (in base units)
// is at least one, and returns v expressed in it.
func (f unitFamily) autoScale(v float64) (float64, string) {
	var factor float64
	var name string
	for _, u := range f.units {
		if u.factor >= factor && v/u.factor >= 1 {
			factor, name = u.factor, u.name
		}
	}
	if factor == 0 {
		return v / f.def.factor, f.def.name
	}
	return v / factor, name
}

// autoScale converts v in unit to the most readable unit of its family. The
// returned unit is empty for units pprof prints bare, such as "count".
func autoScale(v int64, unit string) (float64, string) {
	if v < 0 && -v > 0 {
		s, u := autoScale(-v, unit)
		return -s, u
	}
	for _, f := range unitFamilies {
		if from := f.sniff(unit); from != nil {
			return f.autoScale(float64(v) * from.factor)
		}
	}
	return float64(v), ""
}

// FormatValue formats v, measured in unit, the way pprof labels a single
// value: scaled to the largest unit in which it is at least one, with two
// decimals unless they are zero ("512.02kB", "10ms", "1.20s", "3GB"). Counts
// and unknown units print as plain numbers ("42"); zero prints as "0".
//
// Unlike a pprof -top table, which prints every row in one unit chosen for the
// whole table, FormatValue scales each value on its own.
func FormatValue(v int64, unit string) string {
	f, u := autoScale(v, unit)
	s := strings.TrimSuffix(fmt.Sprintf("%.2f", f), ".00")
	if s == "0" || s == "-0" {
		return "0"
	}
	return s + u
}

// FormatPercent formats pct (a percentage, not a fraction) as pprof does:
// two decimals from 1% up, two significant digits below, "100%" near 100.
func FormatPercent(pct float64) string {
	pct = math.Abs(pct)
	switch {
	case pct >= 99.95 && pct <= 100.05:
		return "100%"
	case pct >= 1:
		return fmt.Sprintf("%.2f%%", pct)
	default:
		return fmt.Sprintf("%.2g%%", pct)
	}
}

// Percent returns v as a percentage of total, or 0 when total is 0.
func Percent(v, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(v) / float64(total) * 100
}

// SignedPercent is FormatPercent keeping a minus sign (diffs shrink).
func SignedPercent(pct float64) string {
	if pct < 0 {
		return "-" + FormatPercent(pct)
	}
	return FormatPercent(pct)
}

// Plural counts n of word: "1 goroutine", "3 goroutines".
func Plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Duration formats d as pprof prints times: "1.20s", "10ms".
func Duration(d time.Duration) string { return FormatValue(int64(d), "nanoseconds") }
