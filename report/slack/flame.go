package slack

import (
	"bytes"
	"context"

	slackgo "github.com/slack-go/slack"

	"github.com/alertprof/alertprof/report"
)

// uploadFlame puts the pod's flame graph into the thread as an image
// (files upload v2: files.getUploadURLExternal, the upload, then
// files.completeUploadExternal with the channel and thread), with its alt
// text. It runs after the pod's reply is posted, with the same retries
// and rate-limit waits as every call; a failure is logged and leaves the
// reply as it is.
func (s *Notifier) uploadFlame(ctx context.Context, th report.Thread, pr report.PodReport) {
	f := pr.Flame
	if f == nil || len(f.PNG) == 0 {
		return
	}
	err := s.call(ctx, "files.uploadV2", func(ctx context.Context) error {
		_, err := s.client.UploadFileContext(ctx, slackgo.UploadFileParameters{
			Reader:          bytes.NewReader(f.PNG),
			FileSize:        len(f.PNG),
			Filename:        "flame-" + sanitizeFileName(pr.PodName()) + "-" + sanitizeFileName(f.Profile) + ".png",
			Title:           "Flame graph: " + pr.PodName() + " " + f.Profile,
			AltTxt:          f.AltText,
			Channel:         th.Channel,
			ThreadTimestamp: th.TS,
		})
		return err
	})
	if err != nil {
		s.log.Warn("uploading the flame graph failed; the reply stands without it",
			"target", pr.Target, "profile", f.Profile, "error", err)
	}
}
