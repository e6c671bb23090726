// Command imagebuild builds alertprof's OCI image without a container
// engine: for each platform it cross-compiles a static alertprof binary with
// its build information stamped, lays it on an empty base together with a CA
// bundle and a non-root user, and writes one multi-platform image index as
// an OCI image layout directory, which `crane`, `skopeo`, `oras` or
// `docker buildx imagetools` can push.
//
//	go run ./cmd/imagebuild --out dist/image --version 1.2.3
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.out, "out", "", "directory to write the OCI image layout to (required; emptied first)")
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	fs.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "PEM CA bundle to install as /etc/ssl/certs/ca-certificates.crt")
	fs.StringVar(&o.stamp.Version, "version", "", "version to stamp (default: newest v* tag without its v, else 0.0.0-dev)")
	fs.StringVar(&o.stamp.Revision, "revision", "", "revision to stamp (default: git rev-parse HEAD)")
	fs.StringVar(&o.stamp.Branch, "branch", "", "branch to stamp (default: the current git branch)")
	fs.StringVar(&o.stamp.BuildDate, "date", "", "build date to stamp, YYYYMMDD-HH:MM:SS UTC (default: now)")
	fs.StringVar(&o.source, "source", "https://github.com/alertprof/alertprof", "org.opencontainers.image.source label")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "imagebuild: --out DIR is required and no arguments are taken")
		return 2
	}
	for _, p := range strings.Split(*platforms, ",") {
		pl, err := parsePlatform(strings.TrimSpace(p))
		if err != nil {
			fmt.Fprintln(stderr, "imagebuild:", err)
			return 2
		}
		o.platforms = append(o.platforms, pl)
	}
	if err := o.stamp.fill(ctx); err != nil {
		fmt.Fprintln(stderr, "imagebuild:", err)
		return 1
	}
	digest, err := build(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "imagebuild:", err)
		return 1
	}
	fmt.Fprintf(stdout, "alertprof %s image index %s written to %s\n", o.stamp.Version, digest, o.out)
	return 0
}
