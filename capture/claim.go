package capture

import "time"

// Claim is the answer to a request for work shared between replicas: an
// incident, or a target to capture. Held says this replica holds it now.
// Refused, Holder names the live replica that holds it (until Until), or
// Last says when the target was last captured, within the cooldown.
type Claim struct {
	Held bool
	// From names the replica that held it before this one, when this
	// replica took it over (that holder's Lease expired or was released).
	From   string
	Holder string
	Until  time.Time
	Last   time.Time
}

// Kinds of shared claims.
const (
	ClaimIncident = "incident"
	ClaimTarget   = "target"
)
