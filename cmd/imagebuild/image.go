package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// options are what one build makes.
type options struct {
	out       string
	platforms []v1.Platform
	caBundle  string
	source    string
	stamp     stamp
}

func parsePlatform(s string) (v1.Platform, error) {
	osName, arch, ok := strings.Cut(s, "/")
	if !ok || osName != "linux" || arch == "" || strings.Contains(arch, "/") {
		return v1.Platform{}, fmt.Errorf("platform %q: want linux/ARCH (linux/amd64, linux/arm64)", s)
	}
	return v1.Platform{OS: osName, Architecture: arch}, nil
}

// build compiles alertprof for every platform, makes one image each and
// writes them as one index to o.out. It returns the index digest.
func build(ctx context.Context, o options, log io.Writer) (string, error) {
	created, err := o.stamp.created()
	if err != nil {
		return "", err
	}
	work, err := os.MkdirTemp("", "alertprof-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)

	var adds []mutate.IndexAddendum
	for _, pl := range o.platforms {
		bin := filepath.Join(work, pl.Architecture, "alertprof")
		fmt.Fprintf(log, "imagebuild: building alertprof %s for %s\n", o.stamp.Version, pl.OS+"/"+pl.Architecture)
		if err := compile(ctx, bin, pl, o.stamp.ldflags(), log); err != nil {
			return "", err
		}
		img, err := platformImage(bin, pl, o, created)
		if err != nil {
			return "", err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &pl}})
	}
	idx := mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
	idx = mutate.Annotations(idx, labels(o, created)).(v1.ImageIndex)

	if err := os.RemoveAll(o.out); err != nil {
		return "", err
	}
	if _, err := layout.Write(o.out, idx); err != nil {
		return "", fmt.Errorf("write OCI layout: %w", err)
	}
	d, err := idx.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// compile builds a static alertprof for pl with the stamp linked in.
func compile(ctx context.Context, out string, pl v1.Platform, ldflags string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, "./cmd/alertprof")
	cmd.Dir = moduleRoot(ctx)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+pl.OS, "GOARCH="+pl.Architecture)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", pl.OS, pl.Architecture, err)
	}
	return nil
}

// moduleRoot is the directory of the main module's go.mod, so the build
// works from any directory inside the repository.
func moduleRoot(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return ""
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// platformImage is the binary's layer on an empty base with alertprof's
// configuration.
func platformImage(bin string, pl v1.Platform, o options, created time.Time) (v1.Image, error) {
	tarData, err := rootfs(bin, o.caBundle, created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarData)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = pl.OS, pl.Architecture, pl.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:         fmt.Sprintf("%d:%d", uid, uid),
		Entrypoint:   []string{"/" + binPath},
		Cmd:          []string{"serve"},
		Env:          []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/" + userName},
		WorkingDir:   "/home/" + userName,
		ExposedPorts: map[string]struct{}{"9095/tcp": {}},
		Labels:       labels(o, created),
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return img, nil
}

// labels are the org.opencontainers.image.* annotations, on the image
// configuration and on the index.
func labels(o options, created time.Time) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "alertprof",
		"org.opencontainers.image.description": "Alertmanager webhook receiver that captures pprof evidence from the firing Go service",
		"org.opencontainers.image.version":     o.stamp.Version,
		"org.opencontainers.image.revision":    o.stamp.Revision,
		"org.opencontainers.image.created":     created.UTC().Format("2006-01-02T15:04:05Z"),
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
}
