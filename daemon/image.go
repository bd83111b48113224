package daemon

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"zoneup/host"
)

// ensureImage makes the zone root a package image zoneup may read and
// change: the zone BE mounted on it and, for a sparse or pkgsrc zone, its
// overlay datasets on lib/svc and usr/lib/fm too. pkg refuses a partial
// image whose overlays' key files are missing (reference 10.2), and a
// failed attach leaves them unmounted: the brand's exit trap resets only
// the zone BE.
func (r *run) ensureImage(ctx context.Context) error {
	if err := r.ensureMounted(ctx); err != nil {
		return err
	}
	if !host.SparseBrand(r.job.Brand) || r.facts.overlaysMounted() {
		return nil
	}
	if err := r.mountOverlays(ctx); err != nil {
		return fmt.Errorf("overlays of %s: %w", r.job.ZBE, err)
	}
	r.facts.mountedOverlays() // until a call that may unmount them
	return nil
}

// mountOverlays mounts each overlay that is not mounted at its place. One
// whose mountpoint is legacy (inherited from an attached zone BE) is
// mounted as the brand mounts it, `mount -F zfs -O`; `mount -F zfs`
// refuses any other. One with a mountpoint of its own (a detached zone's,
// or inherited from the zone BE after a failed attach, which points to
// the wrong place) gets the mountpoint the sparse brand's detach gives it,
// and is mounted with `zfs mount -O` if setting it did not mount it. Both
// leave the overlays as the brand's next attach expects to find them: it
// sets their properties and mounts them itself.
func (r *run) mountOverlays(ctx context.Context) error {
	mounts, err := r.t.Mounts(ctx)
	if err != nil {
		return err
	}
	for _, ov := range host.SparseOverlays {
		ds, dir := r.job.ZBE+"/"+ov.Child, r.root()+"/"+ov.Dir
		if m, ok := mountedOn(mounts, dir); ok {
			if m.Special != ds {
				return fmt.Errorf("%s is mounted on %s, not the overlay %s", m.Special, dir, ds)
			}
			continue
		}
		mp, err := r.t.GetProperty(ctx, ds, "mountpoint")
		if err != nil {
			return err
		}
		r.note("event", "mounting overlay "+ds+" on "+dir)
		if mp == "legacy" {
			if err := r.t.MountZFSOverlay(ctx, ds, dir); err != nil {
				return err
			}
			continue
		}
		if path.Clean(mp) != dir {
			if err := r.t.SetProperty(ctx, ds, "mountpoint", dir); err != nil {
				return err
			}
			now, err := r.t.Mounts(ctx)
			if err != nil {
				return err
			}
			if _, ok := mountedOn(now, dir); ok {
				continue
			}
		}
		if err := r.t.MountOverlayZFS(ctx, ds); err != nil {
			return err
		}
	}
	return nil
}

// unmountOverlays unmounts the overlays mounted the legacy way under the
// zone root, deepest first, before the zone BE itself is unmounted (a
// rollback). Overlays mounted through their own mountpoint stay: zfs
// rollback remounts them.
func (r *run) unmountOverlays(ctx context.Context, mounts []host.Mount) error {
	if !host.SparseBrand(r.job.Brand) {
		return nil
	}
	for i := len(host.SparseOverlays) - 1; i >= 0; i-- {
		ov := host.SparseOverlays[i]
		dir := r.root() + "/" + ov.Dir
		m, ok := mountedOn(mounts, dir)
		if !ok || m.FSType != "zfs" {
			continue
		}
		mp, err := r.t.GetProperty(ctx, m.Special, "mountpoint")
		if err != nil && !errors.Is(err, host.ErrNotFound) {
			return err
		}
		if mp != "legacy" {
			continue
		}
		if err := r.t.Umount(ctx, dir); err != nil {
			return fmt.Errorf("umount %s: %w", dir, err)
		}
	}
	return nil
}

// mountedOn is what mounts says is mounted on dir: the last such line (the
// one on top when mounts are stacked).
func mountedOn(mounts []host.Mount, dir string) (host.Mount, bool) {
	want := path.Clean(dir)
	var found host.Mount
	ok := false
	for _, m := range mounts {
		if path.Clean(m.Mountpoint) == want {
			found, ok = m, true
		}
	}
	return found, ok
}

// keyFileHint says what a missing key file means, for the job's error.
func keyFileHint(err error) error {
	dirs := make([]string, 0, len(host.SparseOverlays))
	for _, ov := range host.SparseOverlays {
		dirs = append(dirs, ov.Dir)
	}
	return fmt.Errorf("pkg refuses the zone image: its key files are missing, the overlays %s are not mounted (reference 10.2): %w",
		strings.Join(dirs, " and "), err)
}
