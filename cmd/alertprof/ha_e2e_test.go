//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHighAvailability runs three `alertprof serve` replicas with
// coordination enabled against a real kube-apiserver (Leases, pods), a
// real MinIO (the shared records), two real Alertmanagers clustered with
// --cluster.peer, each delivering to a different replica, real pprof
// servers as the pods, and the Slack recorder.
//
// An incident of three pods goes through firing, repeats and resolved:
// one thread (one parent, three pod replies, one resolved reply, one
// update), each pod captured once as counted at the pods. Then the
// replica working a second incident is SIGKILLed in the middle of a pod's
// CPU window: another replica takes the incident over in the same thread
// and captures that pod again, once, and nothing else twice.
func TestHighAvailability(t *testing.T) {
	e := newHAEnv(t)
	var pods []*haPod
	for _, name := range []string{"api-0", "api-1", "api-2", "web-0", "web-1", "web-2", "db-0", "db-1"} {
		pods = append(pods, e.runPod(t, name))
	}
	const cpu = `  cpu_seconds: 3
  profiles: [heap, goroutine, cpu]
`
	for i := range 3 {
		e.startReplica(t, i, cpu)
	}
	ams := startAlertmanagerPair(t, e.work, [2]string{e.replicas[0].addr, e.replicas[1].addr}, "2s", "4s")
	// endpoint names as the pods count them
	plan := []string{"heap", "goroutine", "profile"}

	t.Run("one thread, each pod once", func(t *testing.T) {
		api := pods[:3]
		startsAt := time.Now().Add(-time.Minute).Truncate(time.Second)
		fireAt(t, ams, podAlerts("ApiSlow", api, startsAt, time.Time{}))
		waitUntil(t, 90*time.Second, "three pod replies", func() bool { return e.slackThread("ApiSlow", api).pods >= 3 })
		// Repeats reach the replicas: both Alertmanagers deliver.
		waitUntil(t, 60*time.Second, "repeats delivered to both replicas", func() bool {
			return strings.Count(e.replicas[0].output(), `msg="webhook accepted"`) >= 3 &&
				strings.Count(e.replicas[1].output(), `msg="webhook accepted"`) >= 3
		})
		// The repeats the other replica received reach the holder through
		// the store; they capture nothing more.
		waitUntil(t, 30*time.Second, "the holder takes in a handed-over notification", func() bool {
			for _, r := range e.replicas {
				if strings.Contains(r.output(), "took in a notification another replica received") {
					return true
				}
			}
			return false
		})
		fireAt(t, ams, podAlerts("ApiSlow", api, startsAt, time.Now().Add(-time.Second)))
		waitUntil(t, 60*time.Second, "the resolved reply and the parent's update", func() bool {
			th := e.slackThread("ApiSlow", api)
			return th.resolved >= 1 && th.updates >= 1
		})
		time.Sleep(3 * time.Second) // anything late would show up now
		th := e.slackThread("ApiSlow", api)
		if th.parents != 1 || th.pods != 3 || th.resolved != 1 || th.updates != 1 {
			t.Fatalf("Slack saw %+v; want one parent, three pod replies, one resolved reply, one update", th)
		}
		for _, p := range api {
			if th.podNames[p.name] != 1 {
				t.Errorf("%d replies name %s", th.podNames[p.name], p.name)
			}
			requireAsked(t, p, plan, 1)
		}
		left, lost := 0, 0
		for _, r := range e.replicas {
			left += strings.Count(r.output(), "leaving it to that one")
			m := "http://" + r.addr + "/metrics"
			lost += metricValue(t, m, `alertprof_claims_lost_total{kind="incident"}`)
			if !strings.Contains(string(httpGet(t, m)), "\nalertprof_leases_held ") {
				t.Errorf("%s does not export alertprof_leases_held", r.id)
			}
		}
		if left == 0 || lost != left {
			t.Errorf("%d notifications left to the incident's holder, %d counted as claims lost: the Alertmanagers did not both deliver, or the count is wrong", left, lost)
		}
	})

	t.Run("SIGKILL mid CPU window: taken over in the same thread", func(t *testing.T) {
		web := pods[3:6]
		startsAt := time.Now().Add(-time.Minute).Truncate(time.Second)
		fireAt(t, ams, podAlerts("WebSlow", web[:2], startsAt, time.Time{}))
		// Replies are posted early and edited as the CPU windows land: wait
		// for both final, so that only the third pod is cut short below.
		waitUntil(t, 90*time.Second, "two final pod replies", func() bool {
			th := e.slackThread("WebSlow", web)
			return th.final[web[0].name] && th.final[web[1].name]
		})
		// A third pod joins the firing group; its holder is killed once
		// the pod's CPU profile is recording.
		fireAt(t, ams, podAlerts("WebSlow", web, startsAt, time.Time{}))
		waitUntil(t, 60*time.Second, "web-2's CPU window begins", func() bool { return web[2].asked(t)["profile"] == 1 })
		holder := e.incidentHolder(t, "WebSlow")
		victim := e.replica(holder)
		if victim == nil {
			t.Fatalf("the incident's Lease is held by %q, not a replica", holder)
		}
		victim.kill(t)
		killed := time.Now()
		waitUntil(t, 90*time.Second, "web-2 captured again", func() bool { return web[2].asked(t)["profile"] >= 2 })
		var by *haReplica
		var line string
		waitUntil(t, 30*time.Second, "the takeover is logged", func() bool {
			for _, r := range e.replicas {
				if r != victim {
					if line = logLine(r.output(), "took an incident over from another replica"); line != "" {
						by = r
						return true
					}
				}
			}
			return false
		})
		if !strings.Contains(line, "from="+victim.id) || !strings.Contains(line, "thread=true") || !strings.Contains(line, "recapture=1") {
			t.Errorf("the takeover line does not name the victim, the thread and the one target to capture again:\n%s", line)
		}
		waitUntil(t, 60*time.Second, "web-2's reply", func() bool { return e.slackThread("WebSlow", web).podNames["web-2"] >= 1 })
		t.Logf("%s held the incident and was killed; %s took it over %s after the kill; web-2 asked for its CPU profile again %s after the kill (Lease %s, group_interval 2s, sweep 1s)",
			victim.id, by.id, logTime(t, line).Sub(killed).Round(100*time.Millisecond), time.Since(killed).Round(100*time.Millisecond), haLease)

		if m := string(httpGet(t, "http://"+by.addr+"/metrics")); !strings.Contains(m, "alertprof_takeovers_total 1\n") {
			t.Errorf("%s's metrics do not count one takeover", by.id)
		}
		fireAt(t, ams, podAlerts("WebSlow", web, startsAt, time.Now().Add(-time.Second)))
		waitUntil(t, 60*time.Second, "the resolved reply", func() bool { return e.slackThread("WebSlow", web).resolved >= 1 })
		time.Sleep(3 * time.Second)
		th := e.slackThread("WebSlow", web)
		if th.parents != 1 || th.pods != 3 || th.resolved != 1 {
			t.Fatalf("Slack saw %+v; want one parent, three pod replies, one resolved reply", th)
		}
		for _, p := range web {
			if th.podNames[p.name] != 1 {
				t.Errorf("%d replies name %s", th.podNames[p.name], p.name)
			}
		}
		requireAsked(t, web[0], plan, 1)
		requireAsked(t, web[1], plan, 1)
		requireAsked(t, web[2], plan, 2)
		for _, p := range pods[:3] {
			requireAsked(t, p, plan, 1)
		}
	})

	// Replicas restarted in a subtest run on until the whole test ends.
	top := t
	t.Run("rolling restart during an open incident", func(t *testing.T) {
		// The killed replica comes back first.
		for i, r := range e.replicas {
			if r.cmd.ProcessState != nil {
				r.start(top, "-back")
				e.replicas[i] = r
			}
		}
		db := pods[6:]
		startsAt := time.Now().Add(-time.Minute).Truncate(time.Second)
		fireAt(t, ams, podAlerts("DbSlow", db[:1], startsAt, time.Time{}))
		waitUntil(t, 90*time.Second, "db-0's reply", func() bool { return e.slackThread("DbSlow", db).pods >= 1 })
		for i, r := range e.replicas {
			if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if err := r.wait(60 * time.Second); err != nil {
				t.Fatalf("%s after SIGTERM: %v", r.id, err)
			}
			r.start(top, fmt.Sprintf("-restart-%d", i))
			if i == 0 { // a pod joins while the replicas restart
				fireAt(t, ams, podAlerts("DbSlow", db, startsAt, time.Time{}))
			}
		}
		waitUntil(t, 90*time.Second, "db-1's reply", func() bool { return e.slackThread("DbSlow", db).podNames["db-1"] >= 1 })
		fireAt(t, ams, podAlerts("DbSlow", db, startsAt, time.Now().Add(-time.Second)))
		waitUntil(t, 60*time.Second, "the resolved reply", func() bool { return e.slackThread("DbSlow", db).resolved >= 1 })
		time.Sleep(3 * time.Second)
		th := e.slackThread("DbSlow", db)
		if th.parents != 1 || th.pods != 2 || th.resolved != 1 || th.podNames["db-0"] != 1 || th.podNames["db-1"] != 1 {
			t.Fatalf("Slack saw %+v; want one parent, one reply per pod, one resolved reply", th)
		}
		for _, p := range db {
			requireAsked(t, p, plan, 1)
		}
		for _, p := range pods[:5] {
			requireAsked(t, p, plan, 1)
		}
		requireAsked(t, pods[5], plan, 2)
	})

	t.Run("capture on demand on one replica, its state from another", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+e.replicas[2].addr+"/api/v1/captures",
			strings.NewReader(`{"namespace":"shop","pod":"web-0","profiles":["goroutine"]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+haToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			ID, State string
			Pods      []struct{ Target string }
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusAccepted {
			t.Fatalf("capture request: %d %v", resp.StatusCode, err)
		}
		other := "http://" + e.replicas[0].addr + "/api/v1/captures/" + st.ID
		waitUntil(t, 60*time.Second, "another replica answers the capture done", func() bool {
			req, _ := http.NewRequest(http.MethodGet, other, nil)
			req.Header.Set("Authorization", "Bearer "+haToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			return resp.StatusCode == http.StatusOK && json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st) == nil && st.State == "done"
		})
		if len(st.Pods) != 1 || st.Pods[0].Target != "shop/web-0" {
			t.Fatalf("the capture as another replica reads it: %+v", st)
		}
		if n := pods[3].asked(t)["goroutine"]; n != 2 {
			t.Fatalf("web-0's goroutine profile was asked for %d times, want 2 (the alert's and this one)", n)
		}
	})
}

// logLine returns the first line of out that contains msg.
func logLine(out, msg string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, msg) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// logTime is the time= of a log line.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	v, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
	at, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("no time in %q: %v", line, err)
	}
	return at
}

// requireAsked fails unless each endpoint of plan was asked of p exactly
// n times, and nothing else.
func requireAsked(t *testing.T, p *haPod, plan []string, n int) {
	t.Helper()
	asked := p.asked(t)
	for _, name := range plan {
		if asked[name] != n {
			t.Errorf("%s was asked for %s %d times, want %d (all: %v)", p.name, name, asked[name], n, asked)
		}
	}
	if len(asked) != len(plan) {
		t.Errorf("%s was asked for %v, want %v", p.name, asked, plan)
	}
}
