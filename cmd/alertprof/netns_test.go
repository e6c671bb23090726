//go:build integration

package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// testNetns is a network namespace made for one test and joined to this
// one by a veth pair: hostIP is this side's address, peerIP the
// namespace's. Both are in TEST-NET-3 (203.0.113.0/24), a /30 chosen by
// the process ID, so traffic between them stays on this machine and is
// never loopback. It needs root and iproute2's ip, as CI has.
type testNetns struct {
	name, hostIP, peerIP string
}

func newTestNetns(t *testing.T) *testNetns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("making a network namespace needs root (CI runs as root)")
	}
	id := os.Getpid() % 10000
	sub := 4 * (os.Getpid() % 63)
	ns := &testNetns{
		name:   fmt.Sprintf("aptest%d", id),
		hostIP: fmt.Sprintf("203.0.113.%d", sub+1),
		peerIP: fmt.Sprintf("203.0.113.%d", sub+2),
	}
	hostIf, peerIf := fmt.Sprintf("aph%d", id), fmt.Sprintf("apc%d", id)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", hostIf).Run()
		_ = exec.Command("ip", "netns", "del", ns.name).Run()
	})
	for _, args := range [][]string{
		{"netns", "add", ns.name},
		{"link", "add", hostIf, "type", "veth", "peer", "name", peerIf, "netns", ns.name},
		{"addr", "add", ns.hostIP + "/30", "dev", hostIf},
		{"link", "set", hostIf, "up"},
		{"-n", ns.name, "addr", "add", ns.peerIP + "/30", "dev", peerIf},
		{"-n", ns.name, "link", "set", peerIf, "up"},
		{"-n", ns.name, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return ns
}

// curl runs curl inside the namespace and returns the HTTP status it got.
func (ns *testNetns) curl(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.name, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl %s from the namespace: %v (%s)", strings.Join(args, " "), err, out)
	}
	return string(out)
}
