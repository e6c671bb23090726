// Package goroutines groups a goroutine dump (goroutine?debug=2) by state
// and stack in bounded memory, names the user code each group waits in,
// and renders the groups as text.
package goroutines
