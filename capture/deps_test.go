package capture

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoKubernetesOrS3Deps: the capture root package, which report and
// every consumer of a Target imports, must not pull in client-go or
// minio-go; those belong to capture/kube and capture/store/s3.
func TestNoKubernetesOrS3Deps(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps listed nothing")
	}
	for _, dep := range deps {
		for _, banned := range []string{"k8s.io/client-go", "github.com/minio/minio-go"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("the capture package depends on %s", dep)
			}
		}
	}
}
