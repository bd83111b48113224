package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	r.begin("rollback", "")
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
		r.end("failed", err)
		return fsm.EvFail, nil
	}
	r.end("ok", nil)
	if r.m.Cancelled() {
		return fsm.EvCancelled, nil
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
		if err != nil {
			return fmt.Errorf("detach: %w", err)
		}
	}
	if !r.job.SnapshotTaken {
		return errors.New("no snapshot was taken: nothing to roll back to")
	}
	// Everything is looked at before anything changes: a clone stops the
	// rollback with the zone detached and its datasets untouched.
	plan, err := r.rollbackPlan(ctx)
	if err != nil {
		return err
	}
	// A zone BE mounted the legacy way (mount -F zfs) is unmounted first,
	// after a sparse zone's overlays; one mounted through its mountpoint
	// property, as detach leaves it, stays: zfs rollback remounts it, and
	// the detached zone keeps its files in view.
	mounts, err := r.t.Mounts(ctx)
	if err != nil {
		return err
	}
	if err := r.unmountOverlays(ctx, mounts); err != nil {
		return err
	}
	if m, mounted := mountedOn(mounts, r.root()); mounted && m.FSType == "zfs" {
		mp, err := r.t.GetProperty(ctx, m.Special, "mountpoint")
		if err != nil {
			return err
		}
		if mp == "legacy" {
			if err := r.t.Umount(ctx, r.root()); err != nil {
				return fmt.Errorf("umount %s: %w", r.root(), err)
			}
		}
	}
	for _, ds := range plan.delegated {
		r.warn(fmt.Sprintf("delegated dataset %s under the zonepath is left as it is (not rolled back; its snapshot %s@zoneup-%s is kept)", ds, ds, r.job.ID))
	}
	for _, t := range plan.targets {
		if len(t.newer) == 0 {
			r.note("event", "zfs rollback "+t.snap)
			if err := r.t.Rollback(ctx, t.snap); err != nil {
				return fmt.Errorf("zfs rollback %s: %w", t.snap, err)
			}
			continue
		}
		r.note("event", "zfs rollback -r "+t.snap+" (destroys "+strings.Join(t.newer, ", ")+")")
		if err := r.t.RollbackDestroyingNewer(ctx, t.snap); err != nil {
			return fmt.Errorf("zfs rollback -r %s: %w", t.snap, err)
		}
		r.warn("snapshots newer than the job's destroyed by the rollback: " + strings.Join(t.newer, ", "))
	}
	return r.detachedLayout(ctx)
}

// rollbackTarget is one dataset to roll back: the job's snapshot of it
// and the snapshots taken after it, which zfs rollback -r destroys.
type rollbackTarget struct {
	snap  string
	newer []string
}

type rollbackPlan struct {
	targets   []rollbackTarget // deepest first
	delegated []string         // datasets under the zonepath left alone
}

// rollbackPlan looks at every snapshot under the zonepath dataset before
// anything is rolled back (reference 10.5): the zonepath dataset and its
// ROOT tree are rolled back to the job's snapshot; a delegated dataset
// elsewhere under the zonepath holds the zone's data and is left alone.
// Snapshots newer than the job's (time-slider, znapzend, a global zone
// beadm create) are destroyed with -r only when none of them has a clone:
// -R would destroy the clone too (a boot environment, a copy someone
// uses), so a clone stops the rollback before it changes anything.
func (r *run) rollbackPlan(ctx context.Context) (rollbackPlan, error) {
	all, err := r.t.SnapshotInfos(ctx, r.job.Dataset)
	if err != nil {
		return rollbackPlan{}, err
	}
	name := "zoneup-" + r.job.ID
	ours := map[string]host.SnapshotInfo{} // dataset -> the job's snapshot of it
	for _, s := range all {
		if strings.HasSuffix(s.Name, "@"+name) {
			ours[s.Dataset()] = s
		}
	}
	if _, ok := ours[r.job.Dataset]; !ok {
		return rollbackPlan{}, fmt.Errorf("snapshot %s is missing", r.job.Snapshot)
	}
	var plan rollbackPlan
	inTree := func(ds string) bool {
		return ds == r.job.Dataset || ds == r.job.Dataset+"/ROOT" || strings.HasPrefix(ds, r.job.Dataset+"/ROOT/")
	}
	var clones []string
	for _, ds := range slices.Sorted(maps.Keys(ours)) {
		if !inTree(ds) {
			plan.delegated = append(plan.delegated, ds)
			continue
		}
		t := rollbackTarget{snap: ours[ds].Name}
		for _, s := range all {
			if s.Dataset() != ds || s.CreateTxg <= ours[ds].CreateTxg {
				continue
			}
			t.newer = append(t.newer, s.Name)
			for _, c := range s.Clones {
				clones = append(clones, s.Name+" (cloned to "+c+")")
			}
		}
		plan.targets = append(plan.targets, t)
	}
	if len(clones) > 0 {
		return rollbackPlan{}, fmt.Errorf("not rolled back: snapshots newer than %s have clones, which zfs rollback -r cannot destroy and zoneup never destroys with -R: %s; "+
			"decide about each clone (zfs promote or zfs destroy), then zfs rollback -r each dataset to @%s", r.job.Snapshot, strings.Join(clones, ", "), name)
	}
	// Deepest first: children before their parents.
	slices.SortStableFunc(plan.targets, func(a, b rollbackTarget) int {
		return strings.Count(b.snap, "/") - strings.Count(a.snap, "/")
	})
	return plan, nil
}

// detachedLayout leaves the zone BE as the ipkg brand's detach leaves it
// (reference 3.3 step 3): zoned=off, canmount=on, mountpoint ZONEROOT, so
// that a manual `zoneadm attach` finds it mounted. zfs properties are not
// rolled back, and a killed attach (or the legacy unmount above) can leave
// it legacy and noauto; then attach fails with "Failed to locate any
// dataset mounted at" (reference 10.5).
func (r *run) detachedLayout(ctx context.Context) error {
	want := [][2]string{{"zoned", "off"}, {"canmount", "on"}, {"mountpoint", r.root()}}
	have, err := r.t.GetProperties(ctx, r.job.ZBE, "zoned", "canmount", "mountpoint")
	if err != nil {
		return err
	}
	for _, pv := range want {
		if have[pv[0]] == pv[1] {
			continue
		}
		r.note("event", fmt.Sprintf("zfs set %s=%s %s (as detach leaves a zone BE)", pv[0], pv[1], r.job.ZBE))
		if err := r.t.SetProperty(ctx, r.job.ZBE, pv[0], pv[1]); err != nil {
			return fmt.Errorf("zfs set %s=%s %s: %w", pv[0], pv[1], r.job.ZBE, err)
		}
	}
	return nil
}
