package main

import (
	"fmt"
	"strings"

	"github.com/prometheus/common/version"
	"github.com/spf13/cobra"
)

// usageTemplate is cobra's, with the environment variables a command
// reads (its "environment" annotation) after its flags.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{with index .Annotations "environment"}}

Environment:
{{.}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`

// envVar is an environment variable a command reads.
type envVar struct{ name, what string }

// Environment variables, by the part of alertprof that reads them.
var (
	configEnv = []envVar{
		{"ALERTPROF_WEBHOOK_TOKEN", "bearer token Alertmanager must send (or webhook.token_file)"},
		{"ALERTPROF_WEBHOOK_PASSWORD", "basic auth password, with webhook.basic_auth.username (or its password_file)"},
		{"ALERTPROF_CAPTURE_TOKEN", "bearer token of the capture API (or webhook.capture_token_file)"},
		{"ALERTPROF_LINK_KEY", "key that signs artifact and flame-graph links (default: random per process)"},
		{"SLACK_BOT_TOKEN", "Slack bot token; Slack is off without it"},
		{"AWS_ACCESS_KEY_ID", "S3 access key (with AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN);"},
		{"", "else MINIO_ROOT_USER/MINIO_ROOT_PASSWORD, web identity (AWS_WEB_IDENTITY_TOKEN_FILE,"},
		{"", "AWS_ROLE_ARN), container or instance credentials"},
		{"GOMEMLIMIT", "the Go soft memory limit; unset, alertprof sets it to the memory budget + 32 MiB"},
	}
	serveKubeEnv = []envVar{
		{"KUBECONFIG", "kubeconfig used when capture.kubernetes.kubeconfig and --kubeconfig are empty"},
		{"KUBERNETES_SERVICE_HOST", "with KUBERNETES_SERVICE_PORT: in a cluster, its service account is used"},
	}
	cliKubeEnv = []envVar{
		{"KUBECONFIG", "kubeconfig files (a path list), as kubectl reads them; else ~/.kube/config"},
		{"HOME", "where ~/.kube/config is"},
		{"KUBERNETES_SERVICE_HOST", "with KUBERNETES_SERVICE_PORT: with no kubeconfig, in a cluster, its service account"},
	}
	remoteEnv = []envVar{
		{"ALERTPROF_CAPTURE_TOKEN", "with --server: the token sent to the capture API (else ALERTPROF_WEBHOOK_TOKEN)"},
	}
)

// withEnv documents in cmd's usage the environment variables it reads.
func withEnv(cmd *cobra.Command, lists ...[]envVar) *cobra.Command {
	var b strings.Builder
	seen := make(map[string]bool)
	width := 0
	for _, l := range lists {
		for _, v := range l {
			width = max(width, len(v.name))
		}
	}
	for _, l := range lists {
		for _, v := range l {
			if v.name != "" && seen[v.name] {
				continue
			}
			seen[v.name] = true
			fmt.Fprintf(&b, "  %-*s   %s\n", width, v.name, v.what)
		}
	}
	if cmd.Annotations == nil {
		cmd.Annotations = make(map[string]string)
	}
	cmd.Annotations["environment"] = strings.TrimRight(b.String(), "\n")
	return cmd
}

// usageError is a command line a command cannot run: exit status 2.
func usageError(cmd *cobra.Command, format string, args ...any) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\nRun '%s --help' for usage.\n", cmd.CommandPath(), fmt.Sprintf(format, args...), cmd.CommandPath())
	return exitCode(2)
}

func versionString() string { return version.Print("alertprof") }

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and build information",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return nil
		},
	}
}

// fixedCompletion completes a flag with one of values.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}
