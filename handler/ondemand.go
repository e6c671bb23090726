package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/alertmanager/template"
	k8slabels "k8s.io/apimachinery/pkg/labels"

	"github.com/alertprof/alertprof/capture"
)

// CaptureRequest asks for a capture on demand, by a person rather than an
// alert. It names exactly one of: a pod (Namespace and Pod), the pods of a
// label selector (Namespace and Selector), or an address (static mode,
// inside the allowed CIDRs). Every target goes through the same resolver,
// limits and pipeline as an alert's.
type CaptureRequest struct {
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Selector  string `json:"selector,omitempty"`
	Address   string `json:"address,omitempty"`
	// Profiles names the profiles to capture (heap, cpu, goroutines, ...);
	// empty takes the plan of Kind, else the default plan.
	Profiles []string `json:"profiles,omitempty"`
	Kind     string   `json:"kind,omitempty"`
	// CPUSeconds overrides the CPU window (1 to capture.MaxCPUSeconds).
	CPUSeconds int `json:"cpu_seconds,omitempty"`
	// Notify posts the capture like an alert's incident (a Slack thread,
	// or the console); false only returns the report and its links.
	Notify bool `json:"notify,omitempty"`
	// Incident continues an open incident: the reports go to its thread.
	Incident string `json:"incident,omitempty"`
	// Reason is shown as the incident's summary ("checkout p99 is slow").
	Reason string `json:"reason,omitempty"`
}

// onDemandAlertName names on-demand incidents and their reports.
const onDemandAlertName = "OnDemandCapture"

// maxCaptureRequestBytes bounds a capture request's body.
const maxCaptureRequestBytes = 64 << 10

// validate checks req and returns the labels the resolver understands.
func (req *CaptureRequest) validate(maxLabelBytes int) (map[string]string, error) {
	for name, v := range map[string]string{"namespace": req.Namespace, "pod": req.Pod, "selector": req.Selector,
		"address": req.Address, "kind": req.Kind, "incident": req.Incident, "reason": req.Reason} {
		if len(v) > maxLabelBytes {
			return nil, badRequest("%s is longer than %d bytes", name, maxLabelBytes)
		}
	}
	labels := map[string]string{"alertname": onDemandAlertName}
	switch {
	case req.Address != "" && (req.Pod != "" || req.Selector != "" || req.Namespace != ""):
		return nil, badRequest("address names the target by itself: give address alone, or namespace with pod or selector")
	case req.Address != "":
		labels["instance"] = req.Address
	case req.Pod != "" && req.Selector != "":
		return nil, badRequest("give pod or selector, not both")
	case req.Namespace == "" && (req.Pod != "" || req.Selector != ""):
		return nil, badRequest("namespace is required with pod or selector")
	case req.Pod != "":
		labels["namespace"], labels["pod"] = req.Namespace, req.Pod
	case req.Selector != "":
		sel, err := k8slabels.Parse(req.Selector)
		if err != nil {
			return nil, badRequest("selector %q: %v", req.Selector, err)
		}
		if sel.Empty() {
			return nil, badRequest("selector %q selects every pod; name the pods to capture", req.Selector)
		}
		labels["namespace"], labels[capture.SelectorLabel] = req.Namespace, sel.String()
	default:
		return nil, badRequest("no target: give namespace and pod, namespace and selector, or address")
	}
	if req.Kind != "" {
		if !slices.Contains(capture.Kinds, req.Kind) {
			return nil, badRequest("unknown kind %q (known: %s)", req.Kind, strings.Join(capture.Kinds, ", "))
		}
		labels["alertprof_kind"] = req.Kind
	}
	if req.CPUSeconds != 0 && (req.CPUSeconds < 1 || req.CPUSeconds > capture.MaxCPUSeconds) {
		return nil, badRequest("cpu_seconds must be between 1 and %d", capture.MaxCPUSeconds)
	}
	return labels, nil
}

