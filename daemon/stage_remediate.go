package daemon

import (
	"context"
	"fmt"
	"slices"

	"zoneup/fsm"
)

// rungFunc applies one rung. applied=false means the rung found nothing to
// do (or policy withheld it): no attach -u follows it. A rung records its
// own history step.
type rungFunc func(r *run, ctx context.Context) (applied bool, err error)

var rungs = map[string]rungFunc{
	RungGlobalPublishers: (*run).rungGlobalPublishers,
	RungZonePublishers:   (*run).rungZonePublishers,
	RungStepRelease:      (*run).rungStepRelease,
	RungImageUpdate:      (*run).rungImageUpdate,
	RungRemoveConflicts:  (*run).rungRemoveConflicts,
	RungRecreateImage:    (*run).rungRecreateImage,
}

// remediate climbs the ladder from the current rung to the first one that
// does something, then hands over to attach -u. Rungs are cumulative: each
// leaves its change in place for the next. The rung index is on disk before
// the next rung looks, so a restart does not look at a passed rung again.
func (r *run) remediate(ctx context.Context) (fsm.Event, error) {
	resumed := r.interruptedRung()
	for r.job.RungIndex <= len(r.job.Ladder) {
		rung := r.rungAt(r.job.RungIndex)
		if slices.Contains(Destructive, rung) && !slices.Contains(r.job.Allow, rung) {
			r.job.Withheld = true
			if err := r.skip("remediate", rung, "destructive rung not allowed by policy (enqueue --allow "+rung+")"); err != nil {
				return "", err
			}
			if err := r.nextRung(); err != nil {
				return "", err
			}
			continue
		}
		if err := r.ensureMounted(ctx); err != nil {
			r.setFailure("", fmt.Errorf("zone root: %w", err))
			return fsm.EvRollback, nil
		}
		applied, err := rungs[rung](r, ctx)
		if errorsIsInterrupted(err) {
			return "", err
		}
		if err != nil {
			// The rung's tool failed. Rungs are cumulative and a partial
			// change may still help: attach -u decides.
			r.note("event", fmt.Sprintf("rung %s failed: %v", rung, err))
			applied = true
		}
		if !applied && rung == resumed {
			// Interrupted by a crash, it now finds nothing left to do: its
			// change had completed, and its attach -u is still due.
			r.note("event", "rung "+rung+" had completed before the restart")
			if n := len(r.job.History); n > 0 && r.job.History[n-1].Rung == rung && r.job.History[n-1].Outcome == "skipped" {
				r.job.History[n-1].Outcome, r.job.History[n-1].Error = "ok", "completed before the restart"
			}
			if err := r.save(); err != nil {
				return "", err
			}
			applied = true
		}
		if applied {
			return fsm.EvAttach, nil
		}
		if err := r.nextRung(); err != nil {
			return "", err
		}
	}
	r.releaseGlobal(ctx)
	if r.job.Error == "" {
		r.setFailure("", fmt.Errorf("not rescued within policy"))
	} else {
		r.setFailure("", fmt.Errorf("not rescued within policy: %s", r.job.Error))
	}
	return fsm.EvRollback, nil
}

// nextRung moves past a rung that did nothing, on disk.
func (r *run) nextRung() error {
	r.job.RungIndex++
	return r.save()
}

// interruptedRung is the rung whose step a crash left open (marked
// interrupted at resume), "" if the last step is another.
func (r *run) interruptedRung() string {
	if n := len(r.job.History); n > 0 {
		if s := r.job.History[n-1]; s.Stage == "remediate" && s.Outcome == "interrupted" {
			return s.Rung
		}
	}
	return ""
}

// step runs fn as a history step of the rung: begin is persisted before,
// the outcome after.
func (r *run) step(rung string, fn func() error) error {
	if err := r.begin("remediate", rung); err != nil {
		return err
	}
	err := fn()
	if errorsIsInterrupted(err) {
		return err
	}
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	if perr := r.end(outcome, err); perr != nil {
		return perr
	}
	return err
}
