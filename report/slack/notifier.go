package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// Config configures the Slack notifier.
type Config struct {
	// Token is the bot token (xoxb-…). It is never logged.
	Token string
	// APIURL overrides Slack's Web API base URL, for tests and Enterprise
	// Grid; it must end with a slash. Empty means slack.com.
	APIURL string
	// Channel is where incidents go when no route matches.
	Channel string
	// Routes are tried in order; the first whose matchers all match the
	// incident's labels picks the channel and the mention.
	Routes []Route
	// HTTPClient carries the requests; nil means a client with a 30s
	// timeout.
	HTTPClient *http.Client
	// MaxTries bounds the attempts per Web API call (default 5); 429s wait
	// for Retry-After, 5xx and transport errors back off exponentially.
	MaxTries uint
	// MaxWait bounds the total time spent retrying one call (default 2m).
	MaxWait    time.Duration
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Notifier posts incidents to Slack: a parent message per incident, a reply
// per captured pod in its thread, and on resolve a reply plus an update of
// the parent. Everything from an alert or a profile is escaped, so nothing
// in them can mention or ping anyone.
type Notifier struct {
	client  *slackgo.Client
	cfg     Config
	log     *slog.Logger
	metrics *metrics
}

// New builds the notifier.
func New(cfg Config) (*Notifier, error) {
	if cfg.Token == "" {
		return nil, errors.New("slack: no bot token (set SLACK_BOT_TOKEN)")
	}
	if cfg.Channel == "" {
		return nil, errors.New("slack: no default channel")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxTries == 0 {
		cfg.MaxTries = 5
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	opts := []slackgo.Option{slackgo.OptionHTTPClient(cfg.HTTPClient)}
	if cfg.APIURL != "" {
		u := cfg.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slackgo.OptionAPIURL(u))
	}
	return &Notifier{
		client:  slackgo.New(cfg.Token, opts...),
		cfg:     cfg,
		log:     cfg.Logger,
		metrics: newMetrics(cfg.Registerer),
	}, nil
}

// Notify posts ev. When the incident has no thread yet it posts the parent
// first and returns the new thread, even if a later step fails.
func (s *Notifier) Notify(ctx context.Context, ev report.Event) (report.Thread, error) {
	inc := ev.Incident
	th := inc.Thread
	if th.IsZero() {
		ch, mention := s.route(inc.Labels)
		switch {
		case inc.Channel == "":
		case slackChannel.MatchString(inc.Channel):
			ch = inc.Channel
		default:
			s.log.Warn("ignoring a pod's Slack channel annotation that is not a channel name or ID",
				"incident", inc.ID, "channel", fmt.Sprintf("%.80q", inc.Channel))
		}
		blocks, text := parentMessage(inc, mention)
		ts, err := s.post(ctx, ch, "", text, blocks)
		if err != nil {
			return report.Thread{}, fmt.Errorf("post the incident's parent message: %w", err)
		}
		th = report.Thread{Channel: ch, TS: ts}
	}
	switch ev.Kind {
	case report.Captured:
		if ev.Pod != nil {
			return th, s.postPod(ctx, th, inc, *ev.Pod)
		}
	case report.Resolved:
		return th, s.postResolved(ctx, th, inc)
	}
	return th, nil
}

func (s *Notifier) route(lbls map[string]string) (channel, mentionID string) {
	for _, r := range s.cfg.Routes {
		if r.matches(lbls) {
			return r.Channel, r.Mention
		}
	}
	return s.cfg.Channel, ""
}

func (s *Notifier) postPod(ctx context.Context, th report.Thread, inc report.Incident, pr report.PodReport) error {
	_, mentionID := s.route(inc.Labels)
	if pr.Owner != "" {
		mentionID = pr.Owner
	}
	msg := podMessage(pr, mentionID)
	if _, err := s.post(ctx, th.Channel, th.TS, msg.text, msg.blocks); err != nil {
		return fmt.Errorf("post the report for %s: %w", pr.PodName(), err)
	}
	s.uploadFlame(ctx, th, pr)
	if !msg.cut.any() {
		return nil
	}
	s.log.Info("report cut to fit Slack, attaching it whole", "target", pr.Target,
		"sections_cut", len(msg.cut.Sections), "rows_cut", msg.cut.Rows)
	// The whole report did not fit in a message: attach it as a file in
	// the thread rather than lose it.
	var b strings.Builder
	if err := report.WritePod(&b, pr); err != nil {
		return err
	}
	err := s.call(ctx, "files.uploadV2", func(ctx context.Context) error {
		_, err := s.client.UploadFileContext(ctx, slackgo.UploadFileParameters{
			Content:         b.String(),
			FileSize:        b.Len(),
			Filename:        "alertprof-" + sanitizeFileName(pr.Target) + ".txt",
			Title:           "Full report: " + pr.PodName(),
			Channel:         th.Channel,
			ThreadTimestamp: th.TS,
			SnippetType:     "text",
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("upload the full report for %s: %w", pr.Target, err)
	}
	return nil
}

func (s *Notifier) postResolved(ctx context.Context, th report.Thread, inc report.Incident) error {
	blocks, text := resolvedReply(inc)
	if _, err := s.post(ctx, th.Channel, th.TS, text, blocks); err != nil {
		return fmt.Errorf("post the resolved reply: %w", err)
	}
	_, mentionID := s.route(inc.Labels)
	blocks, text = parentMessage(inc, mentionID)
	err := s.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := s.client.UpdateMessageContext(ctx, th.Channel, th.TS,
			slackgo.MsgOptionText(text, false), slackgo.MsgOptionBlocks(blocks...))
		return err
	})
	if err != nil {
		return fmt.Errorf("update the parent message: %w", err)
	}
	return nil
}

// post sends one message, in a thread when threadTS is set, and returns
// its timestamp.
func (s *Notifier) post(ctx context.Context, channel, threadTS, text string, blocks []slackgo.Block) (string, error) {
	opts := []slackgo.MsgOption{slackgo.MsgOptionText(text, false), slackgo.MsgOptionBlocks(blocks...), slackgo.MsgOptionDisableLinkUnfurl()}
	if threadTS != "" {
		opts = append(opts, slackgo.MsgOptionTS(threadTS))
	}
	var ts string
	err := s.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = s.client.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

func sanitizeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
