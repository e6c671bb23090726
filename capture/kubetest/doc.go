// Package kubetest starts a real etcd and kube-apiserver for tests, from
// the binaries named by ALERTPROF_ETCD and ALERTPROF_KUBE_APISERVER (which
// .ci/tools.d/kube.sh builds and prints). The API server runs with RBAC,
// a static token file, certificates generated here with crypto/x509, and
// an egress selector whose "cluster" traffic (pods/proxy, pods/log) goes
// through a unix-socket CONNECT helper that maps FakeNet addresses to
// 127.0.0.1, so a test pod can be "served" by a real local process.
//
// No kubelet, scheduler or controller-manager runs: tests create pods and
// patch their status (see RunPod), and play the kubelet themselves when
// they need one (see Kubelet).
package kubetest
