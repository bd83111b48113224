package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/metrics"
	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

// Engine owns the queue, the workers and the global publisher keeper. The
// scheduler reacts to events (enqueue, a job ending, resume, reload, cancel,
// the window opening); it never polls.
type Engine struct {
	store persist.Store
	gz    *globalPublishers
	log   zerolog.Logger
	now   func() time.Time
	cfg   atomic.Pointer[Config]
	// reload re-reads the configuration (flags over SMF properties).
	reload func(context.Context) (Config, error)
	// spawn, when set, runs the host's tools in place of their processes
	// (Options.Spawn; tests only).
	spawn host.SpawnFunc

	mu        sync.Mutex
	queue     []string           // queued job ids, enqueue order
	running   map[string]*worker // by job id
	active    map[string]string  // zone -> id of its non-terminal job
	paused    bool
	reason    string
	durations []time.Duration // recent upgrade durations, for window admission
	// tonight is how long each job that ended this night took, whatever
	// its result (a rolled-back ladder is long): a zone never upgraded
	// before is predicted as the night's jobs have gone so far. It is
	// cleared when the night ends (the window closes, or with an always
	// window, the queue is empty and nothing runs).
	tonight []time.Duration
	// zoneDur is how long each zone's last finished job took, and
	// queuedZone the zone of each queued job: a zone's own history
	// predicts its next job (longest first, window admission).
	zoneDur    map[string]time.Duration
	queuedZone map[string]string
	// facts keeps the answers to host-wide questions for the night.
	facts   *hostFacts
	breaker struct {
		cause string
		n     int
	}
	lastID     string
	lastReport time.Time // the last default report (persisted with the queue state)
	stopping   bool
	tooLong    bool // warned that no job fits in the window

	wake chan struct{}
	// metrics is the registry behind metrics_file; metricsKick asks for
	// the file to be written again.
	metrics     *metrics.Set
	metricsKick chan struct{}
	metricsDone chan struct{}
	// finishedSinceMail: a job ended since the report was last mailed;
	// lastMail is when (always-open window).
	finishedSinceMail bool
	lastMail          time.Time
	changedMu         sync.Mutex
	changedCh         chan struct{}

	soft, hard             context.Context // soft: no new stage; hard: kill tools
	softCancel, hardCancel context.CancelFunc
	wg                     sync.WaitGroup
	done                   chan struct{}
}

type worker struct {
	id, zone string
	cancel   atomic.Bool
	// past: the job no longer needs the global zone stripped (its ladder
	// is over, or it is past global-publishers).
	past atomic.Bool
}

// NewEngine builds an engine on an open store.
func NewEngine(store persist.Store, cfg Config, reload func(context.Context) (Config, error), log zerolog.Logger) *Engine {
	e := &Engine{
		store:       store,
		gz:          &globalPublishers{store: store},
		log:         log,
		now:         time.Now,
		reload:      reload,
		running:     map[string]*worker{},
		zoneDur:     map[string]time.Duration{},
		queuedZone:  map[string]string{},
		active:      map[string]string{},
		wake:        make(chan struct{}, 1),
		metrics:     newMetrics(),
		metricsKick: make(chan struct{}, 1),
		metricsDone: make(chan struct{}),
		changedCh:   make(chan struct{}),
		done:        make(chan struct{}),
	}
	e.cfg.Store(&cfg)
	e.facts = newHostFacts(time.Now)
	e.gz.config = e.config
	e.gz.keep = e.mayNeedGlobal
	e.soft, e.softCancel = context.WithCancel(context.Background())
	// A tool killed at the drain's end fails with errInterrupted (its
	// error wraps the context's cause), as a shutdown, not as the zone's
	// failure: the job stays where it stood and resumes at the next start.
	hard, stop := context.WithCancelCause(context.Background())
	e.hard, e.hardCancel = hard, func() { stop(errInterrupted) }
	go e.metricsLoop()
	return e
}

// config returns the configuration in force.
func (e *Engine) config() Config { return *e.cfg.Load() }

// tools returns the host tools: every tool run is bounded by the
// configured timeouts.
func (e *Engine) tools(jobID string) host.Tools {
	t, _ := e.jobTools(jobID, nil)
	return t
}

