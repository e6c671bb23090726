package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/exectrace"
	"github.com/alertprof/alertprof/report/goroutines"
	"github.com/alertprof/alertprof/report/memory"
	"github.com/alertprof/alertprof/report/pprof"
)

// Names of the two heap snapshots of a memory plan; the second one's
// summary becomes the growth since the first.
const (
	firstHeap  = "heap"
	secondHeap = "heap-2"
)

// Options controls Analyze.
type Options struct {
	// Top is the number of rows per table; <=0 means 10.
	Top int
	// SampleIndex, when set, summarizes only that sample type of each
	// pprof profile (as pprof's -sample_index); otherwise every telling
	// one is, the most telling first.
	SampleIndex string
	// Base, when set, turns the summary of every pprof profile into its
	// growth since Base, as `go tool pprof -base` computes it.
	Base *profile.Profile
	// BaseGoroutines, when set, adds to every goroutine dump its growth
	// since this earlier dump, group by group.
	BaseGoroutines *goroutines.Dump
	// BaseData is the base's bytes, which serve as Base without decoding
	// it whole: the growth of a profile given as bytes is then computed
	// as a stream (pprof.DiffData). It is used when Base is nil.
	BaseData []byte
	// Gate runs each piece of decoding and analysis, so that the caller
	// can bound how much of it runs at once; nil runs it directly.
	Gate func(func())
	// Budget, when set, admits each artifact's analysis by the memory it
	// needs (format.Cost of its decompressed size): Analyze waits for
	// its share, and refuses an artifact that could never fit.
	Budget Budget
	// MaxDecoded caps a pprof profile once decompressed; <=0 means
	// format.DefaultMaxDecoded.
	MaxDecoded int64
	// Text caps text artifacts (goroutine dumps, heap profiles in text).
	Text format.TextLimits
	// Healthy, when set, is the workload's latest healthy baseline: the
	// pod's heap and goroutines are compared with it (PodReport.SinceHealthy).
	Healthy *Healthy
}

// Artifact is one fetched artifact of a pod, as Analyze reads it.
type Artifact struct {
	// Name is the profile's name in the plan ("heap", "heap-2",
	// "goroutine", …): Analyze fills the PodReport profile of that name.
	Name string
	// Format is what the artifact is, when the caller knows (the plan
	// says); format.Unknown means Analyze tells it from Data.
	Format format.Format
	// Data is the artifact's bytes, exactly as fetched. A pprof profile is
	// summarized by streaming its samples from Data.
	Data []byte
	// Parsed is the pprof profile decoded from Data, read only when Data
	// is empty (a capture's holds only the profile's header).
	Parsed *profile.Profile
}

// ProfileError is an artifact Analyze could not analyse.
type ProfileError struct {
	Profile string
	Err     error
}

func (e *ProfileError) Error() string { return fmt.Sprintf("analyse %s: %v", e.Profile, e.Err) }

func (e *ProfileError) Unwrap() error { return e.Err }

// Analyze is the one analyser: it turns a pod's artifacts into its report.
// pr carries what the caller knows (target, alert, kind, memory bounds,
// restart context) and one ProfileReport per planned profile, with its
// link or its fetch error; arts are the artifacts that were fetched.
// Analyze fills in each profile's analysis, then the growth between the
// two heap snapshots, the memory reconciliation and the pod's headline.
// A profile that cannot be analysed says why in its Error (unless it
// already has one) and in the returned *ProfileError; the rest of the
// report is still built. Every read is bounded (opts.MaxDecoded,
// opts.Text), each artifact waits for its share of opts.Budget (until ctx
// ends), and a panic while analysing one is that artifact's error.
func Analyze(ctx context.Context, pr *PodReport, arts []Artifact, opts Options) []error {
	gate := opts.Gate
	if gate == nil {
		gate = func(f func()) { f() }
	}
	parsed := make(map[string]*profile.Profile)
	streamed := make(map[string][]byte) // pprof profiles summarized from their bytes
	var errs []error
	for _, a := range arts {
		out := profileNamed(pr, a.Name)
		f := formatOf(a)
		release, err := admit(ctx, a, f, opts)
		var p *profile.Profile
		if err == nil {
			gate(func() { p, err = analyzeSafely(a, f, out, opts) })
			release()
		}
		if err != nil {
			if out.Error == "" {
				out.Error = fmt.Sprintf("captured but not summarized: %v", err)
				if tooLarge(err) {
					out.Error = tooLargeNote(err, out)
				}
			}
			errs = append(errs, &ProfileError{Profile: a.Name, Err: err})
			continue
		}
		if p != nil {
			parsed[a.Name] = p
		} else if out.Summary != nil {
			streamed[a.Name] = a.Data
		}
	}
	if !opts.hasBase() {
		if err := addGrowth(ctx, pr, parsed, streamed, opts, gate); err != nil {
			errs = append(errs, &ProfileError{Profile: secondHeap, Err: err})
		}
	}
	if !opts.hasBase() {
		addSinceHealthy(ctx, pr, arts, opts, gate)
	}
	addMemory(pr)
	addRateNotes(pr)
	addWindows(pr)
	pr.Headline = Headline(*pr)
	return errs
}

