package report

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAnalysisDependencies: the evidence model, the analyser and every
// analysis package build without Kubernetes' client, the object store's
// client and Slack's, so that work on an analysis never compiles them
// (only report/slack needs slack-go; nothing here needs the others).
func TestAnalysisDependencies(t *testing.T) {
	const mod = "github.com/alertprof/alertprof/"
	pkgs := []string{"report", "report/pprof", "report/goroutines", "report/exectrace", "report/memory",
		"report/internal/units", "report/internal/funcname", "report/flame"}
	forbidden := []string{"k8s.io/client-go", "github.com/minio/minio-go", "github.com/slack-go/slack"}
	for _, pkg := range pkgs {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
			}
			found := make(map[string][]string)
			for dep := range strings.Lines(string(out)) {
				dep = strings.TrimSpace(dep)
				for _, f := range forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						found[f] = append(found[f], dep)
					}
				}
			}
			for _, f := range forbidden {
				if deps := found[f]; len(deps) > 0 {
					t.Errorf("%s depends on %s (%d packages, e.g. %s)", pkg, f, len(deps), deps[0])
				}
			}
		})
	}
}
