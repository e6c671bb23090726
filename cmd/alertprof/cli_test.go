package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runBinary runs the alertprof binary with args and env added to a
// clean environment, and returns its exit status and output.
func runBinary(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatalf("alertprof %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String(), errb.String()
}

// allCommands is every command of the tree, as "serve" or "completion
// bash", hidden ones included.
func allCommands() [][]string {
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			p := append(slices.Clone(path), sub.Name())
			out = append(out, p)
			walk(sub, p)
		}
	}
	root := newRootCommand(io.Discard, io.Discard)
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	walk(root, nil)
	return out
}

// TestHelpExitsZero: --help and -h print the usage on stdout and exit 0
// for every command, through the real binary.
func TestHelpExitsZero(t *testing.T) {
	cmds := allCommands()
	for _, want := range []string{"serve", "capture", "analyze", "check-config", "demo", "demo-target", "version", "completion", "help"} {
		if !slices.ContainsFunc(cmds, func(c []string) bool { return c[0] == want }) {
			t.Fatalf("no %s command in %v", want, cmds)
		}
	}
	cmds = append(cmds, nil) // the root itself
	for _, c := range cmds {
		for _, h := range []string{"--help", "-h"} {
			args := append(slices.Clone(c), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errOut := runBinary(t, nil, args...)
				if code != 0 || !strings.Contains(out, "Usage:") {
					t.Fatalf("exit %d, want 0 with the usage on stdout:\n%s%s", code, out, errOut)
				}
			})
		}
	}
}

// TestUsageErrorsExitTwo: an unknown command or flag, a missing or extra
// argument exit 2 with a short hint on stderr.
func TestUsageErrorsExitTwo(t *testing.T) {
	cases := []struct {
		args []string
		hint string
	}{
		{nil, "Usage:"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"serve", "--bogus"}, "alertprof serve: unknown flag: --bogus"},
		{[]string{"serve", "extra"}, "alertprof serve: unknown command"},
		{[]string{"capture", "--bogus"}, "alertprof capture: unknown flag: --bogus"},
		{[]string{"capture", "a", "b"}, "one pod at a time"},
		{[]string{"analyze"}, "name at least one profile file"},
		{[]string{"analyze", "--top"}, "flag needs an argument"},
		{[]string{"check-config"}, "accepts 1 arg(s)"},
		{[]string{"demo", "--cpu-seconds", "many"}, "invalid argument"},
		{[]string{"version", "now"}, "unknown command"},
		{[]string{"completion", "tcsh"}, "tcsh"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runBinary(t, nil, tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.hint) {
				t.Fatalf("exit %d, want 2 with %q on stderr:\n%s%s", code, tc.hint, out, errOut)
			}
			if len(tc.args) > 0 && !strings.Contains(errOut, "--help' for usage") {
				t.Errorf("no usage hint:\n%s", errOut)
			}
		})
	}
}

// TestUsageListsFlagsAndEnvironment: each command's help names every
// flag it takes and the environment variables it reads.
func TestUsageListsFlagsAndEnvironment(t *testing.T) {
	env := map[string][]string{
		"serve":        {"ALERTPROF_WEBHOOK_TOKEN", "ALERTPROF_WEBHOOK_PASSWORD", "ALERTPROF_CAPTURE_TOKEN", "ALERTPROF_LINK_KEY", "SLACK_BOT_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "KUBECONFIG", "GOMEMLIMIT"},
		"capture":      {"KUBECONFIG", "HOME", "ALERTPROF_CAPTURE_TOKEN", "ALERTPROF_WEBHOOK_TOKEN", "SLACK_BOT_TOKEN", "AWS_ACCESS_KEY_ID"},
		"check-config": {"ALERTPROF_WEBHOOK_TOKEN", "SLACK_BOT_TOKEN", "AWS_ACCESS_KEY_ID"},
	}
	root := newRootCommand(io.Discard, io.Discard)
	for _, c := range root.Commands() {
		t.Run(c.Name(), func(t *testing.T) {
			code, out, _ := runBinary(t, nil, c.Name(), "--help")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			c.Flags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(out, "--"+f.Name+" ") {
					t.Errorf("the help does not list --%s", f.Name)
				}
			})
			for _, v := range env[c.Name()] {
				if !strings.Contains(out, v) {
					t.Errorf("the help does not name %s", v)
				}
			}
		})
	}
	// The flags the issue found missing.
	for cmd, flag := range map[string]string{"analyze": "--base", "demo": "--warmup", "capture": "--reason"} {
		if _, out, _ := runBinary(t, nil, cmd, "--help"); !strings.Contains(out, flag) {
			t.Errorf("%s --help lacks %s", cmd, flag)
		}
	}
}

// TestFlagsAfterArguments: flags may follow the files and the pod.
func TestFlagsAfterArguments(t *testing.T) {
	heap := filepath.Join("..", "..", "report", "testdata", "heap.pb.gz")
	code, out, errOut := runBinary(t, nil, "analyze", heap, "--format", "json", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var a analysis
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("--format after the file was not taken: %v\n%s", err, out)
	}
	if len(a.Rows) != 3 {
		t.Errorf("--top after the file was not taken: %d rows", len(a.Rows))
	}
	ca, err := parseCaptureArgs([]string{"checkout-1", "--context", "prod", "-n", "shop", "--kind", "memory"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ca.req.Pod != "checkout-1" || ca.req.Namespace != "shop" || ca.req.Kind != "memory" || *ca.kube.Context != "prod" {
		t.Errorf("capture args %+v, context %q", ca.req, *ca.kube.Context)
	}
}

// TestCompletion: the completion scripts are there for every shell, the
// bash one is valid bash, and completions come from the command tree.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errOut := runBinary(t, nil, "completion", sh)
		if code != 0 || len(out) < 500 || !strings.Contains(out, "alertprof") {
			t.Fatalf("completion %s: exit %d, %d bytes: %s", sh, code, len(out), errOut)
		}
		if sh == "bash" {
			script := filepath.Join(t.TempDir(), "alertprof.bash")
			if err := os.WriteFile(script, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
				t.Fatalf("bash -n: %v\n%s", err, b)
			}
		}
	}
	// Commands, then a flag's values, then the kubeconfig's contexts.
	_, out, _ := runBinary(t, nil, "__complete", "c")
	for _, want := range []string{"capture", "check-config", "completion"} {
		if !strings.Contains(out, want+"\t") && !strings.Contains(out, want+"\n") {
			t.Errorf("completing c lacks %s:\n%s", want, out)
		}
	}
	if _, out, _ := runBinary(t, nil, "__complete", "capture", "--format", ""); !strings.HasPrefix(out, "text\njson\n") {
		t.Errorf("completing --format:\n%s", out)
	}
	kc := writeTwoContextKubeconfig(t, "https://127.0.0.1:1", nil)
	_, out, _ = runBinary(t, []string{"KUBECONFIG=" + kc}, "__complete", "capture", "--context", "")
	if !strings.HasPrefix(out, "prod\nstaging\n") {
		t.Errorf("completing --context:\n%s", out)
	}
}
