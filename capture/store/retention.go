package store

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Prune removes every incident whose newest file is older than cutoff,
// then the day, month and year directories it leaves empty, then the
// capture indexes not written since cutoff. An incident
// still being written (a recent file anywhere under it) is kept whole.
// It returns the incident keys (IncidentPrefix) removed.
func (l *Local) Prune(cutoff time.Time) ([]string, error) {
	root := filepath.Join(l.dir, "incidents")
	days, err := filepath.Glob(filepath.Join(root, "[0-9][0-9][0-9][0-9]", "[0-9][0-9]", "[0-9][0-9]"))
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	var removed []string
	for _, day := range days {
		incs, err := os.ReadDir(day)
		if err != nil {
			return removed, fmt.Errorf("prune: %w", err)
		}
		for _, inc := range incs {
			if !inc.IsDir() {
				continue
			}
			dir := filepath.Join(day, inc.Name())
			newest, err := newestModTime(dir)
			if err != nil {
				return removed, fmt.Errorf("prune %s: %w", dir, err)
			}
			if !newest.Before(cutoff) {
				continue
			}
			if err := os.RemoveAll(dir); err != nil {
				return removed, fmt.Errorf("prune %s: %w", dir, err)
			}
			rel, _ := filepath.Rel(l.dir, dir)
			removed = append(removed, filepath.ToSlash(rel))
		}
		// Remove the day, month and year directories if now empty; Remove
		// fails harmlessly on a directory that still holds something.
		for d := day; d != root; d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	return removed, l.pruneIndexes(cutoff)
}

func newestModTime(dir string) (time.Time, error) {
	var newest time.Time
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err // directory times change with every Put below them
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		return nil
	})
	return newest, err
}

// RunRetention prunes incidents older than retention every interval until
// ctx ends, logging each removal. A retention of zero keeps everything.
func (l *Local) RunRetention(ctx context.Context, retention, interval time.Duration, log *slog.Logger) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		removed, err := l.Prune(time.Now().Add(-retention))
		for _, r := range removed {
			log.Info("retention removed an old incident", "incident", r, "retention", retention.String())
		}
		if err != nil {
			log.Error("retention pass failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
