// Package metrics is zoneupd's Prometheus metrics, kept in a registry of
// their own (no Go runtime or process collectors: node_exporter exports
// those itself, and a textfile that repeated them would clash) and written
// in the text exposition format as a file for node_exporter's textfile
// collector: point --collector.textfile.directory at the folder and name
// the file *.prom (node_exporter reads only that suffix), for example
// /var/lib/node_exporter/textfile/zoneup.prom. The file is replaced
// atomically (a temporary file in the same folder, fsync'd, renamed over
// it), so the collector never reads half of it.
//
// The metrics, all prefixed zoneup_:
//
//	zoneup_jobs{state}                         gauge: jobs in each state (queued, preflight, ..., done,
//	                                           blocked, rolled-back, failed, cancelled) at the last snapshot
//	zoneup_job_results{result}                 gauge: terminal jobs by their result (done, blocked,
//	                                           rolled-back, failed, cancelled)
//	zoneup_upgrades_by_rung{rung}              gauge: upgraded (done) jobs by the rung that saved them
//	                                           (attach-update for a plain attach -u, global-publishers, ...)
//	zoneup_tool_calls_total{tool}              counter: runs of each host tool (zoneadm, zfs, pkg, beadm,
//	                                           zlogin, svcs, svcprop, mount, umount, sendmail, ...)
//	zoneup_tool_failures_total{tool}           counter: those runs that exited non-zero (or were killed)
//	zoneup_tool_call_duration_seconds{tool}    histogram: how long each run took; 16 exponential buckets
//	                                           from 0.01 s to 2 h (7200 s), a factor of about 2.46 apart
//	zoneup_attach_failures_total{class}        counter: failed zoneadm attach -u by class: no-solution,
//	                                           transport, locked, no-space, host, other (all six always
//	                                           present, from 0)
//	zoneup_queue_paused                        gauge: 1 while the queue is paused (by the operator or the
//	                                           circuit breaker), else 0
//	zoneup_breaker_tripped                     gauge: 1 while the circuit breaker holds the queue, else 0
//	zoneup_breaker_count                       gauge: jobs in a row that failed for the same unfixable cause
//	zoneup_window_open                         gauge: 1 while the maintenance window is open, else 0
//	zoneup_last_report_timestamp_seconds       gauge: Unix time of the last morning report (mailed or asked
//	                                           for); 0 until there is one
//
// The job gauges are a snapshot (Jobs): a label missing from the latest
// snapshot is removed, so a state no job is in any more disappears rather
// than keeping its old count. Counters only grow while the daemon runs and
// start again at 0 when it restarts, as Prometheus counters do.
//
// Every method of a Set is safe for concurrent use; a write sees each
// snapshot (Jobs, Queue) whole, never half applied.
package metrics

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// AttachClasses are the classes of a failed attach -u, each exported from
// zero.
var AttachClasses = []string{"no-solution", "transport", "locked", "no-space", "host", "other"}

// DurationBuckets are the histogram's upper bounds, in seconds: from
// 0.01 s (a zoneadm list) to 2 h (an attach -u over a slow link).
var DurationBuckets = prometheus.ExponentialBucketsRange(0.01, 7200, 16)

// Set is zoneupd's metrics in one registry, written as a node_exporter textfile.
type Set struct {
	// mu makes each snapshot setter and each Gather one step, so that a
	// write never sees a snapshot half applied.
	mu  sync.Mutex
	reg *prometheus.Registry

	jobs, results, rungs *prometheus.GaugeVec

	toolCalls, toolFailures *prometheus.CounterVec
	toolDuration            *prometheus.HistogramVec
	attachFailures          *prometheus.CounterVec

	paused, tripped, breakerCount, windowOpen prometheus.Gauge
	lastReport                                prometheus.Gauge
}

