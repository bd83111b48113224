package daemon

import (
	"context"

	"zoneup/fsm"
	"zoneup/host"
)

// cancelStep runs at a stage boundary of a job whose cancel was requested.
// Before anything changed the zone is only booted again if the job halted
// it; afterwards it is rolled back (the rollback then ends as cancelled).
func (r *run) cancelStep(ctx context.Context) (fsm.Event, error) {
	switch r.m.Current() {
	case fsm.Queued, fsm.Preflight:
		return fsm.EvCancel, nil
	case fsm.Halt, fsm.Snapshot:
		if err := r.bootIfWasRunning(ctx); err != nil {
			if errorsIsInterrupted(err) {
				return "", err
			}
			r.warn("could not boot the zone again after cancel: " + err.Error())
		}
		return fsm.EvCancel, nil
	case fsm.Detach:
		// The snapshot is taken; until the zone is detached nothing else
		// has changed: boot it again rather than roll it back.
		if z, err := r.zone(ctx); err == nil && (z.State == host.StateInstalled || z.State == host.StateRunning) {
			if err := r.bootIfWasRunning(ctx); err != nil {
				if errorsIsInterrupted(err) {
					return "", err
				}
				r.warn("could not boot the zone again after cancel: " + err.Error())
			}
			return fsm.EvCancel, nil
		}
	case fsm.Rollback:
		return r.rollback(ctx)
	}
	r.setFailure(errCancelled)
	return fsm.EvRollback, nil
}

var errCancelled = errorString("cancelled by the operator")

type errorString string

func (e errorString) Error() string { return string(e) }
