package pprof

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// Synthetic profiles reach corners the runtime rarely produces: frames with
// no function, unnamed functions, URL mappings, DropFrames, negative values,
// diff-base labels, and values sitting exactly on the node-fraction cutoff.
// They are checked against the same oracle as the real fixtures.

// stack is one sample. Frames are innermost first; each frame is one
// location, written as:
//
//	"pkg.f"        a location with one line in function pkg.f
//	"pkg.f|pkg.g"  pkg.f inlined into pkg.g (two lines, innermost first)
//	"@bin"         a location with no lines in the binary's mapping
//	"@url"         a location with no lines in a mapping named by URL
//	"@"            a location with no lines and no mapping
//	"?"            a line whose function has no name
type stack struct {
	frames []string
	values []int64
	base   bool // labelled pprof::base=true, as pprof -diff_base marks it
}

// synthProfile builds a valid profile. Every frame gets its own location, so
// functions are spread over many locations as in real profiles.
func synthProfile(types []*profile.ValueType, stacks []stack) *profile.Profile {
	bin := &profile.Mapping{ID: 1, Start: 0x1000, Limit: 0x100000, File: "/usr/local/bin/synthbin", HasFunctions: true}
	web := &profile.Mapping{ID: 2, Start: 0x200000, Limit: 0x300000, File: "http://example.test/debug/pprof/profile"}
	p := &profile.Profile{SampleType: types, Mapping: []*profile.Mapping{bin, web}}
	funcs := map[string]*profile.Function{}
	fn := func(name string) *profile.Function {
		if f := funcs[name]; f != nil {
			return f
		}
		f := &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, StartLine: 7}
		if name == "?" {
			f.Name, f.SystemName = "", ""
		}
		funcs[name] = f
		p.Function = append(p.Function, f)
		return f
	}
	for _, st := range stacks {
		s := &profile.Sample{Value: st.values}
		if st.base {
			s.Label = map[string][]string{"pprof::base": {"true"}}
		}
		for _, frame := range st.frames {
			id := uint64(len(p.Location) + 1)
			l := &profile.Location{ID: id, Address: 0x1000 + id*16, Mapping: bin}
			switch frame {
			case "@bin":
			case "@url":
				l.Address, l.Mapping = 0x200000+id*16, web
			case "@":
				l.Mapping = nil
			default:
				for _, name := range strings.Split(frame, "|") {
					l.Line = append(l.Line, profile.Line{Function: fn(name), Line: int64(id)})
				}
			}
			p.Location = append(p.Location, l)
			s.Location = append(s.Location, l)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

var countType = []*profile.ValueType{{Type: "samples", Unit: "count"}}

// synthCases are the synthetic profiles compared with pprof.
var synthCases = []struct {
	name    string
	profile func() *profile.Profile
	indexes []string
}{
	{"shapes", func() *profile.Profile {
		// The flat values add up to 10000, so the cutoff is 50: d.kept
		// stays, d.also and d.dropped go. The empty stack adds 300 to the
		// total (pprof's label says "cum <= 51") but not to the cutoff's
		// base. d.zero has no value and appears nowhere.
		return synthProfile(countType, []stack{
			{[]string{"a.leaf", "a.mid", "a.rec", "a.mid", "a.rec", "main.main"}, []int64{3050}, false},
			{[]string{"a.small|a.inl|a.outer", "main.main"}, []int64{2000}, false},
			{[]string{"b.tie", "main.main"}, []int64{1000}, false},
			{[]string{"a.tie", "main.main"}, []int64{1000}, false},
			{[]string{"@bin", "@bin", "main.main"}, []int64{900}, false},
			{[]string{"?", "main.main"}, []int64{800}, false},
			{[]string{"@url", "c.caller", "main.main"}, []int64{700}, false},
			{[]string{"@", "main.main"}, []int64{400}, false},
			{[]string{"d.kept", "main.main"}, []int64{50}, false},
			{[]string{"d.dropped", "main.main"}, []int64{49}, false},
			{[]string{"d.also", "main.main"}, []int64{49}, false},
			{[]string{"d.rest", "main.main"}, []int64{2}, false},
			{[]string{"d.zero", "main.main"}, []int64{0}, false},
			{nil, []int64{300}, false},
		})
	}, []string{""}},
	{"dropframes", func() *profile.Profile {
		p := synthProfile([]*profile.ValueType{{Type: "alloc_space", Unit: "bytes"}}, []stack{
			{[]string{"runtime.mallocgc", "runtime.newobject", "main.alloc", "main.main"}, []int64{4096}, false},
			{[]string{"runtime.mallocgc|main.inlined", "main.main"}, []int64{2048}, false},
			{[]string{"runtime.mallocgc", "runtime.keepme", "main.other", "main.main"}, []int64{1024}, false},
			{[]string{"runtime.mallocgc"}, []int64{512}, false},
		})
		p.DropFrames = `runtime\.malloc.*|runtime\.newobject|runtime\.keep.*`
		p.KeepFrames = `runtime\.keepme`
		return p
	}, []string{""}},
	{"diff", func() *profile.Profile {
		return synthProfile([]*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}}, []stack{
			{[]string{"x.grew", "main.main"}, []int64{9_000_000}, false},
			{[]string{"x.grew", "main.main"}, []int64{-4_000_000}, true},
			{[]string{"x.shrank", "main.main"}, []int64{1_000_000}, false},
			{[]string{"x.shrank", "main.main"}, []int64{-6_000_000}, true},
			{[]string{"x.same", "main.main"}, []int64{2_000_000}, false},
			{[]string{"x.same", "main.main"}, []int64{-2_000_000}, true},
		})
	}, []string{""}},
	{"sampletypes", func() *profile.Profile {
		p := synthProfile([]*profile.ValueType{{Type: "contentions", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}}, []stack{
			{[]string{"sync.(*Mutex).Lock", "m.a", "main.main"}, []int64{10, 5_000}, false},
			{[]string{"runtime.chanrecv1", "m.b", "main.main"}, []int64{1, 900_000}, false},
			{[]string{"runtime.selectgo", "m.c", "main.main"}, []int64{4, 40_000}, false},
		})
		p.DefaultSampleType = "contentions"
		return p
	}, []string{"", "0", "delay"}},
}

// TestOracleSynthetic compares Summarize with pprof on synthetic profiles.
func TestOracleSynthetic(t *testing.T) {
	for _, c := range synthCases {
		file := filepath.Join(t.TempDir(), c.name+".pb.gz")
		writeProfile(t, c.profile(), file)
		for _, index := range c.indexes {
			for _, n := range []int{3, 100} {
				t.Run(fmt.Sprintf("%s/index=%s/top=%d", c.name, index, n), func(t *testing.T) {
					t.Parallel()
					compareWithPprof(t, file, index, n)
				})
			}
		}
	}
}

func writeProfile(t *testing.T, p *profile.Profile, file string) {
	t.Helper()
	if err := p.CheckValid(); err != nil {
		t.Fatalf("synthetic profile: %v", err)
	}
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
