package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alertprof/alertprof/report/slack"
)

// SlackConfig sends incidents to Slack. It is off unless SLACK_BOT_TOKEN
// is set; the token never lives in the file.
type SlackConfig struct {
	// Channel is the default channel ID (or name) for incident threads.
	Channel string `yaml:"channel"`
	// APIURL overrides Slack's Web API base URL (tests, Enterprise Grid).
	APIURL string `yaml:"api_url"`
	// Routes pick a channel, and an owner to mention, by the incident's
	// labels; the first match wins.
	Routes []SlackRoute `yaml:"routes"`

	// Token comes from SLACK_BOT_TOKEN.
	Token string `yaml:"-"`
}

// SlackRoute is one routing rule.
type SlackRoute struct {
	// Matchers in Alertmanager's syntax, all of which must match, e.g.
	// ['namespace="payments"', 'severity=~"critical|page"'].
	Matchers []string `yaml:"matchers"`
	Channel  string   `yaml:"channel"`
	// Mention is a Slack user (U…) or user group (S…) ID.
	Mention string `yaml:"mention"`
}

func (c SlackConfig) enabled() bool { return c.Token != "" }

func (c SlackConfig) validate() error {
	if !c.enabled() {
		if c.Channel != "" || len(c.Routes) > 0 {
			return fmt.Errorf("config: slack is configured but SLACK_BOT_TOKEN is not set")
		}
		return nil
	}
	if c.Channel == "" {
		return fmt.Errorf("config: SLACK_BOT_TOKEN is set but slack.channel is empty")
	}
	if c.APIURL != "" {
		if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("config: slack.api_url %q is not an http(s) URL", c.APIURL)
		}
	}
	_, err := c.routes()
	return err
}

func (c SlackConfig) routes() ([]slack.Route, error) {
	out := make([]slack.Route, 0, len(c.Routes))
	for i, r := range c.Routes {
		rt, err := slack.NewRoute(r.Matchers, r.Channel, r.Mention)
		if err != nil {
			return nil, fmt.Errorf("config: slack.routes[%d]: %w", i, err)
		}
		out = append(out, rt)
	}
	return out, nil
}

// newSlack builds the Slack notifier from the configuration.
func newSlack(c SlackConfig, log *slog.Logger, reg prometheus.Registerer) (*slack.Notifier, error) {
	routes, err := c.routes()
	if err != nil {
		return nil, err
	}
	return slack.New(slack.Config{
		Token:      c.Token,
		APIURL:     c.APIURL,
		Channel:    c.Channel,
		Routes:     routes,
		Logger:     log,
		Registerer: reg,
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: withUserAgent(http.DefaultTransport)},
	})
}
