package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// restoreConfig brings the configuration back from the job's snapshot after
// a re-created image was attached: every file under restore_paths whose
// content differs is put back, and the version it replaces is kept beside
// it as FILE.zoneup-new. It is idempotent: a file equal to the snapshot's is
// left alone, and an existing .zoneup-new is never overwritten, so a crash
// half way loses nothing.
//
// The zone root belongs to the zone, and zoneupd runs as root in the global
// zone: every access goes through os.Root, so a symbolic link in the zone
// (or in its snapshot) that points outside the zone root, or is absolute,
// is refused instead of followed into the global zone's files.
func (r *run) restoreConfig(ctx context.Context) error {
	zone, err := os.OpenRoot(r.root())
	if err != nil {
		return err
	}
	defer zone.Close()
	snap, err := zone.OpenRoot(filepath.Join(".zfs", "snapshot", "zoneup-"+r.job.ID))
	if err != nil {
		return err
	}
	defer snap.Close()
	// Each file is compared before it is copied, so a restore interrupted
	// half way is simply made again.
	var errs []error
	if _, err := r.once(ctx, oneShot{effect: effRestore, act: func(ctx context.Context) error {
		for _, rel := range r.cfg.RestorePaths {
			rel = filepath.Clean(rel)
			err := fs.WalkDir(snap.FS(), rel, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) && p == rel {
						return nil // not in this zone
					}
					return err
				}
				if ctx.Err() != nil {
					return errInterrupted
				}
				if !d.Type().IsRegular() {
					return nil
				}
				changed, err := restoreFile(snap, zone, p)
				if err != nil {
					return fmt.Errorf("restore %s: %w", p, err)
				}
				if changed && !slices.Contains(r.job.RestoredFiles, p) {
					r.job.RestoredFiles = append(r.job.RestoredFiles, p)
					r.note("event", "restored "+p+" from the snapshot (replaced version kept as "+p+".zoneup-new)")
				}
				return nil
			})
			if err != nil {
				if errors.Is(err, errInterrupted) {
					return err
				}
				errs = append(errs, err)
			}
		}
		return nil
	}}); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// restoreFile copies name from the snapshot over the zone's file if their
// contents differ, keeping the zone's as name.zoneup-new. It reports
// whether it changed the zone's file.
func restoreFile(snap, zone *os.Root, name string) (bool, error) {
	want, err := snap.ReadFile(name)
	if err != nil {
		return false, err
	}
	have, err := zone.ReadFile(name)
	if err == nil && bytes.Equal(have, want) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	keep := name + ".zoneup-new"
	if err == nil {
		if _, statErr := zone.Lstat(keep); errors.Is(statErr, fs.ErrNotExist) {
			if err := zone.Rename(name, keep); err != nil {
				return false, err
			}
		}
	}
	st, err := snap.Stat(name)
	if err != nil {
		return false, err
	}
	if err := zone.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return false, err
	}
	tmp := name + ".zoneup-tmp"
	if err := copyFile(snap, zone, name, tmp, st.Mode().Perm()); err != nil {
		return false, err
	}
	chown(zone, tmp, st)
	return true, zone.Rename(tmp, name)
}

func copyFile(snap, zone *os.Root, src, dst string, mode fs.FileMode) error {
	in, err := snap.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := zone.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
