package host

import (
	"context"
	"fmt"
	"path"
	"strings"
)

// mount -p, mount -F zfs, umount (reference 8, SPEC 2). A zone BE is
// legacy-mounted on the zone root, so `mount -p` (not the zfs mountpoint
// property) says what is there.

// ParseMountP parses `mount -p`, the mount table in vfstab format: special,
// fsck device, mount point, fstype, fsck pass, mount at boot, options,
// separated by blanks. Options are "" when absent or `-`. A line with fewer
// than four fields is an error (nil mounts).
func ParseMountP(out string) ([]Mount, error) {
	var mounts []Mount
	for i, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 4 {
			return nil, fmt.Errorf("mount -p: line %d: %d fields, want 7: %q", i+1, len(f), line)
		}
		m := Mount{Special: f[0], Mountpoint: f[2], FSType: f[3]}
		if len(f) >= 7 {
			m.Options = dash(f[6])
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

// MountedAt is what is mounted on dir per `mount -p`: the last line whose
// mount point is dir (the one on top when mounts are stacked), and whether
// there is one.
func (t Tools) MountedAt(ctx context.Context, dir string) (Mount, bool, error) {
	res, err := t.run(ctx, false, nil, "mount", "-p")
	if err != nil {
		return Mount{}, false, err
	}
	mounts, err := ParseMountP(string(res.Stdout))
	if err != nil {
		return Mount{}, false, err
	}
	want := path.Clean(dir)
	var found Mount
	ok := false
	for _, m := range mounts {
		if path.Clean(m.Mountpoint) == want {
			found, ok = m, true
		}
	}
	return found, ok, nil
}

// MountZFS legacy-mounts a zfs dataset on dir (`mount -F zfs SPECIAL DIR`),
// as the ipkg brand mounts a zone BE on the zone root.
func (t Tools) MountZFS(ctx context.Context, special, dir string) error {
	_, err := t.run(ctx, true, nil, "mount", "-F", "zfs", special, dir)
	return err
}

// MountZFSOverlay legacy-mounts a zfs dataset on dir over what dir holds
// (`mount -F zfs -O SPECIAL DIR`), as the sparse brand mounts a zone BE's
// overlays (reference 10.2). Like any `mount -F zfs` it needs the
// dataset's mountpoint to be legacy.
func (t Tools) MountZFSOverlay(ctx context.Context, special, dir string) error {
	_, err := t.run(ctx, true, nil, "mount", "-F", "zfs", "-O", special, dir)
	return err
}

// Mounts is the whole mount table (`mount -p`).
func (t Tools) Mounts(ctx context.Context) ([]Mount, error) {
	res, err := t.run(ctx, false, nil, "mount", "-p")
	if err != nil {
		return nil, err
	}
	return ParseMountP(string(res.Stdout))
}

// Umount unmounts what is mounted on dir (`umount DIR`).
func (t Tools) Umount(ctx context.Context, dir string) error {
	_, err := t.run(ctx, true, nil, "umount", dir)
	return err
}
