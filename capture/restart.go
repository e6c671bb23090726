package capture

import "time"

// Restart is what a pod's container restarts left behind, for the report
// and the incident record.
type Restart struct {
	Containers []ContainerRestart `json:"containers"`
}

// ContainerRestart is one restarted container: how often, how it last
// ended, its memory bounds and the tail of its previous log.
type ContainerRestart struct {
	Container    string `json:"container"`
	RestartCount int32  `json:"restart_count"`
	// Reason, ExitCode, StartedAt and FinishedAt come from
	// lastState.terminated; Reason is e.g. OOMKilled or Error.
	Reason     string    `json:"reason,omitempty"`
	ExitCode   int32     `json:"exit_code"`
	Signal     int32     `json:"signal,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// MemoryRequest and MemoryLimit are the container's resources, as
	// quantities ("256Mi"); empty when not set.
	MemoryRequest string `json:"memory_request,omitempty"`
	MemoryLimit   string `json:"memory_limit,omitempty"`
	// PreviousLog is the last lines of the previous container's log;
	// LogError says why it is missing when it could not be read.
	PreviousLog []string `json:"previous_log,omitempty"`
	LogError    string   `json:"log_error,omitempty"`
}
