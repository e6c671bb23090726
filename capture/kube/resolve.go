package kube

import (
	"context"
	"fmt"
	"log/slog"
	"path"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/alertprof/alertprof/capture"
)

// Fetch modes for Kubernetes targets.
const (
	FetchDirect = "direct" // dial the pod IP
	FetchProxy  = "proxy"  // through the API server's pods/proxy subresource
	FetchAuto   = "auto"   // direct in-cluster, proxy with a kubeconfig
)

// Defaults for Options.
const (
	DefaultPort     = 6060
	DefaultMaxPods  = 3
	DefaultLogLines = 50
)

// workloadLabels are the alert labels that name a workload, in the order
// they are tried.
var workloadLabels = []string{"deployment", "statefulset", "daemonset", "replicaset", "job_name"}

// Options configure a Resolver. Zero values take the defaults.
type Options struct {
	// FetchMode is FetchDirect or FetchProxy (resolve FetchAuto with
	// ResolveFetchMode first).
	FetchMode string
	// DefaultPort is the pprof port of pods with neither annotation nor a
	// container port named pprof; 0 takes the constant DefaultPort
	// (6060), a negative value disables the fallback.
	DefaultPort int
	// Path is the pprof base path unless annotated ("/debug/pprof").
	Path string
	// AllowNamespaces, when not empty, are the only namespaces captured;
	// DenyNamespaces are never captured. Both take path.Match patterns.
	AllowNamespaces, DenyNamespaces []string
	// MaxPods caps the pods returned for one alert (DefaultMaxPods).
	MaxPods int
	// LogLines is how many lines of a restarted container's previous log
	// go into the restart context (DefaultLogLines; negative: none).
	LogLines int
	// Fallback, when set, resolves an alert whose instance matches no
	// pod (usually a capture.Static resolver with its allowed CIDRs).
	Fallback interface {
		Resolve(ctx context.Context, labels map[string]string) ([]capture.Target, error)
	}
	Logger *slog.Logger
}

// Resolver resolves alerts to pods through the Kubernetes API. It needs
// only the rules in RBACRules.
type Resolver struct {
	client kubernetes.Interface
	opts   Options
	log    *slog.Logger
}

