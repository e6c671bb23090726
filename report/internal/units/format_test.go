package units

import "testing"

func TestFormatValue(t *testing.T) {
	cases := []struct {
		name string
		v    int64
		unit string
		want string
	}{
		{"kilobytes with decimals", 524308, "bytes", "512.02kB"},
		{"whole kilobytes drop .00", 2048, "bytes", "2kB"},
		{"below a kilobyte", 1023, "bytes", "1023B"},
		{"gigabytes", 3 << 30, "bytes", "3GB"},
		{"negative bytes", -2048, "bytes", "-2kB"},
		{"unit case ignored", 1 << 20, "Bytes", "1MB"},
		{"milliseconds", 10_000_000, "nanoseconds", "10ms"},
		{"seconds keep two decimals", 1_200_000_000, "nanoseconds", "1.20s"},
		{"microseconds", 1_500, "nanoseconds", "1.50us"},
		{"nanoseconds", 500, "nanoseconds", "500ns"},
		{"hours", 90 * 60 * 1_000_000_000, "nanoseconds", "1.50hrs"},
		{"seconds as a unit", 90, "seconds", "90s"},
		{"count is bare", 42, "count", "42"},
		{"unknown unit is bare", 42, "widgets", "42"},
		{"zero", 0, "bytes", "0"},
		{"zero count", 0, "count", "0"},
		{"GCU family", 1500, "milligcu", "1.50GCU"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FormatValue(c.v, c.unit); got != c.want {
				t.Errorf("FormatValue(%d, %q) = %q, want %q", c.v, c.unit, got, c.want)
			}
		})
	}
}

func TestFormatPercent(t *testing.T) {
	cases := []struct {
		name string
		pct  float64
		want string
	}{
		{"whole", 100, "100%"},
		{"near whole", 99.96, "100%"},
		{"two decimals", 47.1612, "47.16%"},
		{"one percent", 1, "1.00%"},
		{"below one percent", 0.5, "0.5%"},
		{"two significant digits", 0.01749, "0.017%"},
		{"negative shows magnitude", -12.5, "12.50%"},
		{"zero", 0, "0%"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FormatPercent(c.pct); got != c.want {
				t.Errorf("FormatPercent(%v) = %q, want %q", c.pct, got, c.want)
			}
		})
	}
}
