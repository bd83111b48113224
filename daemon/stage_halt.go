package daemon

import (
	"context"

	"zoneup/fsm"
	"zoneup/host"
)

// halt stops a running zone. On resume it looks first: a zone already
// halted is not halted again.
func (r *run) halt(ctx context.Context) (fsm.Event, error) {
	r.begin("halt", "")
	err := r.ensureHalted(ctx)
	if errorsIsInterrupted(err) {
		return "", err
	}
	if err != nil {
		// Nothing has changed yet: refuse, and boot the zone again if the
		// halt got half way.
		r.setFailure(err)
		r.end("failed", err)
		return fsm.EvBootBack, nil
	}
	r.end("ok", nil)
	return fsm.EvSnapshot, nil
}

// ensureHalted halts the zone if it runs (also a zone that the zones
// service autobooted after a host reboot while its job was mid-way), or is
// on its way down: halt finishes that, so nothing is snapshotted while the
// zone still has a kernel zone.
func (r *run) ensureHalted(ctx context.Context) error {
	z, err := r.zoneSeen(ctx)
	if err != nil {
		return err
	}
	switch z.State {
	case host.StateRunning, host.StateReady, host.StateShuttingDown, host.StateDown:
	default:
		return nil
	}
	r.note("event", "halting "+r.job.Zone+" (it is "+z.State+")")
	err = r.retry(ctx, "halt", func() error { return r.t.Halt(ctx, r.job.Zone) })
	return err
}

// bootIfWasRunning boots the zone if it ran before the job and is installed
// but not running now.
func (r *run) bootIfWasRunning(ctx context.Context) error {
	if r.job.PriorState != host.StateRunning {
		return nil
	}
	z, err := r.zone(ctx)
	if err != nil {
		return err
	}
	if z.State != host.StateInstalled {
		return nil
	}
	r.note("event", "booting "+r.job.Zone+" again: it was running before the job")
	err = r.retry(ctx, "boot", func() error { return r.t.Boot(ctx, r.job.Zone) })
	return err
}
