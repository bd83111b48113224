package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

// errInterrupted: the daemon is stopping; the job stays where it is and
// resumes at the next start.
var errInterrupted = errors.New("interrupted by shutdown")

// run drives one job. It is owned by one goroutine, the job's worker.
type run struct {
	e      *Engine
	job    *persist.Job
	m      *fsm.Machine
	t      host.Tools
	cfg    Config
	log    zerolog.Logger
	cancel *atomic.Bool // set by zoneupadm cancel; acted on at the next stage boundary
	past   *atomic.Bool // the job no longer needs the global zone stripped
	// soft is done when the daemon starts draining: no new stage begins.
	soft context.Context
	// gzRestore reports the end of a global publisher restore this job
	// started (nil when none is under way).
	gzRestore chan error
	// live writes the tool runs into the job's log as they happen; rungNow
	// is the rung of the open history step, for its lines.
	live    *liveLog
	rungNow atomic.Pointer[string]
	// unsaved: begin, end or skip recorded a step no save has written yet.
	unsaved bool
	// bg are the job's tools for the global publisher keeper's goroutines
	// (t without savedFirst, which belongs to the job's own goroutine).
	bg host.Tools

	// facts is what this run's calls showed of the zone (its line, its
	// root and overlays mounted, the job's snapshot), learned and
	// forgotten by the calls themselves (jobfacts.go).
	facts *jobFacts
}

// Resume or start the job until it is terminal or the daemon drains.
// ctx is the hard context: cancelled only when the drain grace is over,
// which kills running tools.
func (r *run) drive(ctx context.Context) (err error) {
	defer func() {
		if serr := r.saveUnsaved(); err == nil {
			err = serr
		}
	}()
	r.m, err = fsm.New(r.job.Point(), fsm.Hooks{
		Persist: r.persistTransition,
		// Restored before the last holder becomes terminal, also when a
		// crash came between its release and the end of the restore.
		End:         func() { r.releaseGlobal(); r.awaitGlobal() },
		LeaveLadder: r.releaseGlobal,
	})
	if err != nil {
		return err
	}
	r.interruptOpenStep()
	r.mine()
	if err := r.upgradeRecord(ctx); err != nil {
		return err
	}
	if cur := r.m.Current(); fsm.PastLadder(cur) && !fsm.Terminal(cur) {
		// Resumed past the ladder: the release of its edge is repeated
		// (the job stays a holder on disk until the keeper let it go).
		r.releaseGlobal()
	}
	for !fsm.Terminal(r.m.Current()) {
		if r.soft.Err() != nil {
			return nil // stage boundary: leave the rest for the next start
		}
		var ev fsm.Event
		if r.cancel.Load() && !r.m.Cancelled() {
			// The operator's cancel is an event of the machine, taken at a
			// stage boundary and saved with the point it leads to
			// (cancelled, boot-back, rollback, or the put-back under way,
			// which then ends cancelled).
			r.note("event", "cancel requested")
			cur := r.m.Current()
			if next, _ := fsm.Next(cur, fsm.EvCancel); next == fsm.Rollback && cur != fsm.Rollback {
				r.setFailure(errCancelled)
			}
			ev = fsm.EvCancel
		} else {
			ev, err = r.stage(ctx)
		}
		if errors.Is(err, errInterrupted) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := r.m.Fire(ctx, ev); err != nil {
			return fmt.Errorf("job %s: %w", r.job.ID, err)
		}
	}
	r.awaitGlobal()
	return nil
}

// stage runs the work of the current state and returns the event it chose.
func (r *run) stage(ctx context.Context) (fsm.Event, error) {
	switch r.m.Current() {
	case fsm.Queued:
		return fsm.EvStart, nil
	case fsm.Preflight:
		return r.preflight(ctx)
	case fsm.Halt:
		return r.halt(ctx)
	case fsm.Snapshot:
		return r.snapshot(ctx)
	case fsm.Detach:
		return r.detach(ctx)
	case fsm.Attach:
		return r.attach(ctx)
	case fsm.Remediate:
		return r.remediate(ctx)
	case fsm.Boot:
		return r.boot(ctx)
	case fsm.Verify:
		return r.verify(ctx)
	case fsm.Rollback:
		return r.rollback(ctx)
	case fsm.BootBack:
		return r.bootBack(ctx)
	}
	return "", fmt.Errorf("job %s: no stage for state %q", r.job.ID, r.m.Current())
}

// upgradeRecord moves a job an earlier zoneupd left with its state beside
// the machine onto it: refused after the halt and not yet booted again
// (block_pending) is the boot-back state now.
func (r *run) upgradeRecord(ctx context.Context) error {
	if !r.job.BlockPending {
		return nil
	}
	r.job.BlockPending = false
	if r.m.Can(fsm.EvBootBack) {
		return r.m.Fire(ctx, fsm.EvBootBack)
	}
	return r.save()
}

