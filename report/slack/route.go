package slack

import (
	"fmt"
	"regexp"

	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/common/model"
)

// Route sends incidents whose labels match every matcher to a channel,
// optionally mentioning an owner.
type Route struct {
	Matchers labels.Matchers
	Channel  string
	Mention  string // a Slack user (U…/W…) or user group (S…) ID
}

// NewRoute parses matchers in Alertmanager's syntax, e.g.
// `namespace="payments"` or `alertname=~"Heap.*"`.
func NewRoute(matchers []string, channel, mention string) (Route, error) {
	r := Route{Channel: channel, Mention: mention}
	if channel == "" {
		return Route{}, fmt.Errorf("route %v: no channel", matchers)
	}
	if mention != "" && !slackID.MatchString(mention) {
		return Route{}, fmt.Errorf("route %v: mention %q is not a Slack user or user group ID (U…, W… or S…)", matchers, mention)
	}
	for _, s := range matchers {
		ms, err := labels.ParseMatchers(s)
		if err != nil {
			return Route{}, fmt.Errorf("route matcher %q: %w", s, err)
		}
		r.Matchers = append(r.Matchers, ms...)
	}
	return r, nil
}

func (r Route) matches(lbls map[string]string) bool {
	set := make(model.LabelSet, len(lbls))
	for k, v := range lbls {
		set[model.LabelName(k)] = model.LabelValue(v)
	}
	return r.Matchers.Matches(set)
}

// slackID is the form of a user, enterprise user or user group ID. Only
// IDs of this form become mentions; anything else is shown as text.
var slackID = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)

// slackChannel is the form of a channel a pod may ask for: a channel ID
// (C…, G…) or a channel name, with or without its "#".
var slackChannel = regexp.MustCompile(`^(?:[CG][A-Z0-9]{2,20}|#?[a-z0-9][a-z0-9._-]{0,79})$`)

// mention formats a configured owner ID as a Slack mention, or returns ""
// when id is not a Slack ID.
func mention(id string) string {
	if !slackID.MatchString(id) {
		return ""
	}
	if id[0] == 'S' {
		return "<!subteam^" + id + ">"
	}
	return "<@" + id + ">"
}
