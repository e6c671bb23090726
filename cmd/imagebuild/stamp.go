package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// versionPkg is where alertprof keeps its build information, the
// Prometheus way.
const versionPkg = "github.com/prometheus/common/version"

// stamp is the build information linked into the binary and written as
// the image's labels.
type stamp struct {
	Version   string
	Revision  string
	Branch    string
	BuildDate string
}

// fill sets what was not given from git and the clock.
func (s *stamp) fill(ctx context.Context) error {
	if s.Version == "" {
		tag := git(ctx, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*")
		s.Version = strings.TrimPrefix(tag, "v")
		if s.Version == "" {
			s.Version = "0.0.0-dev"
		}
	}
	if s.Revision == "" {
		s.Revision = git(ctx, "rev-parse", "HEAD")
	}
	if s.Branch == "" {
		s.Branch = git(ctx, "rev-parse", "--abbrev-ref", "HEAD")
	}
	if s.BuildDate == "" {
		s.BuildDate = time.Now().UTC().Format("20060102-15:04:05")
	}
	if _, err := s.created(); err != nil {
		return err
	}
	for name, v := range map[string]string{"version": s.Version, "revision": s.Revision, "branch": s.Branch} {
		if strings.ContainsAny(v, " \t\n'\"") {
			return fmt.Errorf("--%s %q: no spaces or quotes", name, v)
		}
	}
	return nil
}

// created is the build date as a time, for the image's created field.
func (s *stamp) created() (time.Time, error) {
	t, err := time.Parse("20060102-15:04:05", s.BuildDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("--date %q: want YYYYMMDD-HH:MM:SS: %w", s.BuildDate, err)
	}
	return t, nil
}

// ldflags links the stamp into the binary and strips symbol tables.
func (s *stamp) ldflags() string {
	var b strings.Builder
	b.WriteString("-s -w")
	for _, kv := range [][2]string{
		{"Version", s.Version}, {"Revision", s.Revision}, {"Branch", s.Branch},
		{"BuildUser", "imagebuild"}, {"BuildDate", s.BuildDate},
	} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " -X %s.%s=%s", versionPkg, kv[0], kv[1])
		}
	}
	return b.String()
}

// git returns the trimmed output of a git command, or "" when it fails
// (no git, not a checkout, no tag).
func git(ctx context.Context, args ...string) string {
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
