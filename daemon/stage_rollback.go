package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"zoneup/fsm"
	"zoneup/host"
)

// rollback puts the zone's datasets back on the job's snapshot and leaves
// the zone detached (configured). Never attach -F; a rolled-back zone is
// neither re-attached nor booted. Every step looks first, so a rollback
// interrupted by a crash simply runs again.
func (r *run) rollback(ctx context.Context) (fsm.Event, error) {
	r.releaseGlobal(ctx)
	if err := r.begin("rollback", ""); err != nil {
		return "", err
	}
	err := r.undo(ctx)
	if errorsIsInterrupted(err) {
		return "", err
	}
	if err != nil {
		if r.job.Error == "" {
			r.job.Error = oneLine(err.Error())
		} else {
			r.job.Error = oneLine(r.job.Error + "; rollback: " + err.Error())
		}
		if err := r.end("failed", err); err != nil {
			return "", err
		}
		return fsm.EvFail, nil
	}
	if err := r.end("ok", nil); err != nil {
		return "", err
	}
	if r.job.CancelRequested {
		return fsm.EvCancel, nil
	}
	return fsm.EvRolledBack, nil
}

func (r *run) undo(ctx context.Context) error {
	z, err := r.zone(ctx)
	if errors.Is(err, host.ErrNoSuchZone) {
		return fmt.Errorf("zone %s is gone: roll back %s by hand", r.job.Zone, r.job.Snapshot)
	}
	if err != nil {
		return err
	}
	if err := r.ensureHalted(ctx); err != nil {
		return err
	}
	if z.State == host.StateRunning || z.State == host.StateInstalled {
		// Leave the zone detached; the brand's detach mounts the zone BE on
		// the root, which is unmounted next.
		err := r.retry(ctx, "detach", func() error { return r.t.Detach(ctx, r.job.Zone) })
		r.left(host.StateConfigured, err)
		if err != nil {
			return fmt.Errorf("detach: %w", err)
		}
	}
	// A zone BE mounted the legacy way (mount -F zfs) is unmounted first; one
	// mounted through its mountpoint property, as detach leaves it, stays:
	// zfs rollback remounts it, and the detached zone keeps its files in view.
	if m, mounted, err := r.t.MountedAt(ctx, r.root()); err != nil {
		return err
	} else if mounted {
		mp, err := r.t.GetProperty(ctx, m.Special, "mountpoint")
		if err != nil {
			return err
		}
		if mp == "legacy" {
			r.rootMounted = false
			if err := r.t.Umount(ctx, r.root()); err != nil {
				return fmt.Errorf("umount %s: %w", r.root(), err)
			}
		}
	}
	if !r.job.SnapshotTaken {
		return errors.New("no snapshot was taken: nothing to roll back to")
	}
	all, err := r.t.Snapshots(ctx, r.job.Dataset)
	if err != nil {
		return err
	}
	suffix := "@zoneup-" + r.job.ID
	var snaps []string
	for _, s := range all {
		if strings.HasSuffix(s, suffix) {
			snaps = append(snaps, s)
		}
	}
	if !slices.Contains(snaps, r.job.Snapshot) {
		return fmt.Errorf("snapshot %s is missing", r.job.Snapshot)
	}
	// Deepest first: children before their parents.
	slices.SortStableFunc(snaps, func(a, b string) int {
		return strings.Count(b, "/") - strings.Count(a, "/")
	})
	for _, s := range snaps {
		r.note("event", "zfs rollback "+s)
		if err := r.t.Rollback(ctx, s); err != nil {
			return fmt.Errorf("zfs rollback %s: %w", s, err)
		}
	}
	return nil
}