// profileNamed returns the profile of pr named name that has no analysis
// yet, adding one when there is none.
func profileNamed(pr *PodReport, name string) *ProfileReport {
	for i := range pr.Profiles {
		p := &pr.Profiles[i]
		if p.Name == name && !p.analysed() {
			return p
		}
	}
	pr.Profiles = append(pr.Profiles, ProfileReport{Name: name})
	return &pr.Profiles[len(pr.Profiles)-1]
}

func (p *ProfileReport) analysed() bool {
	return p.Summary != nil || p.Goroutines != nil || p.MemStats != nil || p.Trace != nil
}

// errUnknownFormat is the error for an artifact of no format alertprof
// reads.
var errUnknownFormat = errors.New("not a pprof profile, goroutine dump, heap profile in text or execution trace")

// formatOf says what an artifact is: what the plan says, else what its
// bytes say.
func formatOf(a Artifact) format.Format {
	if a.Format != format.Unknown {
		return a.Format
	}
	return format.Detect(a.Data)
}

// analyzeSafely is analyzeArtifact with a panic turned into its error:
// whatever a target sent, it is that artifact's failure, not the
// receiver's crash.
func analyzeSafely(a Artifact, f format.Format, out *ProfileReport, opts Options) (p *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("malformed input: %v", r)
		}
	}()
	return analyzeArtifact(a, f, out, opts)
}

// analyzeArtifact analyses one artifact of format f into out and returns
// its pprof profile, if it is one.
func analyzeArtifact(a Artifact, f format.Format, out *ProfileReport, opts Options) (*profile.Profile, error) {
	switch f {
	case format.Trace:
		t, err := exectrace.Summarize(bytes.NewReader(a.Data), exectrace.Options{Top: opts.Top})
		if err != nil {
			return nil, err
		}
		out.Trace = t
		return nil, nil
	case format.HeapText:
		r, err := format.TextReaderMax(a.Data, opts.Text)
		if err != nil {
			return nil, err
		}
		ms, err := memory.ParseStats(r)
		if err != nil {
			return nil, err
		}
		out.MemStats = ms
		return nil, nil
	case format.Goroutines:
		r, err := format.TextReaderMax(a.Data, opts.Text)
		if err != nil {
			return nil, err
		}
		g, err := goroutines.Parse(r)
		if err != nil {
			return nil, err
		}
		out.Goroutines = g
		if opts.BaseGoroutines != nil {
			out.GoroutineGrowth = goroutines.Compare(opts.BaseGoroutines, g)
		}
		return nil, nil
	case format.Profile:
		return analyzeProfile(a, out, opts)
	}
	return nil, errUnknownFormat
}

