package main

import (
	"errors"
	"fmt"
	"time"
)

// CoordinationConfig lets several replicas share the work through
// Kubernetes Leases: one Lease per incident, one claim per target. It
// needs the Kubernetes API and the S3 store, the shared record.
type CoordinationConfig struct {
	// Enabled turns coordination on; the chart sets it with more than one
	// replica.
	Enabled bool `yaml:"enabled"`
	// Namespace holds the Leases; empty means $POD_NAMESPACE.
	Namespace string `yaml:"namespace"`
	// Identity names this replica in the Leases; empty means $POD_NAME,
	// then the host name.
	Identity string `yaml:"identity"`
	// LeaseDuration is how long a Lease holds without renewal: after a
	// replica dies, another takes its incidents over once it expires.
	LeaseDuration time.Duration `yaml:"lease_duration"`
	// SweepInterval is how often a replica looks for open incidents in
	// the store whose holder is gone.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// defaultCoordinationConfig: off, 15 s Leases, a sweep every 30 s.
func defaultCoordinationConfig() CoordinationConfig {
	return CoordinationConfig{LeaseDuration: 15 * time.Second, SweepInterval: 30 * time.Second}
}

// validate checks the coordination settings against the rest of the
// configuration: the shared state is the S3 store.
func (c Config) validateCoordination() error {
	co := c.Coordination
	switch {
	case co.LeaseDuration < 2*time.Second:
		return fmt.Errorf("config: coordination.lease_duration must be at least 2s (got %s)", co.LeaseDuration)
	case co.SweepInterval <= 0:
		return errors.New("config: coordination.sweep_interval must be positive")
	case !co.Enabled:
		return nil
	case c.Store.S3.Bucket == "":
		return errors.New("config: coordination.enabled needs store.s3: replicas share incidents through the object store, not a local directory")
	case c.Capture.Mode == "static":
		return errors.New("config: coordination.enabled needs capture.mode kubernetes or auto: Leases live in the Kubernetes API")
	}
	return nil
}
