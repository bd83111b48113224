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
// leaves its change in place for the next.
func (r *run) remediate(ctx context.Context) (fsm.Event, error) {
	for ; r.job.RungIndex <= len(r.job.Ladder); r.job.RungIndex++ {
		rung := r.rungAt(r.job.RungIndex)
		if slices.Contains(Destructive, rung) && !slices.Contains(r.job.Allow, rung) {
			r.job.Withheld = true
			if err := r.skip("remediate", rung, "destructive rung not allowed by policy (enqueue --allow "+rung+")"); err != nil {
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
		if applied {
			return fsm.EvAttach, nil
		}
		if err := r.save(); err != nil {
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