// NewResolver returns a resolver that reads pods through client.
func NewResolver(client kubernetes.Interface, opts Options) *Resolver {
	if opts.FetchMode != FetchProxy {
		opts.FetchMode = FetchDirect
	}
	switch {
	case opts.DefaultPort == 0:
		opts.DefaultPort = DefaultPort
	case opts.DefaultPort < 0:
		opts.DefaultPort = 0
	}
	if opts.Path == "" {
		opts.Path = "/debug/pprof"
	}
	if opts.MaxPods <= 0 {
		opts.MaxPods = DefaultMaxPods
	}
	if opts.LogLines == 0 {
		opts.LogLines = DefaultLogLines
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Resolver{client: client, opts: opts, log: opts.Logger}
}

// TargetKey names the target of an alert that names its pod (namespace
// and pod labels), without asking the API server: the key Resolve gives
// when the pod exists. Any other alert is named only by resolving it.
func (k *Resolver) TargetKey(labels map[string]string) (string, bool) {
	ns, pod := labels["namespace"], labels["pod"]
	if ns == "" || pod == "" || k.namespaceDenied(ns) != "" {
		return "", false
	}
	return capture.Target{Namespace: ns, Pod: pod}.Key(), true
}

// Resolve finds the pods an alert is about, in this order: namespace and
// pod; else namespace and a workload label (deployment, statefulset,
// daemonset, replicaset, job_name); else namespace and a label selector
// (capture.SelectorLabel); else instance as a pod IP. It returns
// at most MaxPods targets, Running and Ready pods and the pod named in the
// alert first; a pod that cannot be captured comes back with Skip set.
func (k *Resolver) Resolve(ctx context.Context, labels map[string]string) ([]capture.Target, error) {
	ns := labels["namespace"]
	if ns != "" {
		if reason := k.namespaceDenied(ns); reason != "" {
			return nil, capture.NotAllowed("%s", reason)
		}
	}
	kind, name := workload(labels)
	var pods []corev1.Pod
	switch {
	case ns != "" && labels["pod"] != "":
		pod, err := k.client.CoreV1().Pods(ns).Get(ctx, labels["pod"], metav1.GetOptions{})
		switch {
		case err == nil:
			pods = []corev1.Pod{*pod}
		case apierrors.IsNotFound(err) && kind != "":
			k.log.Info("pod named in the alert is gone; resolving its workload", "namespace", ns, "pod", labels["pod"], kind, name)
			if pods, err = k.workloadPods(ctx, ns, kind, name); err != nil {
				return nil, err
			}
		case apierrors.IsNotFound(err):
			return nil, fmt.Errorf("%w: pod %s/%s does not exist", capture.ErrNoTarget, ns, labels["pod"])
		default:
			return nil, fmt.Errorf("get pod %s/%s: %w", ns, labels["pod"], err)
		}
	case ns != "" && kind != "":
		var err error
		if pods, err = k.workloadPods(ctx, ns, kind, name); err != nil {
			return nil, err
		}
	case ns != "" && labels[capture.SelectorLabel] != "":
		sel, err := k8slabels.Parse(labels[capture.SelectorLabel])
		if err != nil {
			return nil, fmt.Errorf("%w: label selector %q: %w", capture.ErrNoTarget, labels[capture.SelectorLabel], err)
		}
		if pods, err = k.listPods(ctx, ns, "", sel.String()); err != nil {
			return nil, err
		}
		kind, name = "selector", sel.String()
	case labels["instance"] != "":
		return k.resolveInstance(ctx, ns, labels)
	case kind != "":
		return nil, fmt.Errorf("%w: the alert names %s %q but has no namespace label", capture.ErrNoTarget, kind, name)
	case labels[capture.SelectorLabel] != "":
		return nil, fmt.Errorf("%w: a label selector needs a namespace", capture.ErrNoTarget)
	default:
		return nil, fmt.Errorf("%w: the alert names no pod (it needs namespace and pod, namespace and a workload label, or instance)", capture.ErrNoTarget)
	}
	if len(pods) == 0 && kind == "selector" {
		return nil, fmt.Errorf("%w: no pod in namespace %s matches the selector %q", capture.ErrNoTarget, ns, name)
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%w: %s %s/%s has no pods", capture.ErrNoTarget, kind, ns, name)
	}
	return k.targets(ctx, pods, labels["pod"]), nil
}

func workload(labels map[string]string) (kind, name string) {
	for _, l := range workloadLabels {
		if v := labels[l]; v != "" {
			return l, v
		}
	}
	return "", ""
}

// workloadPods lists the namespace's pods and keeps those the workload
// owns, by owner reference; it needs no access to the workload objects.
func (k *Resolver) workloadPods(ctx context.Context, ns, kind, name string) ([]corev1.Pod, error) {
	all, err := k.listPods(ctx, ns, "", "")
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range all {
		if ownedBy(&p, kind, name) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ownedBy reports whether the workload named by an alert label owns pod.
// A Deployment owns its pods through a ReplicaSet named
// <deployment>-<pod-template-hash>.
func ownedBy(pod *corev1.Pod, kind, name string) bool {
	for _, ref := range pod.OwnerReferences {
		switch kind {
		case "deployment":
			hash := pod.Labels["pod-template-hash"]
			if ref.Kind == "ReplicaSet" && hash != "" && ref.Name == name+"-"+hash {
				return true
			}
		case "statefulset":
			if ref.Kind == "StatefulSet" && ref.Name == name {
				return true
			}
		case "daemonset":
			if ref.Kind == "DaemonSet" && ref.Name == name {
				return true
			}
		case "replicaset":
			if ref.Kind == "ReplicaSet" && ref.Name == name {
				return true
			}
		case "job_name":
			if ref.Kind == "Job" && ref.Name == name {
				return true
			}
		}
	}
	return false
}

// listPods lists pods page by page; either selector may be empty.
func (k *Resolver) listPods(ctx context.Context, ns, fieldSelector, labelSelector string) ([]corev1.Pod, error) {
	var out []corev1.Pod
	opts := metav1.ListOptions{FieldSelector: fieldSelector, LabelSelector: labelSelector, Limit: 500}
	for {
		list, err := k.client.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			where := "namespace " + ns
			if ns == "" {
				where = "all namespaces"
			}
			return nil, fmt.Errorf("list pods in %s: %w", where, err)
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// namespaceDenied says why ns may not be captured, or "" when it may.
func (k *Resolver) namespaceDenied(ns string) string {
	for _, d := range k.opts.DenyNamespaces {
		if ok, _ := path.Match(d, ns); ok {
			return "namespace " + ns + " is denied (kubernetes.namespaces.deny)"
		}
	}
	if len(k.opts.AllowNamespaces) == 0 {
		return ""
	}
	for _, a := range k.opts.AllowNamespaces {
		if ok, _ := path.Match(a, ns); ok {
			return ""
		}
	}
	return "namespace " + ns + " is not in kubernetes.namespaces.allow"
}
