# amconfig: prometheus-operator's own AlertmanagerConfig → alertmanager.yml
# conversion (pkg/alertmanager.ConfigBuilder, the code the operator runs),
# as a small command, so the chart test can check which alerts the chart's
# AlertmanagerConfig really routes under each
# alertmanagerConfigMatcherStrategy. Built in a throwaway module at the
# operator's version (PROMOP_VERSION, from helm.sh) with the operator's
# own dependencies, so the project's go.mod plays no part; cached under
# $TOOLS_DIR keyed by version.
amconfig_dir="$TOOLS_DIR/amconfig-$PROMOP_VERSION"
if [ ! -x "$amconfig_dir/amconfig" ]; then
  log "building amconfig (prometheus-operator $PROMOP_VERSION's config generator; first run only)"
  mkdir -p "$amconfig_dir"
  amconfig_work=$(mktemp -d)
  (
    cd "$amconfig_work"
    printf 'module alertprof.local/amconfig\n\ngo 1.24\n\nrequire github.com/prometheus-operator/prometheus-operator %s\n' "$PROMOP_VERSION" >go.mod
    cat >main.go <<'GO'
// Command amconfig prints the alertmanager.yml prometheus-operator
// generates from a base configuration and AlertmanagerConfig objects, for
// an Alertmanager resource in -am-namespace with -strategy as its
// spec.alertmanagerConfigMatcherStrategy.type. Secrets the objects
// reference are read from the cluster of -kubeconfig, as the operator
// does.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/blang/semver/v4"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus-operator/prometheus-operator/pkg/alertmanager"
	"github.com/prometheus-operator/prometheus-operator/pkg/assets"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster holding referenced Secrets")
	base := flag.String("base", "", "base alertmanager.yml")
	strategy := flag.String("strategy", "OnNamespace", "alertmanagerConfigMatcherStrategy type")
	amNS := flag.String("am-namespace", "monitoring", "namespace of the Alertmanager resource")
	amVersion := flag.String("am-version", "0.30.0", "Alertmanager version the config is for")
	flag.Parse()
	if err := run(*kubeconfig, *base, *strategy, *amNS, *amVersion, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "amconfig:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, base, strategy, amNS, amVersion string, files []string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	am := &monitoringv1.Alertmanager{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: amNS}}
	am.Spec.AlertmanagerConfigMatcherStrategy.Type = monitoringv1.AlertmanagerConfigMatcherStrategyType(strategy)
	cb := alertmanager.NewConfigBuilder(slog.New(slog.NewTextHandler(os.Stderr, nil)), semver.MustParse(amVersion),
		assets.NewStoreBuilder(cs.CoreV1(), cs.CoreV1()), am)
	raw, err := os.ReadFile(base)
	if err != nil {
		return err
	}
	if err := cb.InitializeFromRawConfiguration(raw); err != nil {
		return err
	}
	amcs := map[string]*monitoringv1alpha1.AlertmanagerConfig{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var amc monitoringv1alpha1.AlertmanagerConfig
		if err := yaml.UnmarshalStrict(b, &amc); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		amcs[amc.Namespace+"/"+amc.Name] = &amc
	}
	if err := cb.AddAlertmanagerConfigs(context.Background(), amcs); err != nil {
		return err
	}
	out, err := cb.MarshalJSON() // YAML, despite the name
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
GO
    GOFLAGS=-mod=mod go mod tidy >&2
    CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$amconfig_dir/amconfig.tmp" . >&2
  ) || { log "amconfig build failed"; exit 1; }
  mv "$amconfig_dir/amconfig.tmp" "$amconfig_dir/amconfig"
  rm -rf "$amconfig_work"
fi
echo "ALERTPROF_AMCONFIG=$amconfig_dir/amconfig"
