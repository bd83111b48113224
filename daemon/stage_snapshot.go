package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"zoneup/fsm"
)

// snapshot takes the one recursive snapshot of the job. Its name is on disk
// before the call; on resume an existing snapshot of that name is the one
// this job took, never a reason to take another.
func (r *run) snapshot(ctx context.Context) (fsm.Event, error) {
	if r.job.BlockPending {
		return r.unblock(ctx)
	}
	if err := r.begin("snapshot", ""); err != nil {
		return "", err
	}
	fail := func(err error) (fsm.Event, error) {
		// zfs snapshot -r is atomic: nothing to clean. Refuse the job and
		// put the zone back as it was.
		r.setFailure(causeOf(err), err)
		r.job.BlockPending = true
		if err := r.end("failed", err); err != nil {
			return "", err
		}
		return r.unblock(ctx)
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
	exists := false
	if !r.noSnapshot {
		var err error
		if exists, err = r.t.SnapshotExists(ctx, name); err != nil {
			return fail(err)
		}
	}
	switch {
	case exists:
		r.note("event", "snapshot "+name+" already taken by this job")
	case r.job.SnapshotTaken:
		return fail(fmt.Errorf("snapshot %s was taken by this job but no longer exists", name))
	default:
		r.job.Pending = "snapshot"
		if err := r.save(); err != nil {
			return "", err
		}
		if err := r.t.Snapshot(ctx, name); err != nil {
			if errorsIsInterrupted(err) {
				return "", err // killed at the drain's end: looked at again at the next start
			}
			r.job.Pending = ""
			return fail(err) // the tool's error names the command
		}
	}
	r.job.SnapshotTaken = true
	r.job.Pending = ""
	if err := r.end("ok", nil); err != nil {
		return "", err
	}
	return fsm.EvDetach, nil
}

// causeOf names an unfixable cause found in an error text ("" if none).
func causeOf(err error) string {
	if err == nil {
		return ""
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "out of space") || strings.Contains(s, "no space left") {
		return "no-space"
	}
	return ""
}

func errorsIsInterrupted(err error) bool { return errors.Is(err, errInterrupted) }
