package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

var _ api.Service = (*Engine)(nil)

// Enqueue queues zones. Only bad names, global and SUNW*, zones the host does
// not have, zones named twice, and zones with a job that is not terminal
// are refused; anything else is preflight's business. The host is asked
// once for the whole request (`zoneadm list -cp`), and every new job is
// stored in one transaction, however many zones it names.
func (e *Engine) Enqueue(ctx context.Context, req api.EnqueueRequest) ([]api.EnqueueResult, error) {
	out := make([]api.EnqueueResult, len(req.Zones))
	allow, err := domain.ParseAllow(strings.Join(req.Allow, ","))
	if err != nil {
		return nil, fmt.Errorf("%w: --allow: %w", api.ErrInvalid, err)
	}
	var known map[string]bool
	if err == nil && e.isStopping() {
		err = api.ErrStopping
	}
	if err == nil {
		zones, lerr := e.tools("").Zones(ctx)
		if lerr != nil {
			err = fmt.Errorf("zoneadm list -cp: %w", lerr)
		}
		known = make(map[string]bool, len(zones))
		for _, z := range zones {
			known[z.Name] = true
		}
	}
	warning := e.tooLongWarning()
	cfg := e.config()
	refuse := func(i int, err error) { out[i].Code, out[i].Error = api.CodeOf(err), err.Error() }
	seen := make(map[string]bool, len(req.Zones))
	var jobs []*persist.Job
	var at []int // position in out of each job
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, zone := range req.Zones {
		out[i].Zone = zone
		switch {
		case err != nil:
			refuse(i, err)
		case checkName(zone) != nil:
			refuse(i, checkName(zone))
		case seen[zone]:
			refuse(i, fmt.Errorf("%w: %s is given twice", api.ErrInvalid, zone))
		case !known[zone]:
			refuse(i, fmt.Errorf("%w: %s", api.ErrUnknownZone, zone))
		case e.active[zone] != "":
			refuse(i, fmt.Errorf("%w: %s has job %s", api.ErrActive, zone, e.active[zone]))
		default:
			seen[zone] = true
			jobs = append(jobs, &persist.Job{ID: e.newID(), Zone: zone, State: string(fsm.Queued),
				Allow: union(cfg.Allow, allow), NoBoot: req.NoBoot, Enqueued: e.now(), Attempt: 1})
			at = append(at, i)
		}
	}
	if len(jobs) == 0 {
		return out, nil
	}
	if perr := e.store.PutJobs(jobs); perr != nil {
		for _, i := range at {
			refuse(i, perr)
		}
		return out, nil
	}
	for k, j := range jobs {
		out[at[k]].ID, out[at[k]].Warning = j.ID, warning
		e.active[j.Zone] = j.ID
		e.queue = append(e.queue, j.ID)
		e.queuedZone[j.ID] = j.Zone
	}
	e.changed()
	e.stateChanged()
	e.kick()
	return out, nil
}

// tooLongWarning says, in the day, that a job predicted longer than the
// whole window will never start ("" when it fits).
func (e *Engine) tooLongWarning() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.config()
	if p := e.predictLocked(cfg); !cfg.Window.Always && p > cfg.Window.Length() {
		return fmt.Sprintf("its predicted %s is longer than the whole window %s (%s): it will not start until the window is widened or default_job_duration lowered",
			roundDur(p), cfg.Window, roundDur(cfg.Window.Length()))
	}
	return ""
}

// union is a and b without repeats, in ladder order.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	domain.SortRungs(out)
	return out
}

// checkName maps the zone-name rule (domain.ValidZoneName, the one the
// CLI checks too) to API errors.
func checkName(zone string) error {
	switch err := domain.ValidZoneName(zone); {
	case err == nil:
		return nil
	case errors.Is(err, domain.ErrGlobalZone):
		return fmt.Errorf("%w: the global zone is not upgraded by zoneup", api.ErrGlobal)
	case errors.Is(err, domain.ErrReservedZone):
		return fmt.Errorf("%w: %s (names starting with SUNW are reserved)", api.ErrReserved, zone)
	default:
		return fmt.Errorf("%w: %q", api.ErrBadName, zone)
	}
}

