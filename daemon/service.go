package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"zoneup/daemon/api"
	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

var _ api.Service = (*Engine)(nil)

// Enqueue queues zones. Only bad names, global and SUNW*, zones the host does
// not have, and zones with a job that is not terminal are refused; anything
// else is preflight's business.
func (e *Engine) Enqueue(ctx context.Context, req api.EnqueueRequest) []api.EnqueueResult {
	out := make([]api.EnqueueResult, 0, len(req.Zones))
	allow, err := ParseAllow(joinComma(req.Allow))
	for _, zone := range req.Zones {
		res := api.EnqueueResult{Zone: zone}
		if err == nil {
			// Each job may start while the next zones are checked.
			if res.ID, err = e.enqueueOne(ctx, zone, allow, req.NoBoot); err == nil {
				e.kick()
			}
		}
		if err != nil {
			res.Code, res.Error = api.CodeOf(err), err.Error()
			if !errors.Is(err, api.ErrInvalid) {
				err = nil // one zone's refusal does not stop the others
			}
		}
		out = append(out, res)
	}
	return out
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func (e *Engine) enqueueOne(ctx context.Context, zone string, allow []string, noBoot bool) (string, error) {
	if err := checkName(zone); err != nil {
		return "", err
	}
	if e.isStopping() {
		return "", api.ErrStopping
	}
	if _, err := e.tools("").Zone(ctx, zone); errors.Is(err, host.ErrNoSuchZone) {
		return "", fmt.Errorf("%w: %s", api.ErrUnknownZone, zone)
	} else if err != nil {
		return "", fmt.Errorf("zoneadm -z %s list -p: %w", zone, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, ok := e.active[zone]; ok {
		return "", fmt.Errorf("%w: %s has job %s", api.ErrActive, zone, id)
	}
	cfg := e.config()
	j := &persist.Job{
		ID:       e.newID(),
		Zone:     zone,
		State:    string(fsm.Queued),
		Allow:    union(cfg.Allow, allow),
		NoBoot:   noBoot,
		Enqueued: e.now(),
		Attempt:  1,
	}
	if err := e.store.PutJob(j); err != nil {
		return "", err
	}
	e.active[zone] = j.ID
	e.queue = append(e.queue, j.ID)
	e.changed()
	return j.ID, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// checkName maps the host's zone name rules to API errors.
func checkName(zone string) error {
	switch err := host.ValidZoneName(zone); {
	case err == nil:
		return nil
	case errors.Is(err, host.ErrGlobalZone):
		return fmt.Errorf("%w: the global zone is not upgraded by zoneup", api.ErrGlobal)
	case errors.Is(err, host.ErrReservedZone):
		return fmt.Errorf("%w: %s (names starting with SUNW are reserved)", api.ErrReserved, zone)
	default:
		return fmt.Errorf("%w: %q", api.ErrBadName, zone)
	}
}

// Jobs streams every job in enqueue order.
func (e *Engine) Jobs(fn func(api.Job) error) error {
	return e.store.ForEachJob(func(j *persist.Job) error { return fn(ToAPI(j)) })
}

// Status returns the newest job of a zone.
func (e *Engine) Status(zone string) (api.Job, error) {
	j, err := e.latest(zone)
	if err != nil {
		return api.Job{}, err
	}
	return ToAPI(j), nil
}

func (e *Engine) latest(zone string) (*persist.Job, error) {
	if err := checkName(zone); err != nil {
		return nil, err
	}
	j, err := e.store.LatestJob(zone)
	if errors.Is(err, persist.ErrNotFound) {
		// No job: tell a zone the host does not have from one never queued.
		if _, zerr := e.tools("").Zone(context.Background(), zone); errors.Is(zerr, host.ErrNoSuchZone) {
			return nil, fmt.Errorf("%w: %s", api.ErrUnknownZone, zone)
		}
		return nil, fmt.Errorf("%w: %s", api.ErrNoJob, zone)
	}
	return j, err
}

// Cancel drops a queued job, or asks a running one to stop at the next
// stage boundary.
func (e *Engine) Cancel(zone string) error {
	j, err := e.latest(zone)
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
	}
	if err := e.fireLocked(j, fsm.EvCancel); err != nil {
		return err
	}
	delete(e.active, zone)
	return nil
}

// Retry queues a terminal job again as a new attempt: same id, history and
// snapshot.
func (e *Engine) Retry(zone string) error {
	j, err := e.latest(zone)
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
	j.Attempt++
	j.Result, j.Rung, j.Error, j.Cause = "", "", "", ""
	j.Withheld, j.RungIndex, j.Pending, j.Done, j.PendingPackages = false, 0, "", nil, nil
	j.RestoredFiles, j.Warnings, j.CancelRequested, j.BlockPending = nil, nil, false, false
	j.Started, j.Ended, j.Ladder = time.Time{}, time.Time{}, nil
	j.FailClass, j.FailPublisher = "", ""
	if err := e.fireLocked(j, fsm.EvRetry); err != nil {
		return err
	}
	e.active[zone] = j.ID
	e.queue = append(e.queue, j.ID)
	e.kick()
	return nil
}

// fireLocked moves a job that no worker owns.
func (e *Engine) fireLocked(j *persist.Job, ev fsm.Event) error {
	m, err := fsm.New(fsm.State(j.State), func(_, to fsm.State, _ fsm.Event) error {
		j.State = string(to)
		if fsm.Terminal(to) {
			j.Result, j.Ended = resultOf(to), e.now()
		}
		return e.store.PutJob(j)
	})
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
func (e *Engine) Pause() error { return e.setPaused(true, "paused by the operator") }

// Resume starts the queue again (also after the circuit breaker).
func (e *Engine) Resume() error { return e.setPaused(false, "") }

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
	e.kick()
	return nil
}

// Report is the morning report: every job's latest attempt and a count per
// result.
func (e *Engine) Report() (api.Report, error) {
	rep := api.Report{Generated: e.now(), Summary: map[string]int{}, Jobs: []api.Job{}}
	for _, r := range api.Results {
		rep.Summary[r] = 0
	}
	err := e.store.ForEachJob(func(j *persist.Job) error {
		a := ToAPI(j)
		rep.Jobs = append(rep.Jobs, a)
		switch {
		case a.Result != "":
			rep.Summary[a.Result]++
		case a.State == string(fsm.Queued):
			rep.Queued++
		default:
			rep.Running++
		}
		return nil
	})
	e.mu.Lock()
	rep.Paused, rep.Reason = e.paused, e.reason
	e.mu.Unlock()
	return rep, err
}

// Log returns the zone's newest job's log lines after seq.
func (e *Engine) Log(zone string, after uint64) ([]api.LogLine, error) {
	j, err := e.latest(zone)
	if err != nil {
		return nil, err
	}
	entries, err := e.store.Logs(j.ID, after)
	if err != nil {
		return nil, err
	}
	out := make([]api.LogLine, len(entries))
	for i, l := range entries {
		out[i] = api.LogLine{Seq: l.Seq, Time: l.Time, Kind: l.Kind, Text: l.Text}
	}
	return out, nil
}

// Reload re-reads the configuration; concurrency and the window apply at
// once, the rest to the next job.
func (e *Engine) Reload() error {
	if e.reload == nil {
		return nil
	}
	cfg, err := e.reload()
	if err != nil {
		return fmt.Errorf("%w: %v", api.ErrInvalid, err)
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

// Info describes the daemon.
func (e *Engine) Info() api.Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	cfg := e.config()
	return api.Info{PID: os.Getpid(), Paused: e.paused, Reason: e.reason, Concurrency: cfg.Concurrency,
		Window: cfg.Window.String(), Running: len(e.running), Queued: len(e.queue), Stopping: e.stopping}
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
	for _, s := range j.History {
		st := api.Step{Stage: s.Stage, Rung: s.Rung, Started: s.Started.UTC().Format(time.RFC3339), Outcome: s.Outcome, Error: s.Error}
		if !s.Ended.IsZero() {
			st.Ended = s.Ended.UTC().Format(time.RFC3339)
		}
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
