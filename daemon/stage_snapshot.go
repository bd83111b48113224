package daemon

import (
	"context"
	"errors"
	"fmt"

	"zoneup/fsm"
)

// snapshot takes the one recursive snapshot of the job. Its name is on disk
// before the call; on resume an existing snapshot of that name is the one
// this job took, never a reason to take another.
func (r *run) snapshot(ctx context.Context) (fsm.Event, error) {
	r.begin("snapshot", "")
	fail := func(err error) (fsm.Event, error) {
		// zfs snapshot -r is atomic: nothing to clean. Refuse the job and
		// put the zone back as it was.
		r.setFailure(err) // a pool out of space is its cause
		r.end("failed", err)
		return fsm.EvBootBack, nil
	}
	if err := r.ensureHalted(ctx); err != nil {
		if errorsIsInterrupted(err) {
			return "", err
		}
		return fail(err)
	}
	name := r.snapName()
	if r.job.Snapshot != name {
		r.job.Snapshot = name
		if err := r.save(); err != nil {
			return "", err
		}
	}
	if r.job.SnapshotTaken {
		// A retry, or a resume after the snapshot was recorded: it must
		// still be there.
		exists, err := r.snapshotExists(ctx)
		if err != nil {
			return fail(err)
		}
		if !exists {
			return fail(fmt.Errorf("snapshot %s was taken by this job but no longer exists", name))
		}
		r.note("event", "snapshot "+name+" already taken by this job")
	} else if _, err := r.once(ctx, oneShot{
		effect: effSnapshot,
		took:   r.snapshotExists,
		act:    func(ctx context.Context) error { return r.t.Snapshot(ctx, name) },
		isDone: func() bool { return r.job.SnapshotTaken },
		done:   func() { r.job.SnapshotTaken = true },
	}); err != nil {
		if errorsIsInterrupted(err) {
			return "", err
		}
		return fail(err) // the tool's error names the command
	}
	r.end("ok", nil)
	return fsm.EvDetach, nil
}

func errorsIsInterrupted(err error) bool { return errors.Is(err, errInterrupted) }
