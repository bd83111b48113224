package sim

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree maps every path below root (but .zfs) to its content ("dir" for
// directories) and mode.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".zfs" {
			return filepath.SkipDir
		}
		info, _ := d.Info()
		if d.IsDir() {
			m[rel] = "dir " + info.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m[rel] = info.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s is %q, want %q", what, k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s should not exist", what, k)
		}
	}
}

// A recursive snapshot of a zone, changes to its files and package image,
// and a rollback of the zbe: files and image are exactly as they were.
func TestSnapshotRollback(t *testing.T) {
	w := newScenario(t, 20000, `{"profile": "s11e", "zones": [
		{"name": "z1", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22", "web/php-52"], "extra_zbe": true}]}`)
	root := w.root("z1")
	zbe := "rpool/zones/z1/ROOT/zbe"
	before := tree(t, root)
	pkgsBefore := w.ok("pkg", "-R", root, "list", "-H")
	pubsBefore := w.ok("pkg", "-R", root, "publisher", "-H", "-F", "tsv")

	w.ok("zfs", "snapshot", "-r", "rpool/zones/z1@one")
	snaps := strings.Fields(w.ok("zfs", "list", "-H", "-o", "name", "-t", "snapshot", "-r", "rpool/zones/z1"))
	want := []string{"rpool/zones/z1@one", "rpool/zones/z1/ROOT@one", zbe + "@one", zbe + "-1@one"}
	if !slices.Equal(snaps, want) {
		t.Errorf("snapshots %v, want %v", snaps, want)
	}
	r := w.expectCode(1, "zfs", "snapshot", "-r", "rpool/zones/z1@one")
	if r.err != "cannot create snapshot 'rpool/zones/z1@one': dataset already exists\n" {
		t.Errorf("second snapshot: %q", r.err)
	}
	sameTree(t, ".zfs/snapshot/one", tree(t, filepath.Join(root, ".zfs/snapshot/one")), before)

	// Change everything: files added, removed, changed; packages and
	// publishers; and another snapshot after it.
	os.WriteFile(filepath.Join(root, "etc/motd"), []byte("new\n"), 0o644)
	os.Remove(filepath.Join(root, "etc/resolv.conf"))
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644)
	os.RemoveAll(filepath.Join(root, "var/spool"))
	w.ok("pkg", "-R", root, "uninstall", "web/php-52", "web/server/apache-22")
	w.ok("pkg", "-R", root, "set-publisher", "--no-refresh", "-g", "http://pkg.example.org/contrib/", "contrib")
	r = w.expectCode(1, "zfs", "rollback", zbe+"@one")
	if r.err != "cannot rollback '"+zbe+"': dataset is busy\n" {
		t.Errorf("rollback of a running zone's root: %s", r)
	}
	w.ok("zfs", "snapshot", "-r", "rpool/zones/z1@two")
	w.ok("zoneadm", "-z", "z1", "halt")
	r = w.expectCode(1, "zfs", "rollback", zbe+"@one")
	if r.err != "cannot rollback to '"+zbe+"@one': more recent snapshots exist\nuse '-r' to force deletion of the following snapshots:\n"+zbe+"@two\n" {
		t.Errorf("rollback over a newer snapshot: %q", r.err)
	}
	w.ok("zfs", "rollback", "-r", zbe+"@one")
	w.ok("mount", "-F", "zfs", zbe, root)
	sameTree(t, "after rollback", tree(t, root), before)
	if got := w.ok("pkg", "-R", root, "list", "-H"); got != pkgsBefore {
		t.Errorf("packages after rollback:\n%s\nwant\n%s", got, pkgsBefore)
	}
	if got := w.ok("pkg", "-R", root, "publisher", "-H", "-F", "tsv"); got != pubsBefore {
		t.Errorf("publishers after rollback:\n%s\nwant\n%s", got, pubsBefore)
	}
	if _, err := os.Stat(filepath.Join(root, ".zfs/snapshot/two")); !os.IsNotExist(err) {
		t.Errorf("snapshot two still visible: %v", err)
	}
	if got := w.ok("zfs", "list", "-H", "-o", "name", "-t", "snapshot", zbe+"@one"); got != zbe+"@one\n" {
		t.Errorf("zfs list of the snapshot: %q", got)
	}
	w.expectCode(1, "zfs", "list", zbe+"@two")
	// The conflicts trouble is back with the packages.
	if s := w.state().Zone("z1"); s.Troubles[0].Cured {
		t.Error("conflicts cured after the rollback brought the packages back")
	}
	w.ok("umount", root)
	w.ok("zfs", "destroy", "-r", "rpool/zones/z1@one")
	// The rollback -r took zbe@two; the other datasets keep theirs.
	want = []string{"rpool/zones/z1@two", "rpool/zones/z1/ROOT@two", zbe + "-1@two"}
	if s := w.state().Zone("z1"); !slices.Equal(s.Snapshots, want) {
		t.Errorf("snapshots after destroy -r: %v, want %v", s.Snapshots, want)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "data", strings.ReplaceAll(zbe, "/", "%"), ".zfs/snapshot/one")); !os.IsNotExist(err) {
		t.Errorf("destroyed snapshot's files remain: %v", err)
	}
}

// zfs snapshot -r is atomic: the out-of-space fault and an existing
// snapshot on a child leave nothing behind.
func TestSnapshotAtomic(t *testing.T) {
	w := newScenario(t, 20000, `{"zones": [
		{"name": "z1", "state": "installed", "faults": ["no-space-snapshot"]},
		{"name": "z2", "state": "installed"}]}`)
	r := w.expectCode(1, "zfs", "snapshot", "-r", "rpool/zones/z1@s")
	if r.err != "cannot create snapshot 'rpool/zones/z1@s': out of space\n" {
		t.Errorf("out of space: %q", r.err)
	}
	w.ok("zfs", "snapshot", "rpool/zones/z2/ROOT/zbe@s")
	r = w.expectCode(1, "zfs", "snapshot", "-r", "rpool/zones/z2@s")
	if r.err != "cannot create snapshot 'rpool/zones/z2/ROOT/zbe@s': dataset already exists\n" {
		t.Errorf("existing child snapshot: %q", r.err)
	}
	s := w.state()
	if n := len(s.Zone("z1").Snapshots); n != 0 {
		t.Errorf("z1 snapshots %v", s.Zone("z1").Snapshots)
	}
	if got := s.Zone("z2").Snapshots; !slices.Equal(got, []string{"rpool/zones/z2/ROOT/zbe@s"}) {
		t.Errorf("z2 snapshots %v", got)
	}
	w.expectCode(1, "zfs", "snapshot", "-r", "rpool/zones/nosuch@s")
}
