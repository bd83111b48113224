package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
)

// Why a queued job waits: one reason for each thing that holds it.
func TestWaitingReasons(t *testing.T) {
	night, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	always, _ := ParseWindow("always")
	noon := time.Date(2026, 12, 2, 12, 0, 0, 0, time.Local)
	late := time.Date(2026, 12, 2, 5, 30, 0, 0, time.Local) // 30 minutes left
	base := queueView{now: noon, window: always, concurrency: 2, queue: []string{"a", "b", "c"}, predicted: time.Hour}
	cases := []struct {
		name string
		v    func(v queueView) queueView
		id   string
		want string
	}{
		{"operator pause", func(v queueView) queueView { v.paused, v.reason = true, "paused by the operator"; return v }, "a", "queue paused by the operator"},
		{"breaker", func(v queueView) queueView {
			v.paused, v.reason = true, "circuit breaker: 3 jobs in a row ended rolled-back with the same cause: no-space"
			return v
		}, "a", "queue paused by the circuit breaker: 3 jobs in a row ended rolled-back with the same cause: no-space"},
		{"window closed", func(v queueView) queueView { v.window = night; return v }, "a", "window 22:00-06:00 closed (opens at 22:00)"},
		{"does not fit", func(v queueView) queueView { v.window, v.now = night, late; return v }, "a", "predicted 1h0m0s does not fit in the 30m0s left of the window 22:00-06:00"},
		{"concurrency full", func(v queueView) queueView { v.running = 2; return v }, "a", "concurrency full (2 of 2 running)"},
		{"behind others", func(v queueView) queueView { v.running = 1; return v }, "c", "2 queued ahead of it"},
		{"next to start", func(v queueView) queueView { return v }, "b", "starting"},
		{"draining", func(v queueView) queueView { v.stopping = true; return v }, "a", "the daemon is shutting down"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.v(base).waiting(c.id, "queued"); !strings.HasPrefix(got, c.want) {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
	if got := base.waiting("a", "attach"); got != "" {
		t.Errorf("a running job waits: %q", got)
	}
}

// What enqueue refuses, one zone at a time, and the one request it refuses
// as a whole (400 invalid, not internal): a bad --allow.
func TestEnqueueRefusals(t *testing.T) {
	newScenario(t, fast, `{"profile": "oi", "seed": 1, "zones": [{"name": "z1"}, {"name": "z2"}]}`)
	e := startEngine(t, nil)
	if err := e.Pause(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Enqueue(ctx, api.EnqueueRequest{Zones: []string{"z1"}, Allow: []string{"image-update"}}); !errors.Is(err, api.ErrInvalid) || api.StatusOf(err) != 400 {
		t.Fatalf("a bad --allow: %v (status %d)", err, api.StatusOf(err))
	}
	res, err := e.Enqueue(ctx, api.EnqueueRequest{Zones: []string{"z1", "z1", "nosuch", "global", "z2"}, Allow: []string{"7", "remove-conflicts"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "invalid", "unknown-zone", "global", ""}
	for i, r := range res {
		if r.Code != want[i] {
			t.Errorf("%s: code %q (%s), want %q", r.Zone, r.Code, r.Error, want[i])
		}
	}
	if !strings.Contains(res[1].Error, "given twice") {
		t.Errorf("the second z1: %q", res[1].Error)
	}
	if j, _ := e.Status(context.Background(), "z2"); strings.Join(j.Allow, ",") != "remove-conflicts,recreate-image" {
		t.Errorf("allow %v, want ladder order", j.Allow)
	}
}

// Longest predicted first, enqueue order among equals, and with a window
// the longest that still fits.
func TestPickLongest(t *testing.T) {
	p := map[string]time.Duration{"a": time.Hour, "b": 3 * time.Hour, "c": 3 * time.Hour, "d": 30 * time.Minute}
	predict := func(id string) time.Duration { return p[id] }
	q := []string{"a", "b", "c", "d"}
	if got := pickLongest(q, predict, 0, true); got != 1 {
		t.Errorf("always open: picked %d, want 1 (b, before c)", got)
	}
	if got := pickLongest(q, predict, 2*time.Hour, false); got != 0 {
		t.Errorf("2h left: picked %d, want 0 (a)", got)
	}
	if got := pickLongest(q, predict, 10*time.Minute, false); got != -1 {
		t.Errorf("10m left: picked %d, want none", got)
	}
}
