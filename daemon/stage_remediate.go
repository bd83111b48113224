package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

// rungFunc applies one rung. applied=false means the rung found nothing to
// do (or policy withheld it): no attach -u follows it. A rung records its
// own history step.
type rungFunc func(r *run, ctx context.Context) (applied bool, err error)

var rungs = map[string]rungFunc{
	domain.RungGlobalPublishers: (*run).rungGlobalPublishers,
	domain.RungZonePublishers:   (*run).rungZonePublishers,
	domain.RungStepRelease:      (*run).rungStepRelease,
	domain.RungImageUpdate:      (*run).rungImageUpdate,
	domain.RungRemoveConflicts:  (*run).rungRemoveConflicts,
	domain.RungRecreateImage:    (*run).rungRecreateImage,
}

// remediate runs the rung at the machine's ladder position and hands over
// to attach -u; a rung that does nothing (not for this zone, withheld by
// policy, nothing to change, or failed before it changed anything) moves
// the machine on to the next one (next-rung). Rungs are cumulative: each
// leaves its change in place for the next. The position is on disk before
// the next rung looks, so a restart does not look at a passed rung again.
func (r *run) remediate(ctx context.Context) (fsm.Event, error) {
	if r.m.Rung() > len(r.job.Ladder) {
		// Climbed past the last rung.
		if r.job.Error == "" {
			r.setFailure(fmt.Errorf("not rescued within policy"))
		} else {
			r.setFailure(fmt.Errorf("not rescued within policy: %s", r.job.Error))
		}
		return fsm.EvRollback, nil
	}
	rung := r.rungAt(r.m.Rung())
	resumed, finished := r.lastRungStep()
	if finished && resumed == rung {
		// The rung acted and its step is closed, but a crash came before
		// the machine moved on: its attach -u is due, the rung is not run
		// again.
		r.note("event", "rung "+resumed+" had completed before the restart")
		return fsm.EvAttach, nil
	}
	if why, withheld := r.notForThisZone(rung); why != "" {
		r.job.Withheld = r.job.Withheld || withheld
		if !withheld {
			// Allowed, yet not run: the report says why.
			r.warn(rung + " not run: " + why)
		}
		r.skip("remediate", rung, why)
		return fsm.EvNextRung, nil
	}
	if err := r.ensureImage(ctx); err != nil {
		r.setFailure(fmt.Errorf("zone root: %w", err))
		return fsm.EvRollback, nil
	}
	applied, err := rungs[rung](r, ctx)
	if errorsIsInterrupted(err) {
		return "", err
	}
	if errors.Is(err, host.ErrKeyFile) {
		// The image cannot be opened at all: no rung can act on it.
		r.setFailure(keyFileHint(err))
		if n := len(r.job.History); n > 0 && r.job.History[n-1].Ended.IsZero() {
			r.end("failed", err)
		}
		return fsm.EvRollback, nil
	}
	if err != nil && !applied {
		// It failed before it changed anything (a read, a missing
		// record): no attach -u is owed to it, the next rung is due.
		r.failedBeforeActing(rung, err)
		return fsm.EvNextRung, nil
	}
	if err != nil {
		// The rung's tool failed. Rungs are cumulative and a partial
		// change may still help: attach -u decides.
		r.note("event", fmt.Sprintf("rung %s failed: %v", rung, err))
		applied = true
	}
	if !applied && rung == resumed && !finished {
		// Interrupted by a crash, it now finds nothing left to do: its
		// change had completed, and its attach -u is still due.
		r.note("event", "rung "+rung+" had completed before the restart")
		if n := len(r.job.History); n > 0 && r.job.History[n-1].Rung == rung && r.job.History[n-1].Outcome == "skipped" {
			r.job.History[n-1].Outcome, r.job.History[n-1].Error = "ok", "completed before the restart"
		}
		applied = true
	}
	if applied {
		return fsm.EvAttach, nil
	}
	return fsm.EvNextRung, nil
}

// notForThisZone says why a rung must not run on this job's zone ("" when
// it may), and whether that is policy withholding a destructive rung.
// recreate-image never runs on a sparse or pkgsrc zone, allowed or not:
// image-create -f -z drops the partial image's key files and exclusions,
// and later installs would write /usr and /lib into the zone (reference
// 10.2). A destructive rung runs only where policy allows it, and only
// after a package failure: a solver that found no solution is what
// removing packages or re-creating the image can change; a host check or
// an unknown failure is not.
func (r *run) notForThisZone(rung string) (why string, withheld bool) {
	if !domain.IsDestructive(rung) {
		return "", false
	}
	if rung == domain.RungRecreateImage && host.SparseBrand(r.job.Brand) {
		return fmt.Sprintf("never on a %s zone: image-create -f -z would drop its partial image (key files, /usr and /lib exclusions)", r.job.Brand), false
	}
	if !slices.Contains(r.job.Allow, rung) {
		return "destructive rung not allowed by policy (enqueue --allow " + rung + ")", true
	}
	if r.job.FailClass != string(host.FailNoSolution) {
		class := r.job.FailClass
		if class == "" {
			class = "unknown"
		}
		return "destructive rungs run only after a package failure (no-solution); the last attach -u failed with " + class, false
	}
	return "", false
}

// failedBeforeActing records a rung that failed before its first change
// (as a failed history step, unless the rung recorded one itself); the
// next-rung move writes it with the new ladder position, so a restart does
// not owe it an attach -u either.
func (r *run) failedBeforeActing(rung string, err error) {
	r.note("event", fmt.Sprintf("rung %s failed before it changed anything: %v", rung, err))
	recorded := false
	if n := len(r.job.History); n > 0 {
		s := r.job.History[n-1]
		recorded = s.Stage == "remediate" && s.Rung == rung && !s.Ended.IsZero() && s.Outcome == "failed"
	}
	if !recorded {
		now := r.e.now()
		r.job.History = append(r.job.History, persist.Step{Stage: "remediate", Rung: rung, Started: now, Ended: now,
			Outcome: "failed", Error: oneLine(err.Error())})
	}
}

// lastRungStep looks at the last history step: if it is a rung that acted
// (or was cut off while acting), it returns that rung, and whether its step
// was closed (ok or failed) rather than interrupted by a crash.
func (r *run) lastRungStep() (rung string, finished bool) {
	if n := len(r.job.History); n > 0 {
		switch s := r.job.History[n-1]; {
		case s.Stage != "remediate":
		case s.Outcome == "interrupted":
			return s.Rung, false
		case s.Outcome == "ok" || s.Outcome == "failed":
			return s.Rung, true
		}
	}
	return "", false
}

// step runs fn as a history step of the rung: the step is on disk before
// the rung's first change, and its outcome after its last.
func (r *run) step(rung string, fn func() error) error {
	r.begin("remediate", rung)
	err := fn()
	if errorsIsInterrupted(err) {
		return err
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	r.end(outcome, err)
	return err
}
