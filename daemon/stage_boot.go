package daemon

import (
	"context"
	"fmt"

	"zoneup/fsm"
	"zoneup/host"
)

// boot boots the upgraded zone (whatever its state before the job). A boot
// that fails sends the job to rollback.
func (r *run) boot(ctx context.Context) (fsm.Event, error) {
	r.begin("boot", "")
	z, err := r.zoneSeen(ctx)
	if err == nil && z.State != host.StateRunning {
		err = r.retry(ctx, "boot", func() error { return r.t.Boot(ctx, r.job.Zone) })
	}
	if errorsIsInterrupted(err) {
		return "", err
	}
	if err != nil {
		err = fmt.Errorf("boot: %w", err)
		r.setFailure(withCause(Cause{Kind: CauseBoot}, err))
		r.end("failed", err)
		return fsm.EvRollback, nil
	}
	r.end("ok", nil)
	return fsm.EvVerify, nil
}