// New makes a Set with every metric registered: the label-less gauges at
// 0, the attach failure classes at 0, no jobs and no tool runs.
func New() *Set {
	s := &Set{reg: prometheus.NewRegistry()}
	gaugeVec := func(name, help, label string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "zoneup", Name: name, Help: help}, []string{label})
		s.reg.MustRegister(g)
		return g
	}
	counterVec := func(name, help, label string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "zoneup", Name: name, Help: help}, []string{label})
		s.reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "zoneup", Name: name, Help: help})
		s.reg.MustRegister(g)
		return g
	}
	s.jobs = gaugeVec("jobs", "Jobs in each state, at the last snapshot.", "state")
	s.results = gaugeVec("job_results", "Terminal jobs by result (done, blocked, rolled-back, failed, cancelled).", "result")
	s.rungs = gaugeVec("upgrades_by_rung", "Upgraded jobs by the rung of the rescue ladder that saved them.", "rung")
	s.toolCalls = counterVec("tool_calls_total", "Runs of each host tool (zoneadm, zfs, pkg, ...).", "tool")
	s.toolFailures = counterVec("tool_failures_total", "Runs of each host tool that exited non-zero.", "tool")
	s.toolDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "zoneup", Name: "tool_call_duration_seconds",
		Help: "How long each run of a host tool took, in seconds.", Buckets: DurationBuckets}, []string{"tool"})
	s.reg.MustRegister(s.toolDuration)
	s.attachFailures = counterVec("attach_failures_total",
		"Failed zoneadm attach -u by class (no-solution, transport, locked, no-space, host, other).", "class")
	for _, c := range AttachClasses {
		s.attachFailures.WithLabelValues(c)
	}
	s.paused = gauge("queue_paused", "1 while the queue is paused, by the operator or the circuit breaker.")
	s.tripped = gauge("breaker_tripped", "1 while the circuit breaker has paused the queue.")
	s.breakerCount = gauge("breaker_count", "Jobs in a row that failed for the same cause no rung can fix.")
	s.windowOpen = gauge("window_open", "1 while the maintenance window is open.")
	s.lastReport = gauge("last_report_timestamp_seconds", "Unix time the last morning report was produced (mailed or asked for).")
	return s
}

// Tool records one tool run: tool is the program's base name (zoneadm, zfs, pkg, ...),
// d its duration, code its exit code (non-zero counts as a failure).
func (s *Set) Tool(tool string, d time.Duration, code int) {
	tool = filepath.Base(tool)
	s.toolCalls.WithLabelValues(tool).Inc()
	if code != 0 {
		s.toolFailures.WithLabelValues(tool).Inc()
	} else {
		s.toolFailures.WithLabelValues(tool) // exported from 0
	}
	s.toolDuration.WithLabelValues(tool).Observe(max(d, 0).Seconds())
}

// AttachFailure counts one failed zoneadm attach -u by its class (no-solution, transport, locked, no-space, host, other).
// An empty class counts as other.
func (s *Set) AttachFailure(class string) {
	if class == "" {
		class = "other"
	}
	s.attachFailures.WithLabelValues(class).Inc()
}

// Jobs sets the job gauges from a whole snapshot (labels not in the maps are reset to 0 / removed):
// jobs per state, terminal jobs per result, upgraded jobs per rung that saved them.
// A label present with 0 is kept at 0.
func (s *Set) Jobs(byState, byResult, byRung map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range []struct {
		g *prometheus.GaugeVec
		m map[string]int
	}{{s.jobs, byState}, {s.results, byResult}, {s.rungs, byRung}} {
		x.g.Reset()
		for k, n := range x.m {
			x.g.WithLabelValues(k).Set(float64(n))
		}
	}
}

// Queue sets paused (by the operator or the breaker), the breaker's state (tripped, and the count of jobs in a row with the same unfixable cause) and whether the window is open now.
func (s *Set) Queue(paused, breakerTripped bool, breakerCount int, windowOpen bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused.Set(b2f(paused))
	s.tripped.Set(b2f(breakerTripped))
	s.breakerCount.Set(float64(breakerCount))
	s.windowOpen.Set(b2f(windowOpen))
}

// Reported records when a morning report was last produced (mailed or asked for).
func (s *Set) Reported(t time.Time) {
	s.lastReport.Set(float64(t.UnixNano()) / 1e9)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Write writes the exposition to w (WriteFile uses it).
func (s *Set) Write(w io.Writer) error {
	s.mu.Lock()
	mfs, err := s.reg.Gather()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// WriteFile writes the text exposition to path atomically: a temporary file in the same folder,
// fsync'd, then renamed over path, mode 0644. Safe for concurrent use with the setters.
// The temporary file starts with a dot and does not end in .prom, so the
// textfile collector never reads it; it is removed on any error.
func (s *Set) WriteFile(path string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = s.Write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	// The rename is durable once the folder is synced; a folder that
	// cannot be synced (some filesystems) does not fail the write.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
