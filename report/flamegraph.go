package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/alertprof/alertprof/capture/format"
	"github.com/alertprof/alertprof/report/flame"
	"github.com/alertprof/alertprof/report/pprof"
)

// FlameGraph is the picture of a pod's leading profile: the pprof profile
// its headline comes from, drawn as a flame graph in PNG with the
// culprit's path outlined (see package flame).
type FlameGraph struct {
	// Profile is the profile drawn, by its name in the plan ("heap-2").
	Profile string `json:"profile"`
	// Base is the profile subtracted from it, for a growth ("heap").
	Base string `json:"base,omitempty"`
	// Key and Link say where the PNG is stored, beside the profile;
	// Pending says its upload to the object store waits in the spool.
	Key     string `json:"key,omitempty"`
	Link    string `json:"link,omitempty"`
	Pending bool   `json:"pending,omitempty"`
	// Culprit is the function outlined with its callers.
	Culprit string `json:"culprit,omitempty"`
	// AltText describes the picture in words, as the PNG's Description
	// chunk does; notifiers give it as the image's alt text.
	AltText string `json:"alt_text,omitempty"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
	// PNG is the picture itself, for the notifiers; it is stored at Key,
	// not in the incident record.
	PNG []byte `json:"-"`
}

// lead is the profile a flame graph draws, and what to outline in it.
type lead struct {
	profile, base string
	sum           *pprof.Summary
	culprit, leaf string
}

// leadOf picks the pod's leading pprof profile: the one whose summary (or
// one of whose views) gave the headline; else, when the headline came from
// elsewhere (the runtime's memory statistics, a goroutine dump, a trace),
// the heap's growth, else the first profile in plan order with a
// headline. A goroutine leak outlines its goroutines' function in the
// goroutine profile when one was captured.
func leadOf(pr PodReport) (lead, bool) {
	if pr.Headline != "" {
		if g, _, ok := leakGroup(pr); ok && pr.Headline == leak(pr) {
			for _, p := range pr.Profiles {
				if p.Summary != nil && p.Summary.Kind == pprof.KindGoroutine && !p.Summary.Diff {
					return lead{profile: p.Name, sum: p.Summary, culprit: g.Top}, true
				}
			}
		}
		for _, p := range pr.Profiles {
			for _, s := range append([]*pprof.Summary{p.Summary}, viewPtrs(p.Views)...) {
				if s != nil && s.Headline != nil && (s.Headline.Text == pr.Headline || pr.Headline == contention(pr) && s == holder(pr)) {
					return leadFrom(p, s), true
				}
			}
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && p.Summary.Grew() {
			return leadFrom(p, p.Summary), true
		}
	}
	for _, p := range pr.Profiles {
		if p.Summary != nil && !p.Summary.Diff && p.Summary.Headline != nil {
			return leadFrom(p, p.Summary), true
		}
	}
	return lead{}, false
}

func leadFrom(p ProfileReport, s *pprof.Summary) lead {
	l := lead{profile: p.Name, sum: s, culprit: s.Headline.Culprit(), leaf: s.Headline.Function}
	if s.Diff && p.Name == secondHeap {
		l.base = firstHeap
	}
	return l
}

// RenderFlame draws the pod's leading profile (see leadOf) from its
// artifact as a flame graph; nil when the pod has no pprof profile to
// draw. The profile is read as a stream, as the analysis reads it: its
// tables decoded, its samples one at a time. The work waits for its share
// of opts.Budget and runs inside opts.Gate, bounded by opts.MaxDecoded; a
// panic while drawing is an error.
func RenderFlame(ctx context.Context, pr PodReport, arts []Artifact, opts Options) (*FlameGraph, error) {
	l, ok := leadOf(pr)
	if !ok {
		return nil, nil
	}
	cur := artifactNamed(arts, l.profile)
	if cur == nil {
		return nil, nil
	}
	var base *Artifact
	if l.base != "" {
		if base = artifactNamed(arts, l.base); base == nil {
			l.base = "" // draw the snapshot itself
		}
	}
	release, err := admitFlame(ctx, opts, cur, base)
	if err != nil {
		return nil, fmt.Errorf("flame graph of %s: %w", l.profile, err)
	}
	defer release()
	gate := opts.Gate
	if gate == nil {
		gate = func(f func()) { f() }
	}
	var img *flame.Image
	gate(func() { img, err = renderSafely(pr, l, cur, base, opts) })
	if err != nil {
		return nil, fmt.Errorf("flame graph of %s: %w", l.profile, err)
	}
	return &FlameGraph{Profile: l.profile, Base: l.base, Culprit: l.culprit, AltText: img.AltText,
		Width: img.Width, Height: img.Height, PNG: img.PNG}, nil
}

// admitFlame reserves the memory that drawing takes: reading each profile
// as a stream (format.ProfileCost), and the call tree, charged at most the
// profile's decoded size (BenchmarkRenderLarge: 33 MB allocated for a
// 58 MB profile). A profile given parsed is charged its parsed cost.
func admitFlame(ctx context.Context, opts Options, arts ...*Artifact) (func(), error) {
	if opts.Budget == nil {
		return func() {}, nil
	}
	var cost int64
	for _, a := range arts {
		if a == nil {
			continue
		}
		n, err := format.DecodedSize(a.Data, opts.maxDecoded())
		if err != nil {
			n = int64(len(a.Data))
		}
		if len(a.Data) == 0 {
			cost += format.ParsedCost(n)
			continue
		}
		cost += format.ProfileCost(a.Data, opts.maxDecoded()) + n
	}
	release, err := opts.Budget.Reserve(ctx, cost)
	if err != nil && ctx.Err() == nil {
		return nil, &tooLargeError{fmt.Errorf("drawing needs about %d MiB, more than the memory budget (capture.memory_budget_bytes): %w", cost>>20, err)}
	}
	return release, err
}

// flameSource is the artifact as flame.Render reads it: streamed from
// its bytes, or its parsed profile when it has no bytes.
func flameSource(a *Artifact, maxDecoded int64) (flame.Source, error) {
	if len(a.Data) == 0 && a.Parsed != nil {
		return flame.Parsed(a.Parsed), nil
	}
	return flame.Stream(a.Data, maxDecoded)
}

func renderSafely(pr PodReport, l lead, cur, base *Artifact, opts Options) (img *flame.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("malformed input: %v", r)
		}
	}()
	p, err := flameSource(cur, opts.maxDecoded())
	if err != nil {
		return nil, err
	}
	fo := flame.Options{SampleType: l.sum.SampleType, Headline: pr.Headline, Culprit: l.culprit, Leaf: l.leaf}
	fo.Title = fmt.Sprintf("%s · %s: %s", pr.PodName(), l.profile, l.sum.SampleType)
	if base != nil {
		b, err := flameSource(base, opts.maxDecoded())
		if err != nil {
			return nil, fmt.Errorf("base %s: %w", l.base, err)
		}
		fo.Base = &b
		fo.Title = fmt.Sprintf("%s · %s: growth of %s since %s", pr.PodName(), l.profile, l.sum.SampleType, l.base)
	}
	img, err = flame.Render(p, fo)
	if errors.Is(err, flame.ErrEmpty) && base != nil {
		return nil, fmt.Errorf("nothing grew: %w", err)
	}
	return img, err
}

// artifactNamed is the last artifact named name, or nil.
func artifactNamed(arts []Artifact, name string) *Artifact {
	for i := len(arts) - 1; i >= 0; i-- {
		if arts[i].Name == name {
			return &arts[i]
		}
	}
	return nil
}
