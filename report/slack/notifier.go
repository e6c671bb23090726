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
	"golang.org/x/time/rate"

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
	MaxWait time.Duration
	// UpdatesPerMinute paces chat.update, which Slack allows about 50
	// times a minute (Tier 3): at most this many a minute after a burst
	// of UpdateBurst (defaults 30 and 20, so that no minute sees more
	// than 50, and the final edits of 20 pods whose windows end together
	// go out at once). The handler coalesces each pod's updates while
	// they wait.
	UpdatesPerMinute int
	UpdateBurst      int

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
	updates *rate.Limiter // paces chat.update
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
	if cfg.UpdatesPerMinute <= 0 {
		cfg.UpdatesPerMinute = 30
	}
	if cfg.UpdateBurst <= 0 {
		cfg.UpdateBurst = 20
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
		updates: rate.NewLimiter(rate.Limit(float64(cfg.UpdatesPerMinute)/60), cfg.UpdateBurst),
	}, nil
}

// Notify posts ev. When the incident has no thread yet it posts the parent
// first and returns the new thread, even if a later step fails.
func (s *Notifier) Notify(ctx context.Context, ev report.Event) (report.Thread, error) {
	th, _, err := s.Reply(ctx, ev)
	return th, err
}

// Reply posts ev as Notify does, and returns, for a pod's report
// (Progress or Captured), the ts of the pod's reply: posted when
// ev.Pod.Reply is empty, else that reply edited in place (chat.update),
// so that each pod has one reply however many times its report is made
// again. The full report is attached as a file only with the final report
// (Captured), when it does not fit in the message.
func (s *Notifier) Reply(ctx context.Context, ev report.Event) (report.Thread, string, error) {
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
			return report.Thread{}, "", fmt.Errorf("post the incident's parent message: %w", err)
		}
		th = report.Thread{Channel: ch, TS: ts}
	}
	switch ev.Kind {
	case report.Captured, report.Progress:
		if ev.Pod != nil {
			ts, err := s.postPod(ctx, th, inc, *ev.Pod, ev.Kind == report.Captured)
			return th, ts, err
		}
	case report.Resolved:
		return th, "", s.postResolved(ctx, th, inc)
	}
	return th, "", nil
}

func (s *Notifier) route(lbls map[string]string) (channel, mentionID string) {
	for _, r := range s.cfg.Routes {
		if r.matches(lbls) {
			return r.Channel, r.Mention
		}
	}
	return s.cfg.Channel, ""
}

// postPod posts the pod's reply, or edits it when pr.Reply names it, and
// returns its ts. With final, a report cut to fit is attached whole.
func (s *Notifier) postPod(ctx context.Context, th report.Thread, inc report.Incident, pr report.PodReport, final bool) (string, error) {
	_, mentionID := s.route(inc.Labels)
	if pr.Owner != "" {
		mentionID = pr.Owner
	}
	msg := podMessage(pr, mentionID)
	ts, err := s.reply(ctx, th, pr.Reply, msg)
	if err != nil {
		return ts, fmt.Errorf("post the report for %s: %w", pr.PodName(), err)
	}
	if final {
		// The picture goes with the final report only: an early one is
		// edited in place, and an upload cannot be.
		s.uploadFlame(ctx, th, pr)
	}
	if !final || !msg.cut.any() {
		return ts, nil
	}
	s.log.Info("report cut to fit Slack, attaching it whole", "target", pr.Target,
		"sections_cut", len(msg.cut.Sections), "rows_cut", msg.cut.Rows)
	// The whole report did not fit in a message: attach it as a file in
	// the thread rather than lose it.
	var b strings.Builder
	if err := report.WritePod(&b, pr); err != nil {
		return ts, err
	}
	err = s.call(ctx, "files.uploadV2", func(ctx context.Context) error {
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
		return ts, fmt.Errorf("upload the full report for %s: %w", pr.Target, err)
	}
	return ts, nil
}

// reply posts msg in the thread, or edits the reply ts when set. A reply
// that is gone (deleted in Slack) is posted again.
func (s *Notifier) reply(ctx context.Context, th report.Thread, ts string, msg slackMessage) (string, error) {
	if ts == "" {
		return s.post(ctx, th.Channel, th.TS, msg.text, msg.blocks)
	}
	err := s.update(ctx, th.Channel, ts, msg.text, msg.blocks)
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "message_not_found" {
		s.log.Warn("the pod's reply is gone; posting it again", "ts", ts)
		return s.post(ctx, th.Channel, th.TS, msg.text, msg.blocks)
	}
	return ts, err
}

// update edits the message ts, paced to stay within chat.update's rate
// limit.
func (s *Notifier) update(ctx context.Context, channel, ts, text string, blocks []slackgo.Block) error {
	if err := s.updates.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the chat.update rate: %w", err)
	}
	return s.call(ctx, "chat.update", func(ctx context.Context) error {
		_, _, _, err := s.client.UpdateMessageContext(ctx, channel, ts,
			slackgo.MsgOptionText(text, false), slackgo.MsgOptionBlocks(blocks...))
		return err
	})
}

func (s *Notifier) postResolved(ctx context.Context, th report.Thread, inc report.Incident) error {
	blocks, text := resolvedReply(inc)
	if _, err := s.post(ctx, th.Channel, th.TS, text, blocks); err != nil {
		return fmt.Errorf("post the resolved reply: %w", err)
	}
	_, mentionID := s.route(inc.Labels)
	blocks, text = parentMessage(inc, mentionID)
	if err := s.update(ctx, th.Channel, th.TS, text, blocks); err != nil {
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
