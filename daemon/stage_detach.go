package daemon

import (
	"context"
	"errors"
	"fmt"

	"zoneup/fsm"
	"zoneup/host"
)

// detach detaches an installed zone (the ipkg brand then mounts its zone BE
// on the zone root). A zone already detached is left as it is; one the
// zones service autobooted after a reboot is halted again first.
func (r *run) detach(ctx context.Context) (fsm.Event, error) {
	r.begin("detach", "")
	// Until the detach succeeds nothing has changed but the halt (the
	// snapshot is only a way back): a failure refuses the job and boots the
	// zone again if it was running.
	block := func(err error) (fsm.Event, error) {
		r.setFailure(err)
		r.end("failed", err)
		return fsm.EvBootBack, nil
	}
	if err := r.ensureHalted(ctx); err != nil {
		if errorsIsInterrupted(err) {
			return "", err
		}
		return block(err)
	}
	z, err := r.zoneSeen(ctx)
	if errors.Is(err, host.ErrNoSuchZone) {
		return block(withCause(Cause{Kind: CauseZoneGone}, err))
	}
	if err != nil {
		return block(err)
	}
	switch z.State {
	case host.StateConfigured:
		r.note("event", r.job.Zone+" is detached already")
	case host.StateInstalled:
		err := r.retry(ctx, "detach", func() error { return r.t.Detach(ctx, r.job.Zone) })
		if errorsIsInterrupted(err) {
			return "", err
		}
		if err != nil {
			return block(fmt.Errorf("detach: %w", err))
		}
		// The brand's detach mounts the zone BE on the zone root through its
		// mountpoint (reference 3.3 step 3): attach -u need not ask mount -p
		// (the run's facts know it).
	default:
		return block(fmt.Errorf("zone %s is %s, cannot detach", r.job.Zone, z.State))
	}
	r.end("ok", nil)
	return fsm.EvAttach, nil // at rung 0: attach-update
}
