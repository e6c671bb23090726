package exectrace

import (
	"strings"

	"github.com/alertprof/alertprof/report/internal/funcname"
)

// describeStack works out what a stack's frames say.
func describeStack(raw []string) *stackInfo {
	info := &stackInfo{}
	for i, f := range raw {
		if f == "net/http.(*conn).serve" && i > 0 && raw[i-1] == "bufio.(*Reader).Peek" {
			// Waiting for the next request on a kept-alive connection.
			info.idle = true
		}
		if r, ok := inferredReasons[f]; ok && info.inferred == "" {
			info.inferred = r
		}
		if info.inferred == "" && strings.HasPrefix(f, "internal/poll.(*FD).") {
			info.inferred = "network"
		}
		if idleFrames[f] {
			info.idle = true
		}
		if networkFrames[f] {
			info.network = true
		}
		if strings.HasPrefix(f, "net/http/pprof.") {
			// The profiler's own handler, serving this very trace.
			info.system = true
		}
	}
	frames := trimParking(raw)
	info.frames, info.key, info.caller = frames, strings.Join(frames, "\n"), stackCaller(frames)
	// The outermost frame says where the goroutine began (goexit aside).
	outer := ""
	for i := len(raw) - 1; i >= 0; i-- {
		if raw[i] != "runtime.goexit" {
			outer = raw[i]
			break
		}
	}
	if pkg := funcname.Package(outer); (pkg == "runtime" || pkg == "runtime/trace") && outer != "runtime.main" {
		info.system = true
	}
	return info
}

// trimParking drops the innermost frames that only park the goroutine, so
// that the stack of a goroutine blocked when the trace began (which has
// them) matches the stack of one that blocks during it (which has not).
func trimParking(frames []string) []string {
	for len(frames) > 1 {
		f := frames[0]
		if parkingFrames[f] || strings.HasPrefix(f, "internal/poll.(*pollDesc).") ||
			strings.HasPrefix(f, "internal/sync.") || strings.HasPrefix(f, "sync.runtime_") {
			frames = frames[1:]
			continue
		}
		break
	}
	return frames
}

var parkingFrames = map[string]bool{
	"runtime.gopark": true, "runtime.goparkunlock": true, "runtime.netpollblock": true,
	"internal/poll.runtime_pollWait": true, "runtime.semacquire1": true,
	"runtime.chanrecv": true, "runtime.chansend": true, "runtime.notifyListWait": true,
}

// idleFrames mark waits for the service's own clients, and the idle side
// of its HTTP client connections (a request's wait for its response is
// on the requesting goroutine's stack).
var idleFrames = map[string]bool{
	"internal/poll.(*FD).Accept":                                             true,
	"net/http.(*connReader).backgroundRead":                                  true,
	"net/http.(*conn).readRequest":                                           true,
	"net/http.(*http2serverConn).readFrames":                                 true,
	"net/http.(*persistConn).readLoop":                                       true,
	"net/http.(*persistConn).writeLoop":                                      true,
	"golang.org/x/net/http2.(*serverConn).readFrames":                        true,
	"google.golang.org/grpc/internal/transport.(*http2Server).HandleStreams": true,
}

// inferredReasons give the wait reason of a goroutine that was already
// blocked when the trace began, from the functions it blocks in; they are
// the runtime's own reasons for the same waits.
var inferredReasons = map[string]string{
	"runtime.netpollblock":              "network",
	"net/http.(*persistConn).roundTrip": "network",
	"runtime.selectgo":                  "select",
	"runtime.block":                     "forever",
	"runtime.chanrecv":                  "chan receive",
	"runtime.chanrecv1":                 "chan receive",
	"runtime.chanrecv2":                 "chan receive",
	"runtime.chansend":                  "chan send",
	"runtime.chansend1":                 "chan send",
	"sync.runtime_notifyListWait":       "sync.(*Cond).Wait",
	"sync.(*Cond).Wait":                 "sync.(*Cond).Wait",
	"runtime.semacquire1":               "sync",
	"sync.(*Mutex).Lock":                "sync",
	"sync.(*RWMutex).Lock":              "sync",
	"sync.(*RWMutex).RLock":             "sync",
	"sync.(*WaitGroup).Wait":            "sync",
	"time.Sleep":                        "sleep",
}

// networkFrames turn a synchronisation wait into a network wait: an HTTP
// client's caller waits on a channel for the response its connection's
// goroutine reads.
var networkFrames = map[string]bool{
	"net/http.(*persistConn).roundTrip": true,
}

// plumbing are the packages a blocking call passes through on its way
// from the caller to the runtime, when no user function is on the stack.
var plumbing = []string{"runtime", "internal/", "syscall", "net", "sync", "io", "bufio", "os", "time", "vendor/", "crypto/tls", "context"}

// stackCaller names the function that made the blocking call: the
// innermost user function, else the innermost function outside the
// plumbing, else the innermost frame.
func stackCaller(frames []string) string {
	for _, f := range frames {
		if funcname.IsUser(f) {
			return f
		}
	}
	for _, f := range frames {
		pkg := funcname.Package(f)
		inner := false
		for _, p := range plumbing {
			if pkg == p || strings.HasSuffix(p, "/") && strings.HasPrefix(pkg, p) {
				inner = true
				break
			}
		}
		if !inner {
			return f
		}
	}
	return frames[0]
}