// Jobs streams every job in enqueue order, until fn fails or ctx ends.
// The store reads and decodes the next jobs while fn writes out the last
// ones: with two CPUs a long list takes the longer of the two, not their
// sum. At most jobsAhead jobs wait between them, so memory stays flat.
func (e *Engine) Jobs(ctx context.Context, fn func(api.Job) error) error {
	v := e.view()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan *persist.Job, jobsAhead)
	read := make(chan error, 1)
	go func() {
		defer close(jobs)
		read <- e.store.ForEachJob(func(j *persist.Job) error {
			select {
			case jobs <- j: // the store's copy, the caller's to keep
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	for j := range jobs {
		err := ctx.Err()
		if err == nil {
			err = fn(v.apiJob(ToAPI(j)))
		}
		if err != nil {
			stop()
			for range jobs { // let the reader end
			}
			return err
		}
	}
	if err := <-read; err != nil {
		return err
	}
	return ctx.Err()
}

// jobsAhead is how many decoded jobs Jobs lets wait for the writer.
const jobsAhead = 64

// ActiveJobs calls fn for every job that is not terminal, in enqueue
// order, from the store's index of them.
func (e *Engine) ActiveJobs(ctx context.Context, fn func(api.Job) error) error {
	jobs, err := e.store.ActiveJobs()
	if err != nil {
		return err
	}
	v := e.view()
	for _, j := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(v.apiJob(ToAPI(j))); err != nil {
			return err
		}
	}
	return nil
}

// Status returns the newest job of a zone.
func (e *Engine) Status(ctx context.Context, zone string) (api.Job, error) {
	j, err := e.latest(ctx, zone)
	if err != nil {
		return api.Job{}, err
	}
	return e.view().apiJob(ToAPI(j)), nil
}

// latest is the zone's newest job; for a zone without one it asks the
// host (within ctx) whether the zone exists, to tell the two apart.
func (e *Engine) latest(ctx context.Context, zone string) (*persist.Job, error) {
	if err := checkName(zone); err != nil {
		return nil, err
	}
	j, err := e.store.LatestJob(zone)
	if errors.Is(err, persist.ErrNotFound) {
		// No job: tell a zone the host does not have from one never queued.
		if _, zerr := e.tools("").Zone(ctx, zone); errors.Is(zerr, host.ErrNoSuchZone) {
			return nil, fmt.Errorf("%w: %s", api.ErrUnknownZone, zone)
		}
		return nil, fmt.Errorf("%w: %s", api.ErrNoJob, zone)
	}
	return j, err
}

// Cancel drops a queued job, or asks a running one to stop at the next
// stage boundary.
func (e *Engine) Cancel(ctx context.Context, zone string) error {
	j, err := e.latest(ctx, zone)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if w, ok := e.running[j.ID]; ok {
		w.cancel.Store(true)
		return nil
	}
	if j.Terminal() {
		return fmt.Errorf("%w: %s is %s", api.ErrTerminal, zone, j.State)
	}
	if i := slices.Index(e.queue, j.ID); i >= 0 {
		e.queue = slices.Delete(e.queue, i, i+1)
		delete(e.queuedZone, j.ID)
	}
	if err := e.fireLocked(j, fsm.EvCancel); err != nil {
		return err
	}
	delete(e.active, zone)
	return nil
}

// Retry queues a terminal job again as a new attempt: same id, history and
// snapshot (persist.Job.ResetForRetry says what else survives).
func (e *Engine) Retry(ctx context.Context, zone string) error {
	j, err := e.latest(ctx, zone)
	if err != nil {
		return err
	}
	if !j.Terminal() {
		return fmt.Errorf("%w: %s is %s", api.ErrNotTerminal, zone, j.State)
	}
	if j.State == string(fsm.Done) {
		return fmt.Errorf("%w: %s was upgraded; enqueue it for a new job", api.ErrTerminal, zone)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, ok := e.active[zone]; ok {
		return fmt.Errorf("%w: %s has job %s", api.ErrActive, zone, id)
	}
	j.ResetForRetry()
	if err := e.fireLocked(j, fsm.EvRetry); err != nil {
		return err
	}
	e.active[zone] = j.ID
	e.queue = append(e.queue, j.ID)
	e.queuedZone[j.ID] = zone
	e.kick()
	return nil
}

// fireLocked moves a job that no worker owns.
func (e *Engine) fireLocked(j *persist.Job, ev fsm.Event) error {
	m, err := fsm.New(j.Point(), fsm.Hooks{Persist: func(from, to fsm.Point, _ fsm.Event) error {
		j.SetPoint(to)
		if fsm.Terminal(to.State) {
			j.Result, j.Ended = fsm.Result(to.State), e.now()
		}
		if err := e.store.PutJob(j); err != nil {
			j.SetPoint(from)
			return err
		}
		return nil
	}})
	if err != nil {
		return err
	}
	if err := m.Fire(context.Background(), ev); err != nil {
		return err
	}
	e.changed()
	return nil
}

// Pause stops starting new jobs; running ones go on.
func (e *Engine) Pause(context.Context) error { return e.setPaused(true, "paused by the operator") }

// Resume starts the queue again (also after the circuit breaker).
func (e *Engine) Resume(context.Context) error { return e.setPaused(false, "") }

func (e *Engine) setPaused(p bool, reason string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.queueStateLocked()
	q.Paused, q.Reason = p, reason
	if !p {
		q.BreakerCause, q.BreakerCount = "", 0
	}
	if err := e.store.PutQueue(q); err != nil {
		return err
	}
	e.paused, e.reason = p, reason
	e.breaker.cause, e.breaker.n = q.BreakerCause, q.BreakerCount
	e.changed()
	e.stateChanged()
	e.kick()
	return nil
}

// Log returns the zone's newest job's log lines after seq.
func (e *Engine) Log(ctx context.Context, zone string, after uint64) ([]api.LogLine, error) {
	j, err := e.latest(ctx, zone)
	if err != nil {
		return nil, err
	}
	entries, err := e.store.Logs(j.ID, after)
	if err != nil {
		return nil, err
	}
	out := make([]api.LogLine, len(entries))
	for i, l := range entries {
		out[i] = api.LogLine{Seq: l.Seq, Time: l.Time, Kind: l.Kind, Text: l.Text, Tool: l.Tool, Rung: l.Rung}
	}
	return out, nil
}

// Reload re-reads the configuration (svcprop runs within ctx);
// concurrency and the window apply at once, the rest to the next job.
func (e *Engine) Reload(ctx context.Context) error {
	if e.reload == nil {
		return nil
	}
	cfg, err := e.reload(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrInvalid, err)
	}
	old := e.config()
	// Where the database and socket live cannot change under a running
	// daemon.
	cfg.DBPath, cfg.SocketPath = old.DBPath, old.SocketPath
	e.cfg.Store(&cfg)
	e.log.Info().Int("concurrency", cfg.Concurrency).Str("window", cfg.Window.String()).Msg("configuration reloaded")
	e.changed()
	e.kick()
	return nil
}

// Shutdown starts the drain: nothing new starts, running tools finish within
// the grace period, then everything is persisted and Done closes.
func (e *Engine) Shutdown() {
	e.mu.Lock()
	if e.stopping {
		e.mu.Unlock()
		return
	}
	e.stopping = true
	e.mu.Unlock()
	e.log.Info().Msg("draining")
	e.softCancel()
	e.changed()
	go func() {
		grace := time.NewTimer(e.config().DrainGrace)
		defer grace.Stop()
		finished := make(chan struct{})
		go func() { e.wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-grace.C:
			e.log.Warn().Msg("drain grace over: stopping running tools")
			e.hardCancel()
			<-finished
		}
		e.hardCancel()
		// Draining: no queued job will start in this process, so a strip
		// kept for one is restored now (a holder still mid-ladder keeps it;
		// the next start reconciles).
		ctx, cancel := context.WithTimeout(context.Background(), e.config().DrainGrace)
		if err := e.gz.settle(ctx, e.tools(""), e.hostNote); err != nil {
			e.log.Error().Err(err).Msg("global zone publishers not restored at drain; restored at the next start")
		}
		cancel()
		<-e.metricsDone
		e.writeMetrics() // every job persisted where it stands
		close(e.done)
	}()
}

// Done is closed when the drain is complete.
func (e *Engine) Done() <-chan struct{} { return e.done }

func (e *Engine) isStopping() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopping
}

// Info describes the daemon: its settings, the window and whether it is
// open now, pause and breaker, and how many jobs are in each state.
func (e *Engine) Info(ctx context.Context) api.Info {
	counts := map[string]int{}
	_ = e.store.ForEachJob(func(j *persist.Job) error {
		counts[j.State]++
		return ctx.Err() // a client gone: the counts are nobody's
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.config()
	now := e.now()
	in := api.Info{PID: os.Getpid(), Version: api.Version, Paused: e.paused, Reason: e.reason, Concurrency: cfg.Concurrency,
		Window: cfg.Window.String(), Running: len(e.running), Queued: len(e.queue), Stopping: e.stopping,
		WindowOpen: cfg.Window.Remaining(now) > 0, BreakerCause: e.breaker.cause, BreakerCount: e.breaker.n,
		BreakerThreshold: cfg.BreakerThreshold, Counts: counts, Settings: maps.Clone(cfg.Values)}
	if !in.WindowOpen {
		in.NextOpen = cfg.Window.NextOpen(now)
	}
	if in.Settings == nil {
		in.Settings = map[string]string{}
	}
	return in
}

// ToAPI converts a stored job into the JSON job object of SPEC 5.
func ToAPI(j *persist.Job) api.Job {
	a := api.Job{
		Zone: j.Zone, ID: j.ID, State: j.State, Terminal: j.Terminal(), Result: j.Result, Rung: j.Rung,
		Snapshot: j.Snapshot, Allow: nonNil(j.Allow), RemovedPackages: nonNil(j.RemovedPackages),
		RestoredFiles: nonNil(j.RestoredFiles), Warnings: nonNil(j.Warnings), Error: j.Error,
		History: make([]api.Step, 0, len(j.History)), NoBoot: j.NoBoot, Enqueued: j.Enqueued,
		Started: j.Started, Ended: j.Ended, Attempt: j.Attempt, Cause: j.Cause, Zonepath: j.Zonepath,
	}
	if !j.SnapshotTaken && !j.Terminal() {
		a.Snapshot = "" // named, not yet taken
	}
	if !j.SnapshotTaken && j.Terminal() {
		a.Snapshot = ""
	}
	if n := len(j.History); n > 0 && !j.Terminal() && j.History[n-1].Ended.IsZero() {
		a.StageStarted = j.History[n-1].Started
	}
	// Every step's times are formatted into one string and cut out of it:
	// two allocations a job instead of two a step (list walks them all).
	tb := make([]byte, 0, 2*len(time.RFC3339)*len(j.History))
	ends := make([]int, 0, 2*len(j.History))
	for _, s := range j.History {
		tb = s.Started.UTC().AppendFormat(tb, time.RFC3339)
		ends = append(ends, len(tb))
		if !s.Ended.IsZero() {
			tb = s.Ended.UTC().AppendFormat(tb, time.RFC3339)
		}
		ends = append(ends, len(tb))
	}
	times, at := string(tb), 0
	for i, s := range j.History {
		st := api.Step{Stage: s.Stage, Rung: s.Rung, Outcome: s.Outcome, Error: s.Error}
		st.Started, at = times[at:ends[2*i]], ends[2*i]
		st.Ended, at = times[at:ends[2*i+1]], ends[2*i+1]
		a.History = append(a.History, st)
	}
	return a
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