// persistTransition is the machine's write-ahead hook: the new state (and
// everything the stage recorded on the job) reaches the disk before the
// machine moves.
func (r *run) persistTransition(from, to fsm.Point, ev fsm.Event) error {
	prev := r.job.Point()
	r.job.SetPoint(to)
	now := r.e.now()
	line := fmt.Sprintf("%s -> %s", from.State, to.State)
	switch {
	case ev == fsm.EvCancel && from.State == to.State:
		line = fmt.Sprintf("%s: cancelled, it ends cancelled once the zone is put back", to.State)
	case ev == fsm.EvNextRung:
		line = fmt.Sprintf("%s: on to rung %s", to.State, r.rungAt(to.Rung))
	}
	if fsm.Terminal(to.State) {
		r.job.Result = fsm.Result(to.State)
		r.job.Ended = now
		r.dropPending()
	}
	// The line goes in the transaction of the new state (and not at all
	// if that fails): whoever sees the job terminal (log -f, wait) has
	// every line.
	if err := r.saveWith(persist.LogEntry{Time: now, Kind: "event", Text: line}); err != nil {
		r.job.SetPoint(prev)
		return err
	}
	r.log.Info().Str("from", string(from.State)).Str("to", string(to.State)).Int("rung", to.Rung).Str("event", string(ev)).Msg("transition")
	r.e.stateChanged()
	r.passedGlobal(to.Rung)
	return nil
}

// save writes the whole job record (one fsync'd transaction).
func (r *run) save() error { return r.saveWith() }

// saveWith is save, with lines for the log after those waiting, in the
// same transaction.
func (r *run) saveWith(lines ...persist.LogEntry) error {
	var err error
	if r.live != nil {
		// The log lines waiting go with the record, in its transaction.
		err = r.live.withPending(func(waiting []persist.LogEntry) error {
			return r.e.store.PutJobLog(r.job, append(waiting, lines...)...)
		})
	} else {
		err = r.e.store.PutJobLog(r.job, lines...)
	}
	if err != nil {
		r.log.Error().Err(err).Msg("cannot persist job")
		return fmt.Errorf("persist job %s: %w", r.job.ID, err)
	}
	r.unsaved = false
	r.e.changed()
	return nil
}

// note appends a line to the job's log: after the tool lines before it,
// stored with the job's next save or within flushEvery (liveLog).
func (r *run) note(kind, text string) {
	if r.live != nil {
		r.live.add(persist.LogEntry{Kind: kind, Text: text})
		return
	}
	if err := r.e.store.AppendLog(r.job.ID, persist.LogEntry{Time: r.e.now(), Kind: kind, Text: text}); err != nil {
		r.log.Warn().Err(err).Msg("cannot append to job log")
	}
	r.e.changed()
}

// begin opens a history step. It is written before the step changes
// anything (savedFirst, before the first changing tool; once, before its
// effect), or with the machine's move that ends a step that only looked.
func (r *run) begin(stage, rung string) {
	r.rungNow.Store(&rung)
	r.job.History = append(r.job.History, persist.Step{Stage: stage, Rung: rung, Started: r.e.now()})
	r.unsaved = true
}

// end closes the open history step after the side effect. It is written
// with the next save, before anything else changes on the host: the
// machine's move that follows (one commit for the step and the new
// point), the job's next changing tool (savedFirst), or the edge's
// release of the global publishers, whichever comes first.
func (r *run) end(outcome string, err error) {
	if n := len(r.job.History); n > 0 && r.job.History[n-1].Ended.IsZero() {
		s := &r.job.History[n-1]
		s.Ended = r.e.now()
		s.Outcome = outcome
		if err != nil {
			s.Error = oneLine(err.Error())
		}
	}
	r.unsaved = true
}

// skip records a step that did nothing; it is written as end's step is.
func (r *run) skip(stage, rung, why string) {
	now := r.e.now()
	r.job.History = append(r.job.History, persist.Step{Stage: stage, Rung: rung, Started: now, Ended: now, Outcome: "skipped", Error: why})
	r.note("event", fmt.Sprintf("%s %s skipped: %s", stage, rung, why))
	r.unsaved = true
}

// saveUnsaved writes what begin, end and skip recorded, if no save has.
func (r *run) saveUnsaved() error {
	if !r.unsaved {
		return nil
	}
	return r.save()
}

// interruptOpenStep marks a step left open by a crash as interrupted; the
// stage is then run again from its first look at the host.
func (r *run) interruptOpenStep() {
	if n := len(r.job.History); n > 0 && r.job.History[n-1].Ended.IsZero() {
		s := &r.job.History[n-1]
		s.Ended = r.e.now()
		s.Outcome = "interrupted"
		r.note("event", fmt.Sprintf("resuming: %s %s was interrupted", s.Stage, s.Rung))
		_ = r.save()
	}
}

// warn records a warning on the job.
func (r *run) warn(text string) {
	text = oneLine(text)
	if !slices.Contains(r.job.Warnings, text) {
		r.job.Warnings = append(r.job.Warnings, text)
	}
	r.note("event", "warning: "+text)
}

// setFailure records the error that ends the job and the cause it
// carries (withCause, or its host error kind); without one the job's cause
// stays as it was.
func (r *run) setFailure(err error) {
	if err == nil {
		return
	}
	r.job.Error = oneLine(err.Error())
	if c := causeOf(err); c.Kind != "" {
		r.job.Cause = c.String()
	}
}