// planOf is the plan for req: its profiles, else its kind's plan, else the
// default plan; a CPU window in the request applies to the cpu profile,
// and to the delta profiles (allocs, block, mutex) when their window
// follows the CPU's (capture.DeltaCPU).
func (h *Handler) planOf(req *CaptureRequest, a template.Alert) ([]capture.Profile, error) {
	if len(req.Profiles) > 0 {
		s := h.cfg.Settings
		if req.CPUSeconds > 0 {
			s.CPUSeconds = req.CPUSeconds
		}
		plan, err := capture.PlanFor(req.Profiles, s)
		if err != nil {
			return nil, badRequest("profiles: %v", err)
		}
		return plan, nil
	}
	_, plan := h.planFor(a)
	plan = slices.Clone(plan)
	if req.CPUSeconds > 0 {
		for i := range plan {
			followsCPU := plan[i].Delta() && h.cfg.Settings.DeltaSeconds == capture.DeltaCPU
			if plan[i].Name == "cpu" || followsCPU {
				plan[i].Seconds = req.CPUSeconds
			}
		}
	}
	return plan, nil
}

// resolveError turns a resolver error into the request's answer: 403 for
// policy (a denied namespace, an address outside the allowed CIDRs), 404
// when nothing matches, 502 when the cluster could not be asked.
func resolveError(err error) *requestError {
	switch {
	case errors.Is(err, capture.ErrNotAllowed):
		return &requestError{code: http.StatusForbidden, msg: err.Error()}
	case errors.Is(err, capture.ErrNoTarget):
		return &requestError{code: http.StatusNotFound, msg: err.Error()}
	}
	return &requestError{code: http.StatusBadGateway, msg: fmt.Sprintf("resolving the target failed: %v", err)}
}

// serveCaptureRequest starts a capture on demand. It resolves the target
// at once, so that a request for nothing, or for something alertprof may
// not fetch, is refused with a clear status; the capture itself runs on
// its own context and the answer is 202 with the capture's state. GET
// /api/v1/captures/{id} follows its progress and returns the reports.
func (h *Handler) serveCaptureRequest(w http.ResponseWriter, r *http.Request) {
	log := h.log.With("remote", r.RemoteAddr)
	if !admit(w, r, h.cfg.captureAuth(), h.log, "capture request") {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	req, err := decodeCaptureRequest(http.MaxBytesReader(w, r.Body, maxCaptureRequestBytes))
	if err == nil {
		// Resolution reads the cluster; it is bounded, and it is the only
		// work done on the request's context.
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		var c *OnDemand
		if c, err = h.StartCapture(ctx, req); err == nil {
			st := c.Status()
			log.Info("capture on demand accepted", "capture", st.ID, "incident", st.Incident, "targets", len(st.Targets))
			w.Header().Set("Location", "/api/v1/captures/"+st.ID)
			writeJSON(w, http.StatusAccepted, st)
			return
		}
	}
	var re *requestError
	if !errors.As(err, &re) {
		re = &requestError{code: http.StatusInternalServerError, msg: err.Error()}
	}
	log.Warn("capture request refused", "status", re.code, "error", re.msg)
	writeError(w, re.code, re.msg)
}

func decodeCaptureRequest(r io.Reader) (CaptureRequest, error) {
	var req CaptureRequest
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return req, &requestError{code: http.StatusRequestEntityTooLarge,
				msg: fmt.Sprintf("the body is larger than the %d-byte limit", tooBig.Limit)}
		}
		return req, badRequest("malformed capture request: %v", err)
	}
	if dec.More() {
		return req, badRequest("malformed capture request: more than one value in the body")
	}
	return req, nil
}

// serveCaptureStatus answers the state of one capture on demand: per
// target and per profile while it runs, and the pod reports once done.
func (h *Handler) serveCaptureStatus(w http.ResponseWriter, r *http.Request) {
	if !admit(w, r, h.cfg.captureAuth(), h.log, "capture status request") {
		return
	}
	id := chi.URLParam(r, "id")
	if c := h.ondemand.get(id); c != nil {
		writeJSON(w, http.StatusOK, c.Status())
		return
	}
	// Finished and no longer in memory, or run by another replica: its
	// incident record has it.
	st, ok, err := h.storedCapture(r.Context(), id)
	switch {
	case err != nil:
		h.log.Error("reading a finished capture from the store failed", "capture", id, "error", err)
		writeError(w, http.StatusBadGateway, "the capture's record could not be read from the store; retry later")
	case !ok:
		writeError(w, http.StatusNotFound, "no such capture (a capture that continued an alert's incident is in that incident's record)")
	default:
		writeJSON(w, http.StatusOK, st)
	}
}
