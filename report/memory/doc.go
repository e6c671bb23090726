// Package memory reads the runtime's memory statistics (the MemStats block
// of heap?debug=1) and reconciles them with the container's memory bounds
// and restart context, in words and as text: what the runtime holds, part
// by part, against the limit, and why a kill happened.
package memory
