package daemon

import (
	"strings"
	"testing"
	"time"
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
