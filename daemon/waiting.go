package daemon

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"zoneup/daemon/api"
	"zoneup/fsm"
)

// queueView is what decides whether a queued job may start, taken at one
// instant so that every job of a listing is explained against the same
// picture.
type queueView struct {
	now                  time.Time
	window               Window
	paused, stopping     bool
	reason               string
	running, concurrency int
	queue                []string // queued job ids, in enqueue order
	predicted            time.Duration
	history              bool // predicted comes from earlier jobs (this night's, or upgrades)
	// byJob is the prediction of each queued job (its zone's last run),
	// where it differs from predicted.
	byJob map[string]time.Duration
}

func (e *Engine) view() queueView {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.config()
	v := queueView{
		now: e.now(), window: cfg.Window, paused: e.paused, stopping: e.stopping, reason: e.reason,
		running: len(e.running), concurrency: cfg.Concurrency, queue: slices.Clone(e.queue),
		predicted: e.predictLocked(cfg), history: len(e.durations)+len(e.tonight) > 0, byJob: map[string]time.Duration{},
	}
	for _, id := range e.queue {
		if d, ok := e.zoneDur[e.queuedZone[id]]; ok && d > 0 {
			v.byJob[id] = d
		}
	}
	return v
}

// predict is the expected duration of job id.
func (v queueView) predict(id string) time.Duration {
	if d, ok := v.byJob[id]; ok {
		return d
	}
	return v.predicted
}

// waiting says why the queued job id has not started ("" when it is not
// queued): the first of shutting down, paused (by the operator or the
// circuit breaker, with its cause), window closed (and when it opens),
// predicted duration longer than what is left of the window (both
// numbers), every slot taken, or jobs ahead of it in the queue.
func (v queueView) waiting(id, state string) string {
	if state != string(fsm.Queued) {
		return ""
	}
	left := v.window.Remaining(v.now)
	switch {
	case v.stopping:
		return "the daemon is shutting down"
	case v.paused && strings.HasPrefix(v.reason, "circuit breaker"):
		return "queue paused by the " + v.reason + " (zoneupadm resume)"
	case v.paused:
		return "queue paused by the operator (zoneupadm resume)"
	case !v.window.Always && left <= 0:
		return fmt.Sprintf("window %s closed (opens at %s)", v.window, v.window.NextOpen(v.now).Format("15:04"))
	case !v.window.Always && v.predict(id) > left:
		return fmt.Sprintf("predicted %s does not fit in the %s left of the window %s (opens again at %s)",
			roundDur(v.predict(id)), roundDur(left), v.window, v.window.NextOpen(v.now.Add(left)).Format("15:04"))
	case v.running >= v.concurrency:
		return fmt.Sprintf("concurrency full (%d of %d running)", v.running, v.concurrency)
	}
	// Jobs start longest predicted first, so the ones ahead are those
	// predicted longer (and, among equals, queued earlier).
	ahead, mine, pos := 0, v.predict(id), slices.Index(v.queue, id)
	for i, other := range v.queue {
		if p := v.predict(other); p > mine || p == mine && i < pos {
			ahead++
		}
	}
	if ahead >= v.concurrency-v.running {
		return fmt.Sprintf("%d queued ahead of it", ahead)
	}
	return "starting"
}

// apiJob is the job object with what the queue says of it now.
func (v queueView) apiJob(a api.Job) api.Job {
	a.Waiting = v.waiting(a.ID, a.State)
	if _, own := v.byJob[a.ID]; !a.Terminal && (v.history || own) {
		a.Predicted = int64(v.predict(a.ID) / time.Second)
	}
	return a
}

// annotate applies apiJob to each of jobs.
func (e *Engine) annotate(jobs []api.Job) {
	v := e.view()
	for i := range jobs {
		jobs[i] = v.apiJob(jobs[i])
	}
}

// roundDur rounds a duration for people: to the minute past an hour, to
// the second below.
func roundDur(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}
