package host

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// zfs (reference 4): `-H` forms only (one TAB between fields, `-` for
// empty). `zfs list -p` does not exist on OpenSolaris and S11E, so exact
// numbers come from `zfs get -Hp`.

// ParseZFSList parses `zfs list -H -o COLS` output with cols columns: one
// row per non-blank line, split on TAB only (names and mountpoints may hold
// spaces), `-` turned into "". Fields past cols are dropped; a line with
// fewer is an error (nil rows).
func ParseZFSList(out string, cols int) ([][]string, error) {
	if cols < 1 {
		return nil, fmt.Errorf("zfs list: %d columns asked for", cols)
	}
	var rows [][]string
	for n, line := range records(out) {
		f := strings.Split(line, "\t")
		if len(f) < cols {
			return nil, fmt.Errorf("zfs list -H: line %d: %d fields, want %d: %q", n, len(f), cols, line)
		}
		row := make([]string, cols)
		for j := range row {
			row[j] = dash(f[j])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// dash is "" for zfs's (and the others') "-".
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// ZFSProperty is one line of `zfs get -H`.
type ZFSProperty struct {
	Name     string
	Property string
	Value    string // "" for "-" (an unset user property)
	Source   string // "", "default", "local", "temporary", "inherited from DS", "received"
}

// ParseZFSGet parses `zfs get -H [-p] -o FIELDS` output whose fields are
// named by fields (name, property, value, source; none given means all four
// in that order, zfs's default). `-` becomes ""; extra fields are dropped,
// and a line with fewer fields than asked for, or an unknown field name, is
// an error (nil properties).
func ParseZFSGet(out string, fields ...string) ([]ZFSProperty, error) {
	if len(fields) == 0 {
		fields = []string{"name", "property", "value", "source"}
	}
	for _, f := range fields {
		switch f {
		case "name", "property", "value", "source":
		default:
			return nil, fmt.Errorf("zfs get: unknown field %q", f)
		}
	}
	rows, err := ParseZFSList(out, len(fields))
	if err != nil {
		return nil, err
	}
	props := make([]ZFSProperty, 0, len(rows))
	for _, row := range rows {
		var p ZFSProperty
		for j, f := range fields {
			switch f {
			case "name":
				p.Name = row[j]
			case "property":
				p.Property = row[j]
			case "value":
				p.Value = row[j]
			case "source":
				p.Source = row[j]
			}
		}
		props = append(props, p)
	}
	return props, nil
}

// zfsKind: a dataset or snapshot that does not exist (literal
// `dataset does not exist`, reference 4.2), a pool out of space (4.5).
func zfsKind(code int, text string) error {
	switch {
	case strings.Contains(text, "dataset does not exist"):
		return ErrNotFound
	case strings.Contains(text, "out of space"), strings.Contains(text, "No space left on device"), strings.Contains(text, "no space left"):
		return ErrNoSpace
	}
	return nil
}

// DatasetAt is the ZFS filesystem mounted at zonepath, ZONEPATH_DS
// (reference 3.2, 10.5): of the filesystems whose mountpoint is zonepath
// (`zfs list -H -t filesystem -o name,mountpoint,mounted`), the one
// mounted. A received backup can share the mountpoint property, unmounted,
// and sort first: it is never the zone's. None has the mountpoint: an error
// wrapping ErrNotFound (the zonepath is a plain directory); some have it
// but none is mounted, or more than one is: an error naming them.
func (t Tools) DatasetAt(ctx context.Context, zonepath string) (string, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted")
	if err != nil {
		return "", err
	}
	rows, err := ParseZFSList(string(res.Stdout), 3)
	if err != nil {
		return "", err
	}
	return PickZonepathDataset(rows, zonepath)
}

// PickZonepathDataset chooses ZONEPATH_DS from rows of name, mountpoint,
// mounted (see DatasetAt).
func PickZonepathDataset(rows [][]string, zonepath string) (string, error) {
	want := path.Clean(zonepath)
	var mounted, unmounted []string
	for _, r := range rows {
		if len(r) < 3 || r[1] == "" || path.Clean(r[1]) != want {
			continue
		}
		if r[2] == "yes" {
			mounted = append(mounted, r[0])
		} else {
			unmounted = append(unmounted, r[0])
		}
	}
	switch {
	case len(mounted) == 1:
		return mounted[0], nil
	case len(mounted) > 1:
		return "", fmt.Errorf("more than one ZFS filesystem is mounted at %s: %s", zonepath, strings.Join(mounted, ", "))
	case len(unmounted) > 0:
		return "", fmt.Errorf("no ZFS filesystem is mounted at %s (%s has that mountpoint but is not mounted)", zonepath, strings.Join(unmounted, ", "))
	}
	return "", fmt.Errorf("no ZFS filesystem has the mountpoint %s: %w", zonepath, ErrNotFound)
}

// GetNumber is a numeric property in exact form
// (`zfs get -H -p -o value PROP DS`), e.g. used or available. A dataset
// that does not exist gives an error wrapping ErrNotFound; a value that is
// not a number (`-`, `none`) an error.
func (t Tools) GetNumber(ctx context.Context, ds, prop string) (uint64, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "get", "-H", "-p", "-o", "value", prop, ds)
	if err != nil {
		return 0, err
	}
	props, err := ParseZFSGet(string(res.Stdout), "value")
	if err != nil {
		return 0, err
	}
	if len(props) == 0 {
		return 0, fmt.Errorf("zfs get %s %s printed nothing: %w", prop, ds, ErrNotFound)
	}
	n, err := strconv.ParseUint(props[0].Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("zfs get %s %s: value %q is not a number", prop, ds, props[0].Value)
	}
	return n, nil
}

// GetNumbers is the exact value of each (dataset, property) asked for, in
// one call: `zfs get -H -p -o name,property,value P1,P2 DS1 DS2` (zfs
// prints every property of every dataset; the ones not asked for are
// dropped). A dataset that does not exist gives an error wrapping
// ErrNotFound; a value that is not a number an error.
func (t Tools) GetNumbers(ctx context.Context, want map[[2]string]bool) (map[[2]string]uint64, error) {
	var props, dss []string
	for k := range want {
		if !slices.Contains(dss, k[0]) {
			dss = append(dss, k[0])
		}
		if !slices.Contains(props, k[1]) {
			props = append(props, k[1])
		}
	}
	slices.Sort(dss)
	slices.Sort(props)
	argv := append([]string{"zfs", "get", "-H", "-p", "-o", "name,property,value", strings.Join(props, ",")}, dss...)
	res, err := t.run(ctx, false, zfsKind, argv...)
	if err != nil {
		return nil, err
	}
	rows, err := ParseZFSGet(string(res.Stdout), "name", "property", "value")
	if err != nil {
		return nil, err
	}
	out := map[[2]string]uint64{}
	for _, r := range rows {
		k := [2]string{r.Name, r.Property}
		if !want[k] {
			continue
		}
		n, err := strconv.ParseUint(r.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("zfs get %s %s: value %q is not a number", r.Property, r.Name, r.Value)
		}
		out[k] = n
	}
	for k := range want {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("zfs get %s %s printed nothing: %w", k[1], k[0], ErrNotFound)
		}
	}
	return out, nil
}

// GetProperty is one property's value as zfs prints it
// (`zfs get -H -o value PROP DS`): "" for `-` (unset or not applicable).
// A dataset that does not exist gives an error wrapping ErrNotFound.
func (t Tools) GetProperty(ctx context.Context, ds, prop string) (string, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "get", "-H", "-o", "value", prop, ds)
	if err != nil {
		return "", err
	}
	props, err := ParseZFSGet(string(res.Stdout), "value")
	if err != nil {
		return "", err
	}
	if len(props) == 0 {
		return "", fmt.Errorf("zfs get %s %s printed nothing: %w", prop, ds, ErrNotFound)
	}
	return props[0].Value, nil
}

