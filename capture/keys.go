package capture

import (
	"strings"
	"time"
)

// ArtifactKey builds the object key of one raw profile:
// incidents/<yyyy>/<mm>/<dd>/<incident-id>/<namespace>/<pod>/<file>.
func ArtifactKey(opened time.Time, incidentID string, t Target, file string) string {
	return IncidentPrefix(opened, incidentID) + "/" + sanitizeKeyPart(t.Namespace) + "/" + sanitizeKeyPart(t.Pod) + "/" + sanitizeKeyPart(file)
}

// IncidentPrefix is the key prefix shared by all artifacts of one incident.
func IncidentPrefix(opened time.Time, incidentID string) string {
	return "incidents/" + opened.UTC().Format("2006/01/02") + "/" + sanitizeKeyPart(incidentID)
}

// sanitizeKeyPart keeps a key segment to a safe alphabet, so no label value
// can add a path separator or a dot-dot segment.
func sanitizeKeyPart(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			b[i] = '_'
		}
	}
	out := string(b)
	if strings.Trim(out, ".") == "" {
		out = strings.ReplaceAll(out, ".", "_")
	}
	if out[0] == '.' {
		out = "_" + out[1:] // stores refuse hidden (dot-first) segments
	}
	if len(out) > 200 {
		out = out[:200]
	}
	return out
}
