package sim

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The datasets of a real host beyond a zone's zbe (reference 10.2, 10.5):
// the sparse brand's overlays, delegated datasets, received backups, and
// the snapshots and clones other programs make during the night.

// addOverlays gives a sparse or pkgsrc zone's zbe its svc and fm children
// and the image its partial-image properties, as pkgcreatezone left them
// and as the zone's state has them now.
func (w *world) addOverlays(z *zone, zbe *dataset, img *image) {
	img.Partial = true
	for _, ov := range overlays {
		img.KeyFiles = append(img.KeyFiles, ov.dir+"/"+keyFile)
		d := &dataset{Name: zbe.Name + "/" + ov.ds, Canmount: "noauto", Used: 12<<20 + uint64(len(z.Name))<<16,
			Created: zbe.Created, Data: true, Zone: z.Name}
		switch z.State {
		case "running":
			d.Mounted = filepath.Join(z.root(), ov.dir)
		case "configured":
			// Detached: the sparse detach set canmount=on and a mountpoint.
			d.Canmount, d.Mountpoint = "on", filepath.Join(z.root(), ov.dir)
			d.Mounted = d.Mountpoint
		}
		w.Datasets = append(w.Datasets, d)
	}
}

// addDatasetFaults adds the datasets the backup-twin and delegated faults
// stand for.
func (w *world) addDatasetFaults(z *zone) {
	created := w.Clock - 86400*20
	if z.hasFault(FaultDelegated) {
		w.Datasets = append(w.Datasets, &dataset{Name: z.Dataset + "/data", Mountpoint: "/data", Zoned: "on",
			Used: 200<<20 + uint64(len(z.Name))<<20, Created: created, Data: true, Zone: z.Name})
	}
	if z.hasFault(FaultBackupTwin) {
		w.addBackupTwin(z)
	}
}

// addBackupTwin is a copy of the zone received into a second pool with
// zfs recv -u: the same mountpoint property as the zonepath, not mounted,
// and sorting before the real one (reference 10.5).
func (w *world) addBackupTwin(z *zone) {
	old := w.Clock - 86400*40
	if w.dataset("backup") == nil {
		w.Datasets = append(w.Datasets,
			&dataset{Name: "backup", Used: 80 << 30, Created: old},
			&dataset{Name: "backup/zones", Used: 40 << 30, Created: old})
	}
	twin := "backup/zones/" + z.Name
	snaps := func() []*snap {
		var out []*snap
		for _, days := range []int64{9, 2} {
			t := w.Clock - 86400*days
			out = append(out, &snap{Name: time.Unix(t, 0).UTC().Format("2006-01-02-150405"), Created: t})
		}
		return out
	}
	ds := []*dataset{{Name: twin, Mountpoint: z.Zonepath, Used: 3 << 30, Created: old, Received: true, Snaps: snaps()}}
	if zbe := w.zbe(z); zbe != nil {
		ds = append(ds,
			&dataset{Name: twin + "/ROOT", Mountpoint: "legacy", Zoned: "on", Used: 3 << 30, Created: old, Received: true, Snaps: snaps()},
			&dataset{Name: twin + "/ROOT/zbe", Canmount: "noauto", Used: 3 << 30, Created: old, Received: true, Snaps: snaps(),
				Props: map[string]string{"org.opensolaris.libbe:parentbe": zbe.Props["org.opensolaris.libbe:parentbe"],
					"org.opensolaris.libbe:active": "on"}})
	}
	w.Datasets = append(w.Datasets, ds...)
}

// assignTXGs numbers the new world's datasets and snapshots in the order
// they were made.
func (w *world) assignTXGs() {
	type item struct {
		created int64
		txg     *uint64
	}
	var items []item
	for _, d := range w.Datasets {
		items = append(items, item{d.Created, &d.TXG})
		for _, s := range d.Snaps {
			items = append(items, item{s.Created, &s.TXG})
		}
	}
	slices.SortStableFunc(items, func(a, b item) int { return int(a.created - b.created) })
	w.TXG = 1000
	for _, it := range items {
		*it.txg = w.nextTXG()
	}
}

// materialiseDataFiles writes the overlays' and delegated datasets' files
// (after the zbe's, which holds the overlays' mount points).
func (w *world) materialiseDataFiles(z *zone, n int) error {
	if zbe := w.zbe(z); zbe != nil {
		for _, ov := range w.overlaysOf(z) {
			dir := filepath.Join(w.dataPath(zbe), overlayDir(ov))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			files := map[string]string{keyFile: ""}
			if overlayDir(ov) == "lib/svc" {
				files["method/net-physical"] = "#!/sbin/sh\n# zone " + z.Name + "\nexit 0\n"
			} else {
				files["fmd/fmd.conf"] = "# fmd.conf of zone " + z.Name + "\n"
			}
			if err := writeFiles(w.dataPath(ov), files); err != nil {
				return err
			}
		}
	}
	if d := w.dataset(z.Dataset + "/data"); d != nil && d.Data {
		return writeFiles(w.dataPath(d), map[string]string{
			"app/app.conf":    fmt.Sprintf("name=%s\nport=%d\n", z.Name, 8000+n),
			"db/records.txt":  fmt.Sprintf("%s: 4711 records\n", z.Name),
			"www/index.html":  "<h1>" + z.Name + "</h1>\n",
			"backup/.keep-me": "",
		})
	}
	return nil
}

