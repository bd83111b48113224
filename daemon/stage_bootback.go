package daemon

import (
	"context"

	"zoneup/fsm"
	"zoneup/host"
)

// bootBack puts back a zone whose job was refused, or cancelled, before
// its detach: the zone is booted again if it ran before the job, and the
// job ends blocked (or cancelled). A zone a cancelled job had detached
// already (the detach completed before the cancel was seen) is rolled
// back instead. On resume it looks again: a zone running already is left
// alone.
func (r *run) bootBack(ctx context.Context) (fsm.Event, error) {
	if r.m.Cancelled() {
		z, err := r.zone(ctx)
		if err != nil || (z.State != host.StateInstalled && z.State != host.StateRunning) {
			r.setFailure(errCancelled)
			return fsm.EvRollback, nil
		}
	}
	if err := r.bootIfWasRunning(ctx); err != nil {
		if errorsIsInterrupted(err) {
			return "", err
		}
		if r.m.Cancelled() {
			r.warn("could not boot the zone again after cancel: " + err.Error())
		} else {
			r.warn("could not boot the zone again: " + err.Error())
		}
	}
	if r.m.Cancelled() {
		return fsm.EvCancelled, nil
	}
	return fsm.EvBlock, nil
}

var errCancelled = errorString("cancelled by the operator")

type errorString string

func (e errorString) Error() string { return string(e) }