// GetProperties is the value of each of props as zfs prints it
// (`zfs get -H -o property,value PROP,... DS`), "" for `-`. A dataset that
// does not exist gives an error wrapping ErrNotFound.
func (t Tools) GetProperties(ctx context.Context, ds string, props ...string) (map[string]string, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "get", "-H", "-o", "property,value", strings.Join(props, ","), ds)
	if err != nil {
		return nil, err
	}
	rows, err := ParseZFSGet(string(res.Stdout), "property", "value")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, p := range rows {
		out[p.Property] = p.Value
	}
	return out, nil
}

// ZoneBEs lists the zonepath dataset's tree, its filesystems and their
// snapshots, with the libbe properties (reference 3.2 lists DS/ROOT the
// same way): the zone BEs for PickActiveZBE, and whether a snapshot of the
// tree exists, in one call. A dataset that does not exist gives an error
// wrapping ErrNotFound.
func (t Tools) ZoneBEs(ctx context.Context, ds string) ([]BEDataset, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "list", "-H", "-r", "-t", "filesystem,snapshot", "-o",
		"name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active", ds)
	if err != nil {
		return nil, err
	}
	return ParseBEDatasets(string(res.Stdout))
}

// ParseBEDatasets parses the zone BE listing of ZoneBEs (three columns:
// name, parentbe, active; `-` is "").
func ParseBEDatasets(out string) ([]BEDataset, error) {
	rows, err := ParseZFSList(out, 3)
	if err != nil {
		return nil, err
	}
	bes := make([]BEDataset, 0, len(rows))
	for _, r := range rows {
		bes = append(bes, BEDataset{Name: r[0], ParentBE: r[1], Active: r[2]})
	}
	return bes, nil
}