// analyzeProfile summarizes a pprof profile: its main view and the other
// telling ones, or with a base its growth since the base.
// A profile given as bytes is streamed from them, and nil returned; so is
// its diff with a base given as bytes.
func analyzeProfile(a Artifact, out *ProfileReport, opts Options) (*profile.Profile, error) {
	popts := pprof.Options{Top: opts.Top, SampleIndex: opts.SampleIndex}
	if strings.Contains(strings.ToLower(a.Name), pprof.KindAllocs) {
		// A delta allocs profile cannot say it is one: the plan's name does.
		popts.Kind = pprof.KindAllocs
	}
	switch {
	case !opts.hasBase() && len(a.Data) > 0:
		sums, err := pprof.AnalyzeData(a.Data, opts.maxDecoded(), popts)
		if err != nil {
			return nil, err
		}
		out.Summary, out.Views = &sums[0], sums[1:]
		return nil, nil
	case opts.streamsBase() && len(a.Data) > 0:
		d, err := pprof.DiffData(opts.BaseData, a.Data, opts.maxDecoded(), popts)
		if err != nil {
			return nil, err
		}
		out.Summary = &d
		return nil, nil
	}
	p, err := parsedProfile(a.Parsed, a.Data, opts.maxDecoded())
	if err != nil {
		return nil, err
	}
	if opts.hasBase() {
		base, err := parsedProfile(opts.Base, opts.BaseData, opts.maxDecoded())
		if err != nil {
			return nil, fmt.Errorf("base: %w", err)
		}
		d, err := pprof.Diff(base, p, popts)
		if err != nil {
			return nil, err
		}
		out.Summary = &d
		return p, nil
	}
	sums, err := pprof.Analyze(p, popts)
	if err != nil {
		return nil, err
	}
	out.Summary, out.Views = &sums[0], sums[1:]
	return p, nil
}

// addGrowth replaces the second heap snapshot's summary with what grew
// since the first, as `go tool pprof -base heap heap-2` computes it.
// When both were summarized from their bytes (streamed), the diff streams
// them too; otherwise the snapshot given as bytes is parsed for it.
func addGrowth(ctx context.Context, pr *PodReport, parsed map[string]*profile.Profile, streamed map[string][]byte, opts Options, gate func(func())) error {
	first, second := parsed[firstHeap], parsed[secondHeap]
	if (first == nil && streamed[firstHeap] == nil) || (second == nil && streamed[secondHeap] == nil) {
		return nil
	}
	// The diff's memory (see admitGrowth) is admitted by the budget as a
	// whole, or the growth is left out with the reason.
	release, err := admitGrowth(ctx, first, second, streamed[firstHeap], streamed[secondHeap], opts)
	if err != nil {
		for i := range pr.Profiles {
			if p := &pr.Profiles[i]; p.Name == secondHeap && p.Error == "" {
				p.Error = "heap growth not computed: " + err.Error()
			}
		}
		return fmt.Errorf("heap growth: %w", err)
	}
	defer release()
	var diff pprof.Summary
	gate(func() {
		if first == nil && second == nil {
			diff, err = pprof.DiffData(streamed[firstHeap], streamed[secondHeap], opts.maxDecoded(), pprof.Options{Top: opts.Top, SampleIndex: opts.SampleIndex})
			return
		}
		if first, err = parsedProfile(first, streamed[firstHeap], opts.maxDecoded()); err != nil {
			return
		}
		if second, err = parsedProfile(second, streamed[secondHeap], opts.maxDecoded()); err != nil {
			return
		}
		diff, err = pprof.Diff(first, second, pprof.Options{Top: opts.Top, SampleIndex: opts.SampleIndex})
	})
	if err != nil {
		return fmt.Errorf("heap growth: %w", err)
	}
	for i := range pr.Profiles {
		if p := &pr.Profiles[i]; p.Name == secondHeap && p.Summary != nil {
			p.Summary, p.Views = &diff, nil
		}
	}
	return nil
}

// parsedProfile is the profile parsed from data, or p when data is empty.
func parsedProfile(p *profile.Profile, data []byte, maxDecoded int64) (*profile.Profile, error) {
	if len(data) == 0 && p != nil {
		return p, nil
	}
	return format.ParseProfileMax(data, maxDecoded)
}

// addMemory reconciles the runtime's memory statistics, when captured,
// with the container's bounds and restart context.
func addMemory(pr *PodReport) {
	for _, p := range pr.Profiles {
		if p.MemStats != nil {
			pr.Memory = memory.Reconcile(*p.MemStats, pr.MemoryBounds, pr.Restart)
			return
		}
	}
}