// jobTools returns the host tools of a job, whose runs go to the job's log
// as they happen (liveLog), tagged with the rung rung points to; for no
// job ("") nothing is logged.
func (e *Engine) jobTools(jobID string, rung *atomic.Pointer[string]) (host.Tools, *liveLog) {
	cfg := e.config()
	r := host.NewRunner()
	r.ChangeTimeout = cfg.StageTimeout
	r.ReadTimeout = min(cfg.StageTimeout, 2*time.Minute)
	r.Spawn = e.spawn
	x := factExec{facts: e.facts, inner: r}
	if jobID == "" {
		r.Observe = e.observeTool
		return host.Tools{X: x}, nil
	}
	if rung == nil {
		rung = new(atomic.Pointer[string])
	}
	l := newLiveLog(e, jobID, rung)
	l.hook(r)
	return host.Tools{X: x}, l
}

// changed wakes everyone waiting on Changed.
func (e *Engine) changed() {
	e.changedMu.Lock()
	close(e.changedCh)
	e.changedCh = make(chan struct{})
	e.changedMu.Unlock()
}

// Changed returns a channel closed at the next change.
func (e *Engine) Changed() <-chan struct{} {
	e.changedMu.Lock()
	defer e.changedMu.Unlock()
	return e.changedCh
}

// kick wakes the scheduler.
func (e *Engine) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// newID makes a globally unique job id that sorts in enqueue order: UTC
// time to the microsecond plus a random suffix, so a snapshot name never
// collides with one left by an earlier database.
func (e *Engine) newID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	t := e.now().UTC()
	id := t.Format("20060102T150405.000000Z")
	if id <= e.lastID[:min(len(e.lastID), len(id))] {
		// Same microsecond (or the clock stepped back): keep the order.
		last, _ := time.Parse("20060102T150405.000000Z", e.lastID[:len(id)])
		id = last.Add(time.Microsecond).Format("20060102T150405.000000Z")
	}
	id += "-" + hex.EncodeToString(b[:])
	e.lastID = id
	return id
}

// start recovers the stored jobs: queued ones go back in the queue, the
// ones that were mid-stage resume at once (a running job is never
// abandoned), and the global publishers are restored if no job needs them.
func (e *Engine) start() error {
	q, err := e.store.Queue()
	if err != nil {
		return err
	}
	jobs, err := e.store.ActiveJobs()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.paused, e.reason = q.Paused, q.Reason
	e.breaker.cause, e.breaker.n = q.BreakerCause, q.BreakerCount
	e.lastReport, e.lastMail = q.LastReport, q.LastMail
	activeIDs := map[string]bool{}
	for _, j := range jobs {
		activeIDs[j.ID] = true
		e.active[j.Zone] = j.ID
		if j.State == string(fsm.Queued) {
			e.queue = append(e.queue, j.ID)
			e.queuedZone[j.ID] = j.Zone
		}
	}
	e.mu.Unlock()
	var resumed []string
	for _, j := range jobs {
		if j.State != string(fsm.Queued) {
			resumed = append(resumed, j.Zone+" ("+j.State+")")
			e.mu.Lock()
			e.launch(j)
			e.mu.Unlock()
		}
	}
	// Said once after every start, so the service log tells what a
	// restart picked up.
	e.log.Info().Int("resumed", len(resumed)).Strs("jobs", resumed).Int("queued", len(jobs)-len(resumed)).
		Msg("recovered the stored jobs")
	t := e.tools("")
	if err := e.gz.reconcile(e.hard, t, activeIDs, e.hostNote); err != nil {
		e.log.Error().Err(err).Msg("global zone publishers not restored yet")
	}
	go e.loadDurations()
	e.stateChanged()
	go e.schedule()
	return nil
}

// hostNote logs host-wide events that belong to no job.
func (e *Engine) hostNote(kind, text string) {
	e.log.Info().Str("kind", kind).Msg(text)
}

// loadDurations primes window admission with the durations of past
// upgrades.
func (e *Engine) loadDurations() {
	var ds []time.Duration
	zd := map[string]time.Duration{}
	_ = e.store.ForEachJob(func(j *persist.Job) error {
		if !j.Terminal() || j.Started.IsZero() || !j.Ended.After(j.Started) {
			return nil
		}
		zd[j.Zone] = j.Ended.Sub(j.Started) // the newest last: jobs come in id order
		if j.Result == "upgraded" {
			ds = append(ds, j.Ended.Sub(j.Started))
			if len(ds) > 50 {
				ds = ds[1:]
			}
		}
		return nil
	})
	e.mu.Lock()
	e.durations = append(ds, e.durations...)
	for z, d := range zd {
		if _, ok := e.zoneDur[z]; !ok {
			e.zoneDur[z] = d
		}
	}
	e.mu.Unlock()
	e.kick()
}

