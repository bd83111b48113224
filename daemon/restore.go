package daemon

import (
	"bytes"
	"context"
	"errors"
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
func (r *run) restoreConfig(ctx context.Context) error {
	snapRoot := filepath.Join(r.root(), ".zfs", "snapshot", "zoneup-"+r.job.ID)
	if _, err := os.Stat(snapRoot); err != nil {
		return err
	}
	r.job.Pending = "restore"
	if err := r.save(); err != nil {
		return err
	}
	var errs []error
	for _, rel := range r.cfg.RestorePaths {
		src := filepath.Join(snapRoot, rel)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && p == src {
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
			relFile, _ := filepath.Rel(snapRoot, p)
			changed, err := restoreFile(p, filepath.Join(r.root(), relFile))
			if err != nil {
				return err
			}
			if changed && !slices.Contains(r.job.RestoredFiles, relFile) {
				r.job.RestoredFiles = append(r.job.RestoredFiles, relFile)
				r.note("event", "restored "+relFile+" from the snapshot (replaced version kept as "+relFile+".zoneup-new)")
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
	r.job.Pending = ""
	r.markDone("restore")
	if err := r.save(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// restoreFile copies src over dst if their contents differ, keeping dst as
// dst.zoneup-new. It reports whether it changed dst.
func restoreFile(src, dst string) (bool, error) {
	want, err := os.ReadFile(src)
	if err != nil {
		return false, err
	}
	have, err := os.ReadFile(dst)
	if err == nil && bytes.Equal(have, want) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	keep := dst + ".zoneup-new"
	if err == nil {
		if _, statErr := os.Lstat(keep); errors.Is(statErr, fs.ErrNotExist) {
			if err := os.Rename(dst, keep); err != nil {
				return false, err
			}
		}
	}
	st, err := os.Stat(src)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	tmp := dst + ".zoneup-tmp"
	if err := copyFile(src, tmp, st.Mode().Perm()); err != nil {
		return false, err
	}
	chown(tmp, st)
	return true, os.Rename(tmp, dst)
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
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