// Overlays.

// overlaysOf are a sparse zone's overlay datasets below its zbe.
func (w *world) overlaysOf(z *zone) []*dataset {
	zbe := w.zbe(z)
	if zbe == nil || !sparseBrand(z.Brand) {
		return nil
	}
	var out []*dataset
	for _, ov := range overlays {
		if d := w.dataset(zbe.Name + "/" + ov.ds); d != nil {
			out = append(out, d)
		}
	}
	return out
}

// overlayDir is where an overlay belongs below ZONEROOT.
func overlayDir(d *dataset) string {
	for _, ov := range overlays {
		if filepath.Base(d.Name) == ov.ds {
			return ov.dir
		}
	}
	return filepath.Base(d.Name)
}

// overlaysInPlace tells whether every overlay of the zone is mounted
// where it belongs.
func (w *world) overlaysInPlace(z *zone) bool {
	for _, d := range w.overlaysOf(z) {
		if d.Mounted != filepath.Join(z.root(), overlayDir(d)) {
			return false
		}
	}
	return true
}

// mountOverlays is the sparse attach's and boot's mount_overlays: each
// overlay canmount=noauto, mountpoint inherited (legacy), mounted with
// mount -F zfs -O at its place; a missing key file is created again.
func (w *world) mountOverlays(z *zone, attach bool) error {
	for _, d := range w.overlaysOf(z) {
		dir := filepath.Join(z.root(), overlayDir(d))
		if attach {
			if err := w.unmountDataset(d); err != nil {
				return err
			}
			d.Canmount, d.Mountpoint = "noauto", ""
		}
		if d.Mounted == dir {
			continue
		}
		if d.Mounted != "" || w.mountedAt(dir) != nil {
			return fmt.Errorf("%s: Device busy", dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := w.mountDataset(d, dir); err != nil {
			return err
		}
		kf := filepath.Join(dir, keyFile)
		if _, err := os.Stat(kf); err != nil {
			os.WriteFile(kf, nil, 0o644)
		}
	}
	return nil
}

// resetOverlays is what a failed sparse attach leaves: its exit trap
// restores only the zbe, so the overlays stay canmount=noauto with the
// mountpoint they inherit from it, and unmounted.
func (w *world) resetOverlays(z *zone) error {
	for _, d := range w.overlaysOf(z) {
		if err := w.unmountDataset(d); err != nil {
			return err
		}
		d.Canmount, d.Mountpoint = "noauto", ""
	}
	return nil
}

// detachOverlays is the sparse detach: canmount=on and a mountpoint of
// their own, so the detached zone keeps them mounted.
func (w *world) detachOverlays(z *zone) error {
	for _, d := range w.overlaysOf(z) {
		d.Canmount = "on"
		if err := w.setMountpoint(d, filepath.Join(z.root(), overlayDir(d))); err != nil {
			return err
		}
	}
	return nil
}

// mountsBelow are the datasets mounted below dir, deepest first.
func (w *world) mountsBelow(dir string) []*dataset {
	var out []*dataset
	for _, d := range w.Datasets {
		if d.Mounted != "" && strings.HasPrefix(d.Mounted, dir+"/") {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *dataset) int { return strings.Count(b.Mounted, "/") - strings.Count(a.Mounted, "/") })
	return out
}

// withNestedUnmounted runs fn on a mounted dataset's files with the
// datasets mounted below it put aside, so a snapshot or rollback of the
// zbe neither copies nor removes the overlays' files.
func (w *world) withNestedUnmounted(d *dataset, fn func() error) error {
	if d.Mounted == "" {
		return fn()
	}
	nested := w.mountsBelow(d.Mounted)
	dirs := make([]string, len(nested))
	for i, x := range nested {
		dirs[i] = x.Mounted
		if err := w.unmountDataset(x); err != nil {
			return err
		}
	}
	err := fn()
	for i := len(nested) - 1; i >= 0; i-- {
		os.MkdirAll(dirs[i], 0o755)
		if e := w.mountDataset(nested[i], dirs[i]); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// Snapshots and clones.

// snapshotSet snapshots datasets atomically (one txg) with one name.
func (w *world) snapshotSet(set []*dataset, name string) error {
	now := time.Now().Unix()
	txg := w.nextTXG()
	for i, d := range set {
		if d.Data {
			err := w.withNestedUnmounted(d, func() error { return takeSnapshot(w.dataPath(d), name) })
			if err != nil {
				for _, undo := range set[:i] {
					undo.Snaps = slices.DeleteFunc(undo.Snaps, func(x *snap) bool { return x.Name == name })
				}
				return fmt.Errorf("cannot create snapshot '%s@%s': %v", d.Name, name, err)
			}
		}
		d.Snaps = append(d.Snaps, &snap{Name: name, Created: now, Image: d.Image.clone(), TXG: txg})
	}
	return nil
}

// zoneTree is the zonepath dataset and everything below it.
func (w *world) zoneTree(z *zone) []*dataset {
	d := w.dataset(z.Dataset)
	if d == nil {
		return nil
	}
	return append([]*dataset{d}, w.descendants(d.Name)...)
}

// afterAttach is what the rest of the host does while the night goes on,
// seen after each attach of the zone: time-slider's periodic snapshots
// (auto-snapshots) and, once, a global zone beadm create that snapshots
// and clones the zbe through libbe (be-clone).
func (w *world) afterAttach(z *zone) {
	if z.Dataset == "" {
		return
	}
	if z.hasFault(FaultAutoSnapshots) {
		w.autoSnapshot(z)
	}
	if z.hasFault(FaultBEClone) && !z.Consumed[FaultBEClone] {
		if z.Consumed == nil {
			z.Consumed = map[string]bool{}
		}
		z.Consumed[FaultBEClone] = true
		w.beClone(z)
	}
}

// autoSnapshot takes a recursive zfs-auto-snap_frequent snapshot of the
// zone's datasets, named as time-slider names them (a quarter later when
// the name is taken).
func (w *world) autoSnapshot(z *zone) {
	set := w.zoneTree(z)
	if len(set) == 0 {
		return
	}
	t := time.Now().UTC().Truncate(15 * time.Minute)
	name := ""
	for {
		name = "zfs-auto-snap_frequent-" + t.Format("2006-01-02-15h04")
		if !slices.ContainsFunc(set, func(d *dataset) bool { return d.snap(name) != nil }) {
			break
		}
		t = t.Add(15 * time.Minute)
	}
	w.snapshotSet(set, name)
}

// beCloneName is the global zone boot environment a beadm create made.
func (w *world) beCloneName() string { return w.activeBE().Name + "-backup-1" }

// beClone is what libbe does to an installed zone on a global beadm
// create: a recursive snapshot of the zbe named after the new boot
// environment, cloned to the next free zbe-N whose parentbe is that boot
// environment.
func (w *world) beClone(z *zone) {
	zbe := w.zbe(z)
	if zbe == nil {
		return
	}
	name := w.beCloneName()
	var newBE be
	if i := slices.IndexFunc(w.BEs, func(b be) bool { return b.Name == name }); i >= 0 {
		newBE = w.BEs[i]
	} else {
		h := fnv.New64a()
		h.Write([]byte(name))
		x := h.Sum64()
		newBE = be{Name: name, UUID: fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(x), uint16(x>>32), uint16(x>>48)&0xfff, uint16(x>>20)&0xfff, x&0xffffffffffff),
			Space: 254 << 10, Created: time.Now().Unix()}
		w.BEs = append(w.BEs, newBE)
	}
	set := append([]*dataset{zbe}, w.descendants(zbe.Name)...)
	if zbe.snap(name) != nil || w.snapshotSet(set, name) != nil {
		return
	}
	target := ""
	for i := 1; i < 100; i++ {
		if n := fmt.Sprintf("%s/ROOT/zbe-%d", z.Dataset, i); w.dataset(n) == nil {
			target = n
			break
		}
	}
	if target == "" {
		return
	}
	for _, src := range set {
		c := &dataset{Name: target + strings.TrimPrefix(src.Name, zbe.Name), Canmount: "noauto", Used: 1 << 20,
			Created: time.Now().Unix(), Data: src.Data, Image: src.Image.clone(), Zone: z.Name, TXG: w.nextTXG(),
			Origin: src.Name + "@" + name}
		if src == zbe {
			c.Props = map[string]string{"org.opensolaris.libbe:parentbe": newBE.UUID, "org.opensolaris.libbe:active": "on"}
		}
		if src.Data {
			from := snapshotDir(w.dataPath(src), name)
			to := w.dataPath(c)
			if os.MkdirAll(to, 0o755) == nil {
				copyTree(from, to, ".zfs")
			}
		}
		w.Datasets = append(w.Datasets, c)
	}
	w.sortDatasets()
}

// destroyDataset removes a dataset and its files.
func (w *world) destroyDataset(d *dataset) {
	w.unmountDataset(d)
	if d.Data {
		removeAll(w.dataPath(d))
	}
	w.Datasets = slices.DeleteFunc(w.Datasets, func(x *dataset) bool { return x == d })
}

// dependents are the clones of a dataset's snapshots from index i on,
// with their descendants and the clones of those, as zfs rollback -R and
// zfs destroy -R find them.
func (w *world) dependents(d *dataset, snaps []*snap) []*dataset {
	var out []*dataset
	var add func(x *dataset)
	add = func(x *dataset) {
		if slices.Contains(out, x) {
			return
		}
		out = append(out, x)
		for _, s := range x.Snaps {
			for _, c := range w.clonesOf(x, s) {
				add(c)
			}
		}
		for _, k := range w.descendants(x.Name) {
			add(k)
		}
	}
	for _, s := range snaps {
		for _, c := range w.clonesOf(d, s) {
			add(c)
		}
	}
	return out
}