// retry runs op and repeats it with backoff while it fails transiently
// (image locked, another zoneadm on the zone). A shutdown ends the wait.
func (r *run) retry(ctx context.Context, what string, op func() error) error {
	return retryTransient(ctx, r.soft.Done(), r.cfg, r.note, what, op)
}

// retryTransient is retry for callers without a job run: up to
// cfg.Retries more attempts, cfg.RetryBackoff doubling between them; stop
// or ctx ends the wait with errInterrupted.
func retryTransient(ctx context.Context, stop <-chan struct{}, cfg Config, note func(kind, text string), what string, op func() error) error {
	wait := cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || !errors.Is(err, host.ErrTransient) || attempt > cfg.Retries {
			return err
		}
		note("event", fmt.Sprintf("%s: transient failure (attempt %d), retrying in %s: %s", what, attempt, wait, oneLine(err.Error())))
		select {
		case <-time.After(wait):
		case <-stop:
			return errInterrupted
		case <-ctx.Done():
			return errInterrupted
		}
		wait *= 2
	}
}

// mine tells the live log which lines of a host-wide listing are this
// job's: its zone's, its zonepath's and its datasets'.
func (r *run) mine(more ...string) {
	if r.live == nil {
		return
	}
	words := append([]string{":" + r.job.Zone + ":", r.job.Zonepath, r.job.Dataset}, more...)
	r.live.setMine(words...)
}

// zone reads the zone's current line from zoneadm.
func (r *run) zone(ctx context.Context) (host.Zone, error) {
	return r.t.Zone(ctx, r.job.Zone)
}

// zoneSeen is the zone as this run last saw or left it, read from zoneadm
// when it knows nothing.
func (r *run) zoneSeen(ctx context.Context) (host.Zone, error) {
	if z, ok := r.facts.zoneLine(); ok {
		return z, nil
	}
	return r.zone(ctx)
}

// snapshotExists says whether the job's snapshot exists: as a call of this
// run showed it, else asked.
func (r *run) snapshotExists(ctx context.Context) (bool, error) {
	if exists, known := r.facts.snapshotKnown(); known {
		return exists, nil
	}
	return r.t.SnapshotExists(ctx, r.snapName())
}

// root is the zone root.
func (r *run) root() string { return r.job.Zonepath + "/root" }

// snapName is the job's snapshot name on the zonepath dataset.
func (r *run) snapName() string { return r.job.Dataset + "@zoneup-" + r.job.ID }

// ensureMounted makes sure the active zone BE is mounted on the zone root
// (SPEC 2: the root is a package image only then).
func (r *run) ensureMounted(ctx context.Context) error {
	if r.facts.root() {
		return nil
	}
	return r.checkMounted(ctx)
}

func (r *run) checkMounted(ctx context.Context) error {
	m, ok, err := r.t.MountedAt(ctx, r.root())
	if err != nil {
		return err
	}
	if ok {
		if m.FSType == "zfs" && m.Special != r.job.ZBE {
			return fmt.Errorf("%s is mounted on %s, not the zone BE %s", m.Special, r.root(), r.job.ZBE)
		}
		return nil
	}
	r.note("event", "mounting "+r.job.ZBE+" on "+r.root())
	return r.t.MountZFS(ctx, r.job.ZBE, r.root())
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		// Keep the most telling line: the last non-empty one is usually
		// the tool's own message.
		lines := strings.Split(s, "\n")
		var keep []string
		for _, l := range lines {
			if l = strings.TrimSpace(l); l != "" {
				keep = append(keep, l)
			}
		}
		s = strings.Join(keep, "; ")
	}
	return host.Clip(s, 400)
}

// savedFirst runs the job's changing tools after writing what begin, end
// and skip recorded: nothing changes on the host while the job's record on
// disk is behind it (a read needs no write first: after a crash the step
// looks again). It belongs to the job's goroutine (run.t); the keeper's
// goroutines use run.bg. A record that cannot be written stops the job
// where it stands (an interruption, not the tool's failure).
type savedFirst struct {
	r     *run
	inner host.Executor
}

func (x savedFirst) Run(ctx context.Context, change bool, argv ...string) host.Result {
	if !change {
		return x.inner.Run(ctx, change, argv...)
	}
	if err := x.r.saveUnsaved(); err != nil {
		return host.Result{Argv: argv, Code: -1, Err: fmt.Errorf("%w: %w", errInterrupted, err)}
	}
	return x.inner.Run(ctx, change, argv...)
}

func (x savedFirst) RunInput(ctx context.Context, change bool, stdin []byte, argv ...string) host.Result {
	in, ok := x.inner.(host.InputExecutor)
	if !ok {
		return host.Result{Argv: argv, Code: -1}
	}
	if !change {
		return in.RunInput(ctx, change, stdin, argv...)
	}
	if err := x.r.saveUnsaved(); err != nil {
		return host.Result{Argv: argv, Code: -1, Err: fmt.Errorf("%w: %w", errInterrupted, err)}
	}
	return in.RunInput(ctx, change, stdin, argv...)
}