// ParseDatasets parses `zfs list -H -o name,mountpoint`.
func ParseDatasets(out string) ([]Dataset, error) {
	rows, err := ParseZFSList(out, 2)
	if err != nil {
		return nil, err
	}
	ds := make([]Dataset, 0, len(rows))
	for _, r := range rows {
		ds = append(ds, Dataset{Name: r[0], Mountpoint: r[1]})
	}
	return ds, nil
}

// SnapshotExists tells whether the snapshot name (DS@SNAP) exists
// (`zfs list -H -t snapshot -o name NAME`). "dataset does not exist" is
// false with a nil error; any other failure is an error.
func (t Tools) SnapshotExists(ctx context.Context, name string) (bool, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "list", "-H", "-t", "snapshot", "-o", "name", name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rows, err := ParseZFSList(string(res.Stdout), 1)
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if r[0] == name {
			return true, nil
		}
	}
	return false, nil
}

// Snapshot takes the recursive snapshot name (`zfs snapshot -r DS@SNAP`):
// atomic, so on failure nothing was created. An existing one is an error
// ("dataset already exists").
func (t Tools) Snapshot(ctx context.Context, name string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "snapshot", "-r", name)
	return err
}

// Snapshots lists the snapshots of ds and its descendants, parents before
// children as zfs prints them (`zfs list -H -t snapshot -o name -r DS`);
// none is an empty list. A ds that does not exist wraps ErrNotFound.
func (t Tools) Snapshots(ctx context.Context, ds string) ([]string, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", ds)
	if err != nil {
		return nil, err
	}
	rows, err := ParseZFSList(string(res.Stdout), 1)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(rows))
	for _, r := range rows {
		names = append(names, r[0])
	}
	return names, nil
}

// Rollback rolls one dataset back to snap (`zfs rollback DS@SNAP`). No -r:
// newer snapshots make it fail rather than vanish; a recursive snapshot is
// undone dataset by dataset (reference 4.4).
func (t Tools) Rollback(ctx context.Context, snap string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "rollback", snap)
	return err
}

// RollbackDestroyingNewer rolls one dataset back to snap and destroys the
// snapshots taken after it (`zfs rollback -r DS@SNAP`). It fails, changing
// nothing, when a newer snapshot has a clone; -R, which would destroy the
// clone, is never used.
func (t Tools) RollbackDestroyingNewer(ctx context.Context, snap string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "rollback", "-r", snap)
	return err
}

// SnapshotInfo is one snapshot with what a rollback must know of it.
type SnapshotInfo struct {
	Name      string   // DS@SNAP
	CreateTxg uint64   // order of creation within the pool
	Clones    []string // datasets cloned from it
}

// Dataset is the part of the name before '@'.
func (s SnapshotInfo) Dataset() string {
	ds, _, _ := strings.Cut(s.Name, "@")
	return ds
}

// SnapshotInfos lists the snapshots of ds and its descendants with their
// createtxg and clones (`zfs list -H -t snapshot -o name,createtxg,clones
// -r DS`). A ds that does not exist wraps ErrNotFound.
func (t Tools) SnapshotInfos(ctx context.Context, ds string) ([]SnapshotInfo, error) {
	res, err := t.run(ctx, false, zfsKind, "zfs", "list", "-H", "-t", "snapshot", "-o", "name,createtxg,clones", "-r", ds)
	if err != nil {
		return nil, err
	}
	return ParseSnapshotInfos(string(res.Stdout))
}

// ParseSnapshotInfos parses the listing of SnapshotInfos: name, createtxg
// (a number), clones (comma separated, `-` or empty for none).
func ParseSnapshotInfos(out string) ([]SnapshotInfo, error) {
	rows, err := ParseZFSList(out, 3)
	if err != nil {
		return nil, err
	}
	infos := make([]SnapshotInfo, 0, len(rows))
	for _, r := range rows {
		txg, err := strconv.ParseUint(r[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("zfs list: snapshot %s: createtxg %q is not a number", r[0], r[1])
		}
		in := SnapshotInfo{Name: r[0], CreateTxg: txg}
		for _, c := range strings.Split(r[2], ",") {
			if c = strings.TrimSpace(c); c != "" {
				in.Clones = append(in.Clones, c)
			}
		}
		infos = append(infos, in)
	}
	return infos, nil
}

// SetProperty sets one property of a dataset (`zfs set PROP=VALUE DS`).
func (t Tools) SetProperty(ctx context.Context, ds, prop, value string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "set", prop+"="+value, ds)
	return err
}

// MountOverlayZFS mounts a filesystem whose mountpoint property is its
// own, over whatever the directory holds (`zfs mount -O DS`).
func (t Tools) MountOverlayZFS(ctx context.Context, ds string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "mount", "-O", ds)
	return err
}

// Destroy destroys one dataset or snapshot (`zfs destroy NAME`, no -r).
// The daemon never calls it; it is here for tests and tools.
func (t Tools) Destroy(ctx context.Context, name string) error {
	_, err := t.run(ctx, true, zfsKind, "zfs", "destroy", name)
	return err
}
