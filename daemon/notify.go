package daemon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/metrics"
	"zoneup/host"
	"zoneup/persist"
)

// The daemon's two ways of telling the host what it does, besides its
// log: the Prometheus textfile (metrics_file), rewritten shortly after
// every change of a job's state or of the queue, and the morning report
// mailed (report_mail) at the end of a window in which jobs finished (with
// a window that is always open: when the queue has emptied). A failure of
// either is logged and never touches a job.

// metricsDelay gathers the changes of one moment into one write.
const metricsDelay = 100 * time.Millisecond

// stateChanged asks for the metrics file to be written again.
func (e *Engine) stateChanged() {
	select {
	case e.metricsKick <- struct{}{}:
	default:
	}
}

// metricsLoop writes the metrics file after each burst of changes, and once
// more when the daemon drains.
func (e *Engine) metricsLoop() {
	defer close(e.metricsDone)
	for {
		select {
		case <-e.metricsKick:
		case <-e.soft.Done():
			e.writeMetrics()
			return
		}
		t := time.NewTimer(metricsDelay)
		select {
		case <-t.C:
		case <-e.soft.Done():
			t.Stop()
		}
		e.writeMetrics()
	}
}

// writeMetrics takes the job counts and the queue state and writes the
// file, when one is configured.
func (e *Engine) writeMetrics() {
	cfg := e.config()
	if cfg.MetricsFile == "" {
		return
	}
	byState, byResult, byRung := map[string]int{}, map[string]int{}, map[string]int{}
	err := e.store.ForEachJob(func(j *persist.Job) error {
		byState[j.State]++
		if j.Result != "" {
			byResult[j.Result]++
		}
		if j.Result == "upgraded" && j.Rung != "" {
			byRung[j.Rung]++
		}
		return nil
	})
	if err != nil {
		e.log.Warn().Err(err).Msg("metrics: cannot count the jobs")
		return
	}
	e.metrics.Jobs(byState, byResult, byRung)
	e.mu.Lock()
	tripped := e.paused && strings.HasPrefix(e.reason, "circuit breaker")
	e.metrics.Queue(e.paused, tripped, e.breaker.n, cfg.Window.Remaining(e.now()) > 0)
	e.mu.Unlock()
	if err := e.metrics.WriteFile(cfg.MetricsFile); err != nil {
		e.log.Warn().Err(err).Str("file", cfg.MetricsFile).Msg("metrics file not written")
	}
}

// observeTool counts a tool run in the metrics.
func (e *Engine) observeTool(res host.Result) {
	if len(res.Argv) > 0 {
		e.metrics.Tool(filepath.Base(res.Argv[0]), res.Duration, res.Code)
	}
}

// mailReport mails the report of req to report_mail if jobs finished in
// it, and records the report.
func (e *Engine) mailReport(ctx context.Context, req api.ReportRequest) {
	cfg := e.config()
	if cfg.ReportMail == "" {
		return
	}
	rep, err := e.Report(ctx, req)
	if err != nil {
		e.log.Warn().Err(err).Msg("report not mailed")
		return
	}
	finished := 0
	for _, n := range rep.Summary {
		finished += n
	}
	if finished == 0 {
		return
	}
	var body bytes.Buffer
	if err := api.WriteReport(&body, rep, e.now()); err != nil {
		e.log.Warn().Err(err).Msg("report not mailed")
		return
	}
	hostname, _ := os.Hostname()
	var parts []string
	for _, r := range api.Results {
		if n := rep.Summary[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
	}
	subject := fmt.Sprintf("zoneup on %s: %s (%s)", hostname, strings.Join(parts, ", "), rep.Scope)
	if err := e.tools("").SendMail(ctx, "", cfg.ReportMail, subject, body.String()); err != nil {
		e.log.Warn().Err(err).Str("to", cfg.ReportMail).Msg("report not mailed")
		return
	}
	e.metrics.Reported(e.now())
	e.stateChanged()
	e.log.Info().Str("to", cfg.ReportMail).Str("scope", rep.Scope).Int("jobs", len(rep.Jobs)).Msg("report mailed")
}

// afterNight settles the global publishers and mails the report when a
// night is over: the window closed
// (with jobs finished in it), or, with a window that is always open, the
// queue has emptied since the last mail. It runs on the scheduler's
// goroutine, outside e.mu.
func (e *Engine) afterNight(wasOpen bool) (open bool) {
	cfg := e.config()
	now := e.now()
	open = cfg.Window.Remaining(now) > 0
	e.mu.Lock()
	if (wasOpen && !open) || (cfg.Window.Always && len(e.queue) == 0 && len(e.running) == 0) {
		e.tonight = nil // the night is over
	}
	e.mu.Unlock()
	if wasOpen && !open {
		// The window closed: no queued job may start any more, so a strip
		// kept for one is restored (if no running job holds it). Here, on
		// the scheduler's goroutine: nothing may start until the window
		// opens again anyway.
		if err := e.gz.settle(e.hard, e.tools(""), e.hostNote); err != nil {
			e.log.Error().Err(err).Msg("global zone publishers not restored at the window's end")
		}
	}
	if cfg.ReportMail == "" {
		return open
	}
	if !cfg.Window.Always {
		start, _ := cfg.Window.Last(now)
		e.mu.Lock()
		due := wasOpen && !open && e.lastMail.Before(start)
		if due {
			e.lastMail = now
			e.saveQueueLocked()
		}
		e.mu.Unlock()
		if due {
			go e.mailReport(e.hard, api.ReportRequest{Night: start.Format("2006-01-02")})
		}
		return open
	}
	e.mu.Lock()
	idle := len(e.queue) == 0 && len(e.running) == 0 && e.finishedSinceMail
	since := e.lastMail
	if idle {
		e.finishedSinceMail = false
		e.lastMail = now
		e.saveQueueLocked()
	}
	e.mu.Unlock()
	if idle {
		req := api.ReportRequest{Since: since, All: since.IsZero()}
		go e.mailReport(e.hard, req)
	}
	return open
}

// newMetrics is the daemon's metrics registry.
func newMetrics() *metrics.Set { return metrics.New() }