// schedule starts queued jobs when there is room, the queue is not paused
// and the window allows; it sleeps until something changes or the window
// next opens.
func (e *Engine) schedule() {
	open := e.config().Window.Remaining(e.now()) > 0
	for {
		open = e.afterNight(open)
		next := e.admit()
		if cfg := e.config(); open && !cfg.Window.Always {
			// Wake when the window closes too: the night is over (a kept
			// strip is restored, the report is due).
			if end := e.now().Add(cfg.Window.Remaining(e.now())); next.IsZero() || end.Before(next) {
				next = end
			}
		}
		var tc <-chan time.Time
		var timer *time.Timer
		if !next.IsZero() {
			timer = time.NewTimer(max(time.Until(next), time.Millisecond))
			tc = timer.C
		}
		select {
		case <-e.wake:
		case <-tc:
		case <-e.soft.Done():
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// admit starts what may start now and returns when to look again (zero:
// only when woken). Of the queued jobs it starts the one predicted longest
// (the zone's own last run, else the mean of recent upgrades, else
// default_job_duration; enqueue order among equals), so that a night does
// not end with one long ladder running alone; with a window, the longest
// that still fits in what is left of it.
func (e *Engine) admit() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.config()
	for !e.paused && !e.stopping && len(e.queue) > 0 && len(e.running) < cfg.Concurrency {
		now := e.now()
		left := cfg.Window.Remaining(now)
		if left <= 0 {
			return cfg.Window.NextOpen(now)
		}
		pick := pickLongest(e.queue, func(id string) time.Duration { return e.predictZoneLocked(cfg, e.queuedZone[id]) },
			left, cfg.Window.Always)
		if pick < 0 {
			// None would finish before dawn: wait for the next window.
			if p := e.predictLocked(cfg); p > cfg.Window.Length() && !e.tooLong {
				e.tooLong = true
				e.log.Warn().Str("window", cfg.Window.String()).Dur("predicted", p).
					Msg("a job is predicted to take longer than the whole window: nothing will start (widen window or lower default_job_duration)")
			}
			return cfg.Window.NextOpen(now.Add(left))
		}
		e.tooLong = false
		id := e.queue[pick]
		e.queue = slices.Delete(e.queue, pick, pick+1)
		delete(e.queuedZone, id)
		j, err := e.store.GetJob(id)
		if err != nil {
			e.log.Error().Err(err).Str("job", id).Msg("queued job unreadable")
			continue
		}
		if j.Started.IsZero() || j.State == string(fsm.Queued) {
			j.Started = now
		}
		e.launch(j)
	}
	return time.Time{}
}

// pickLongest is the position in queue of the job predicted longest that
// fits in left (anything fits when always), the first of equals; -1 when
// none fits.
func pickLongest(queue []string, predict func(id string) time.Duration, left time.Duration, always bool) int {
	pick, longest := -1, time.Duration(-1)
	for i, id := range queue {
		if p := predict(id); (always || p <= left) && p > longest {
			pick, longest = i, p
		}
	}
	return pick
}

// predictZoneLocked is the expected duration of zone's next job: its last
// finished job's, else predictLocked.
func (e *Engine) predictZoneLocked(cfg Config, zone string) time.Duration {
	if d, ok := e.zoneDur[zone]; ok && d > 0 {
		return d
	}
	return e.predictLocked(cfg)
}

// predictLocked is the expected duration of a job of a zone with no
// finished job: the mean of this night's ended jobs, whatever their
// result (when half the fleet climbs the ladder, so will the next zone,
// probably), else the mean of recent upgrades, else default_job_duration.
func (e *Engine) predictLocked(cfg Config) time.Duration {
	switch {
	case len(e.tonight) > 0:
		return mean(e.tonight)
	case len(e.durations) > 0:
		return mean(e.durations)
	}
	return cfg.DefaultJobDuration
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// launch starts a worker for j. e.mu is held.
func (e *Engine) launch(j *persist.Job) {
	w := &worker{id: j.ID, zone: j.Zone}
	e.running[j.ID] = w
	e.active[j.Zone] = j.ID
	e.wg.Add(1)
	go e.work(w, j)
}

// work drives one job on its own goroutine.
func (e *Engine) work(w *worker, j *persist.Job) {
	defer e.wg.Done()
	cfg := e.config()
	if len(j.Ladder) == 0 && j.State == string(fsm.Queued) {
		j.Ladder = slices.Clone(cfg.Ladder)
	}
	r := &run{
		e:      e,
		job:    j,
		cfg:    cfg,
		log:    e.log.With().Str("zone", j.Zone).Str("job", j.ID).Logger(),
		cancel: &w.cancel,
		past:   &w.past,
		soft:   e.soft,
	}
	r.passedGlobal(j.Point().Rung)
	r.t, r.live = e.jobTools(j.ID, &r.rungNow)
	r.facts = &jobFacts{jobID: j.ID, names: func() (string, string, string, string) {
		return r.job.Zone, r.root(), r.job.ZBE, r.job.Dataset
	}}
	r.t.X = jobExec{facts: r.facts, inner: r.t.X}
	r.bg = r.t
	r.t.X = savedFirst{r: r, inner: r.t.X}
	err := r.drive(e.hard)
	r.live.flush() // the lines no save took along
	if err != nil {
		r.log.Error().Err(err).Msg("job stopped; it resumes at the next start")
	}
	e.mu.Lock()
	delete(e.running, j.ID)
	if r.job.Terminal() {
		delete(e.active, j.Zone)
		e.afterJobLocked(r.job)
	}
	e.mu.Unlock()
	e.changed()
	e.kick()
}

// afterJobLocked feeds window admission and the circuit breaker, whose
// count is kept on disk with the queue state.
func (e *Engine) afterJobLocked(j *persist.Job) {
	before := e.breaker
	defer func() {
		if e.breaker != before {
			e.saveQueueLocked()
		}
	}()
	e.log.Info().Str("zone", j.Zone).Str("job", j.ID).Str("result", j.Result).Str("rung", j.Rung).
		Str("cause", j.Cause).Msg("job ended")
	e.finishedSinceMail = true
	if !j.Started.IsZero() && j.Ended.After(j.Started) {
		e.zoneDur[j.Zone] = j.Ended.Sub(j.Started)
		e.tonight = append(e.tonight, j.Ended.Sub(j.Started))
	}
	switch j.Result {
	case "upgraded":
		if !j.Started.IsZero() {
			e.durations = append(e.durations, j.Ended.Sub(j.Started))
			if len(e.durations) > 50 {
				e.durations = e.durations[1:]
			}
		}
		e.breaker.cause, e.breaker.n = "", 0
	case "rolled-back", "failed":
		if j.Withheld {
			return // policy, not the host: never counts
		}
		if !ParseCause(j.Cause).Unfixable() {
			e.breaker.cause, e.breaker.n = "", 0
			return
		}
		if j.Cause == e.breaker.cause {
			e.breaker.n++
		} else {
			e.breaker.cause, e.breaker.n = j.Cause, 1
		}
		th := e.config().BreakerThreshold
		if th > 0 && e.breaker.n >= th && !e.paused {
			e.paused = true
			e.reason = fmt.Sprintf("circuit breaker: %d jobs in a row ended %s with the same cause: %s", e.breaker.n, j.Result, j.Cause)
			e.log.Warn().Str("cause", j.Cause).Int("jobs", e.breaker.n).Msg("circuit breaker tripped, queue paused")
		}
	}
}

// mayNeedGlobal reports whether a job that holds no strip of the global
// zone's publishers may still need one: one running and not past
// global-publishers, or one queued while the window is open and the queue
// runs (the ladder has the rung).
func (e *Engine) mayNeedGlobal() bool {
	cfg := e.config()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, w := range e.running {
		if !w.past.Load() {
			return true
		}
	}
	if e.stopping || e.paused || len(e.queue) == 0 || cfg.Window.Remaining(e.now()) <= 0 {
		return false
	}
	return slices.Contains(cfg.Ladder, domain.RungGlobalPublishers)
}

// saveQueueLocked records pause and breaker state.
func (e *Engine) saveQueueLocked() {
	if err := e.store.PutQueue(e.queueStateLocked()); err != nil {
		e.log.Error().Err(err).Msg("cannot persist queue state")
	}
}

func (e *Engine) queueStateLocked() persist.QueueState {
	return persist.QueueState{Paused: e.paused, Reason: e.reason, BreakerCause: e.breaker.cause, BreakerCount: e.breaker.n,
		LastReport: e.lastReport, LastMail: e.lastMail}
}
