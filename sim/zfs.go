package sim

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const zfsUsage = `usage: zfs command args ...
where 'command' is one of the following:

	snapshot [-r] [-o property=value] ... <filesystem@snapname|volume@snapname> ...
	rollback [-rRf] <snapshot>
	destroy [-rRf] <filesystem|volume>
	destroy [-rRd] <snapshot>

	list [-rH][-d max] [-o property[,...]] [-t type[,...]] [-s property] ...
	    [-S property] ... [filesystem|volume|snapshot] ...

	get [-rHp] [-d max] [-o "all" | field[,...]] [-t type[,...]] [-s source[,...]]
	    <"all" | property[,...]> [filesystem|volume|snapshot] ...
	set <property=value> ... <filesystem|volume|snapshot> ...
	inherit [-rS] <property> <filesystem|volume|snapshot> ...

	mount
	mount [-vO] [-o opts] <-a | filesystem>
	unmount [-f] <-a | filesystem|mountpoint>

Each dataset is of the form: pool/[dataset/]*dataset[@name]
`

func (c *call) zfsUsage(err error) int {
	var oe *optError
	if errors.As(err, &oe) {
		if oe.missing {
			fmt.Fprintf(c.errw, "missing argument for '%s' option\n", oe.letter())
		} else {
			fmt.Fprintf(c.errw, "invalid option '%s'\n", oe.letter())
		}
	} else if err != nil {
		fmt.Fprintln(c.errw, err)
	}
	fmt.Fprint(c.errw, zfsUsage)
	return 2
}

func (c *call) zfs() int {
	if len(c.args) == 0 {
		return c.zfsUsage(nil)
	}
	sub, args := c.args[0], c.args[1:]
	switch sub {
	case "list":
		return c.zfsList(args)
	case "get":
		return c.zfsGet(args)
	case "snapshot", "snap":
		return c.zfsSnapshot(args)
	case "rollback":
		return c.zfsRollback(args)
	case "destroy":
		return c.zfsDestroy(args)
	case "set":
		return c.zfsSet(args)
	case "inherit":
		return c.zfsInherit(args)
	case "mount":
		return c.zfsMount(args)
	case "unmount", "umount":
		return c.zfsUnmount(args)
	}
	fmt.Fprintf(c.errw, "unrecognized command '%s'\n", sub)
	return c.zfsUsage(nil)
}

// A row of zfs list/get: a dataset or one of its snapshots.
type zrow struct {
	d *dataset
	s *snap // nil for the dataset itself
}

func (r zrow) name() string {
	if r.s != nil {
		return r.d.Name + "@" + r.s.Name
	}
	return r.d.Name
}

// Mount points and mounts.

// effectiveMountpoint is the mountpoint property's value and source.
func (w *world) effectiveMountpoint(d *dataset) (string, string) {
	if d.Mountpoint != "" {
		return d.Mountpoint, "local"
	}
	parent := w.dataset(parentOf(d.Name))
	if parent == nil {
		return "/" + d.Name, "default"
	}
	v, src := w.effectiveMountpoint(parent)
	from := parent.Name
	if strings.HasPrefix(src, "inherited from ") {
		from = strings.TrimPrefix(src, "inherited from ")
	} else if src == "default" {
		return v + "/" + filepath.Base(d.Name), "default"
	}
	if v == "legacy" || v == "none" {
		return v, "inherited from " + from
	}
	return v + "/" + filepath.Base(d.Name), "inherited from " + from
}

// isMounted tells whether a dataset is mounted: zone BEs where they are,
// the others by their mountpoint (the active GZ BE on /).
func (w *world) isMounted(d *dataset) bool {
	if d.Data {
		return d.Mounted != ""
	}
	if d.Received {
		return false
	}
	mp, _ := w.effectiveMountpoint(d)
	switch {
	case mp == "legacy" || mp == "none":
		return false
	case strings.HasPrefix(d.Name, "rpool/ROOT/"):
		return d.Name == "rpool/ROOT/"+w.activeBE().Name
	}
	return true
}

func (w *world) mountDataset(d *dataset, dir string) error {
	if d.Mounted != "" {
		return fmt.Errorf("%s is already mounted", d.Name)
	}
	if !strings.HasPrefix(dir, w.Dir+"/") {
		// The simulated host's files live in the world folder only.
		return fmt.Errorf("%s: zonesim mounts only below its world %s", dir, w.Dir)
	}
	if other := w.mountedAt(dir); other != nil {
		return fmt.Errorf("%s: Device busy", dir)
	}
	if d.Data {
		if err := moveData(w.dataPath(d), dir); err != nil {
			return err
		}
	}
	d.Mounted = dir
	return nil
}

func (w *world) unmountDataset(d *dataset) error {
	if d.Mounted == "" {
		return nil
	}
	// What is mounted below goes first, as zoneadmd and the brand
	// scripts unmount it (umount(1M) itself refuses: busy).
	for _, x := range w.mountsBelow(d.Mounted) {
		if err := w.unmountDataset(x); err != nil {
			return err
		}
	}
	from := d.Mounted
	d.Mounted = ""
	if d.Data {
		if err := moveData(from, w.dataPath(d)); err != nil {
			d.Mounted = from
			return err
		}
	}
	return nil
}

// setMountpoint sets a path mountpoint as `zfs set mountpoint=` does:
// the dataset ends up mounted there.
func (w *world) setMountpoint(d *dataset, mp string) error {
	if d.Mounted != "" && d.Mounted != mp {
		if err := w.unmountDataset(d); err != nil {
			return err
		}
	}
	d.Mountpoint = mp
	if d.Mounted == "" {
		return w.mountDataset(d, mp)
	}
	return nil
}

// Properties.

var zfsNative = []string{"type", "creation", "used", "available", "referenced", "compressratio", "mounted",
	"quota", "reservation", "mountpoint", "compression", "readonly", "zoned", "canmount", "origin"}

// zfsListable are the native properties zfs list -o and zfs get take by
// name but that get all does not print here (it did not before).
var zfsListable = []string{"createtxg", "clones"}

func canonicalProp(p string) string {
	switch p {
	case "avail":
		return "available"
	case "refer":
		return "referenced"
	case "ratio":
		return "compressratio"
	}
	return p
}

func validProp(p string, forList bool) bool {
	p = canonicalProp(p)
	return slices.Contains(zfsNative, p) || slices.Contains(zfsListable, p) || strings.Contains(p, ":") || (forList && p == "name")
}

// zprop is one property of a row: value (exact numbers when parsable) and
// source.
func (w *world) zprop(r zrow, prop string, parsable bool) (string, string) {
	d := r.d
	num := func(n uint64) string {
		if parsable {
			return strconv.FormatUint(n, 10)
		}
		return nicenum(n)
	}
	prop = canonicalProp(prop)
	if strings.Contains(prop, ":") {
		if r.s == nil {
			if v, ok := d.Props[prop]; ok {
				return v, "local"
			}
		}
		return "-", "-"
	}
	switch prop {
	case "name":
		return r.name(), "-"
	case "type":
		if r.s != nil {
			return "snapshot", "-"
		}
		return "filesystem", "-"
	case "creation":
		t := d.Created
		if r.s != nil {
			t = r.s.Created
		}
		if parsable {
			return strconv.FormatInt(t, 10), "-"
		}
		return time.Unix(t, 0).Format("Mon Jan _2 15:04 2006"), "-"
	case "used":
		if r.s != nil {
			return num(0), "-"
		}
		return num(d.Used), "-"
	case "available":
		if r.s != nil {
			return "-", "-"
		}
		return num(w.Pool.Available), "-"
	case "referenced":
		if d.Data {
			return num(d.Used), "-"
		}
		return num(31 << 10), "-"
	case "compressratio":
		return "1.00x", "-"
	case "mounted":
		if r.s != nil {
			return "-", "-"
		}
		if w.isMounted(d) {
			return "yes", "-"
		}
		return "no", "-"
	case "quota", "reservation":
		if r.s != nil {
			return "-", "-"
		}
		if parsable {
			return "0", "default"
		}
		return "none", "default"
	case "mountpoint":
		if r.s != nil {
			return "-", "-"
		}
		return w.effectiveMountpoint(d)
	case "compression", "readonly":
		return "off", "default"
	case "zoned":
		if r.s != nil {
			return "-", "-"
		}
		return w.inherited(d, func(x *dataset) string { return x.Zoned }, "off")
	case "canmount":
		if r.s != nil {
			return "-", "-"
		}
		if d.Canmount != "" {
			return d.Canmount, "local"
		}
		return "on", "default"
	case "origin":
		if r.s == nil && d.Origin != "" {
			return d.Origin, "-"
		}
		return "-", "-"
	case "createtxg":
		if r.s != nil {
			return strconv.FormatUint(r.s.TXG, 10), "-"
		}
		return strconv.FormatUint(d.TXG, 10), "-"
	case "clones":
		if r.s == nil {
			return "-", "-"
		}
		var names []string
		for _, c := range w.clonesOf(d, r.s) {
			names = append(names, c.Name)
		}
		if len(names) == 0 {
			return "-", "-"
		}
		return strings.Join(names, ","), "-"
	}
	return "-", "-"
}

// inherited resolves an inheritable property.
func (w *world) inherited(d *dataset, get func(*dataset) string, def string) (string, string) {
	if v := get(d); v != "" {
		return v, "local"
	}
	for p := w.dataset(parentOf(d.Name)); p != nil; p = w.dataset(parentOf(p.Name)) {
		if v := get(p); v != "" {
			return v, "inherited from " + p.Name
		}
	}
	return def, "default"
}

// nicenum is zfs_nicenum: 1024-based, at most five characters.
func nicenum(num uint64) string {
	n, index := num, 0
	for n >= 1024 && index < 6 {
		n /= 1024
		index++
	}
	u := " KMGTPE"[index]
	if index == 0 {
		return strconv.FormatUint(n, 10)
	}
	if num&(1<<(10*index)-1) == 0 {
		return fmt.Sprintf("%d%c", n, u)
	}
	var s string
	for i := 2; i >= 0; i-- {
		s = fmt.Sprintf("%.*f%c", i, float64(num)/float64(uint64(1)<<(10*index)), u)
		if len(s) <= 5 {
			break
		}
	}
	return s
}

// Selecting datasets.

type zsel struct {
	recursive bool
	depth     int // -1 = unlimited
	fs, snaps bool
}

func parseTypes(s string) (fs, snaps bool, err error) {
	for _, t := range strings.Split(s, ",") {
		switch t {
		case "filesystem", "fs":
			fs = true
		case "snapshot", "snap":
			snaps = true
		case "volume", "vol", "bookmark":
		case "all":
			fs, snaps = true, true
		default:
			return false, false, fmt.Errorf("invalid type '%s'", t)
		}
	}
	return fs, snaps, nil
}

// selectRows finds the rows for the operands; missing ones are reported
// on stderr and make the exit code 1.
func (c *call) selectRows(w *world, operands []string, sel zsel) ([]zrow, int) {
	code := 0
	var rows []zrow
	add := func(d *dataset, explicitSnap *snap) {
		if explicitSnap != nil {
			rows = append(rows, zrow{d, explicitSnap})
			return
		}
		if sel.fs {
			rows = append(rows, zrow{d, nil})
		}
		if sel.snaps {
			for _, s := range d.Snaps {
				rows = append(rows, zrow{d, s})
			}
		}
	}
	if len(operands) == 0 {
		for _, d := range w.Datasets {
			add(d, nil)
		}
		return rows, 0
	}
	for _, op := range operands {
		name, snapName, isSnap := strings.Cut(op, "@")
		d := w.dataset(name)
		var s *snap
		if d != nil && isSnap {
			s = d.snap(snapName)
		}
		if d == nil || isSnap && s == nil {
			fmt.Fprintf(c.errw, "cannot open '%s': dataset does not exist\n", op)
			code = 1
			continue
		}
		if isSnap {
			add(d, s)
			continue
		}
		add(d, nil)
		if sel.recursive {
			base := strings.Count(d.Name, "/")
			for _, child := range w.descendants(d.Name) {
				if sel.depth < 0 || strings.Count(child.Name, "/")-base <= sel.depth {
					add(child, nil)
				}
			}
		}
	}
	return rows, code
}

func (d *dataset) snap(name string) *snap {
	for _, s := range d.Snaps {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (c *call) zfsList(args []string) int {
	opts, operands, err := getopt(args, "rHpd:o:t:s:S:", nil, true)
	if err == nil && has(opts, "-p") && c.profileIs(ProfileS11E) {
		err = &optError{opt: "-p"} // zfs list -p came in 2013
	}
	if err != nil {
		return c.zfsUsage(err)
	}
	fields := []string{"name", "used", "available", "referenced", "mountpoint"}
	if o := val(opts, "-o"); o != "" {
		fields = strings.Split(o, ",")
	}
	for _, f := range fields {
		if !validProp(f, true) {
			fmt.Fprintf(c.errw, "bad property list: invalid property '%s'\n", f)
			return c.zfsUsage(nil)
		}
	}
	sel := zsel{recursive: has(opts, "-r", "-d"), depth: -1, fs: true}
	if d := val(opts, "-d"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			fmt.Fprintf(c.errw, "invalid depth '%s'\n", d)
			return c.zfsUsage(nil)
		}
		sel.depth = n
	}
	if t := val(opts, "-t"); t != "" {
		if sel.fs, sel.snaps, err = parseTypes(t); err != nil {
			fmt.Fprintln(c.errw, err)
			return c.zfsUsage(nil)
		}
	}
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int {
		rows, code := c.selectRows(w, operands, sel)
		c.sortRows(w, rows, opts)
		table := make([][]string, 0, len(rows))
		for _, r := range rows {
			line := make([]string, len(fields))
			for i, f := range fields {
				line[i], _ = w.zprop(r, f, has(opts, "-p"))
			}
			table = append(table, line)
		}
		if len(rows) == 0 && code == 0 && len(operands) == 0 {
			fmt.Fprintln(c.errw, "no datasets available")
			return 0
		}
		c.printTable(fields, table, has(opts, "-H"))
		return code
	})
}

func (c *call) profileIs(p string) bool {
	var is bool
	c.view(func(w *world) error { is = w.Profile == p; return nil })
	return is
}

func (c *call) sortRows(w *world, rows []zrow, opts []opt) {
	var keys []opt
	for _, o := range opts {
		if o.name == "-s" || o.name == "-S" {
			keys = append(keys, o)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b zrow) int {
		for _, k := range keys {
			av, _ := w.zprop(a, k.val, true)
			bv, _ := w.zprop(b, k.val, true)
			var r int
			an, aerr := strconv.ParseUint(av, 10, 64)
			bn, berr := strconv.ParseUint(bv, 10, 64)
			if aerr == nil && berr == nil {
				r = cmp.Compare(an, bn)
			} else {
				r = strings.Compare(av, bv)
			}
			if k.name == "-S" {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
}

// printTable prints zfs's columns: TAB separated with -H, else aligned
// under upper-case headers, numbers to the right.
func (c *call) printTable(fields []string, rows [][]string, scripted bool) {
	if scripted {
		for _, r := range rows {
			fmt.Fprintln(c.out, strings.Join(r, "\t"))
		}
		return
	}
	heads := make([]string, len(fields))
	widths := make([]int, len(fields))
	for i, f := range fields {
		heads[i] = strings.ToUpper(f)
		switch canonicalProp(f) {
		case "available":
			heads[i] = "AVAIL"
		case "referenced":
			heads[i] = "REFER"
		}
		widths[i] = len(heads[i])
		for _, r := range rows {
			widths[i] = max(widths[i], len(r[i]))
		}
	}
	right := func(f string) bool {
		switch canonicalProp(f) {
		case "used", "available", "referenced", "quota", "reservation":
			return true
		}
		return false
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, v := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			switch {
			case i == len(cells)-1 && !right(fields[i]):
				b.WriteString(v)
			case right(fields[i]):
				fmt.Fprintf(&b, "%*s", widths[i], v)
			default:
				fmt.Fprintf(&b, "%-*s", widths[i], v)
			}
		}
		fmt.Fprintln(c.out, b.String())
	}
	line(heads)
	for _, r := range rows {
		line(r)
	}
}

func (c *call) zfsGet(args []string) int {
	opts, operands, err := getopt(args, "rHpd:o:t:s:", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) == 0 {
		fmt.Fprintln(c.errw, "missing property argument")
		return c.zfsUsage(nil)
	}
	propArg, operands := operands[0], operands[1:]
	var props []string
	if propArg != "all" {
		props = strings.Split(propArg, ",")
		for _, p := range props {
			if !validProp(p, false) {
				fmt.Fprintf(c.errw, "bad property list: invalid property '%s'\n", p)
				return c.zfsUsage(nil)
			}
		}
	}
	fields := []string{"name", "property", "value", "source"}
	if o := val(opts, "-o"); o != "" && o != "all" {
		fields = strings.Split(o, ",")
		for _, f := range fields {
			if !slices.Contains([]string{"name", "property", "value", "source", "received"}, f) {
				fmt.Fprintf(c.errw, "invalid field '%s'\n", f)
				return c.zfsUsage(nil)
			}
		}
	}
	var sources []string
	if s := val(opts, "-s"); s != "" {
		sources = strings.Split(s, ",")
	}
	// get's types default to all, but a filesystem named without -r or
	// -d is that filesystem alone, not its snapshots.
	sel := zsel{recursive: has(opts, "-r", "-d"), depth: -1, fs: true}
	sel.snaps = sel.recursive
	if d := val(opts, "-d"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			fmt.Fprintf(c.errw, "invalid depth '%s'\n", d)
			return c.zfsUsage(nil)
		}
		sel.depth = n
	}
	if t := val(opts, "-t"); t != "" {
		if sel.fs, sel.snaps, err = parseTypes(t); err != nil {
			fmt.Fprintln(c.errw, err)
			return c.zfsUsage(nil)
		}
	}
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int {
		rows, code := c.selectRows(w, operands, sel)
		var table [][]string
		for _, r := range rows {
			list := props
			if list == nil {
				list = slices.Clone(zfsNative)
				for k := range r.d.Props {
					if r.s == nil {
						list = append(list, k)
					}
				}
				slices.Sort(list[len(zfsNative):])
			}
			for _, p := range list {
				v, src := w.zprop(r, p, has(opts, "-p"))
				if sources != nil && !sourceWanted(sources, src) {
					continue
				}
				var line []string
				for _, f := range fields {
					switch f {
					case "name":
						line = append(line, r.name())
					case "property":
						line = append(line, canonicalProp(p))
					case "value":
						line = append(line, v)
					case "source":
						line = append(line, src)
					case "received":
						line = append(line, "-")
					}
				}
				table = append(table, line)
			}
		}
		c.printTable(fields, table, has(opts, "-H"))
		return code
	})
}

func sourceWanted(sources []string, src string) bool {
	for _, s := range sources {
		switch {
		case s == "inherited" && strings.HasPrefix(src, "inherited"):
			return true
		case s == "none" && src == "-":
			return true
		case s == src:
			return true
		}
	}
	return false
}

// validSnapName checks a snapshot's name per reference 4.1.
func validSnapName(full string) string {
	if len(full) > 255 {
		return "name is too long"
	}
	if strings.Count(full, "@") > 1 {
		return "multiple '@' delimiters in name"
	}
	fs, sn, ok := strings.Cut(full, "@")
	if !ok {
		return "missing '@' delimiter in snapshot name"
	}
	if sn == "" || fs == "" {
		return "empty component in name"
	}
	for _, r := range fs + sn {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.: /", r)) || r == '/' && strings.ContainsRune(sn, '/') {
			return fmt.Sprintf("invalid character '%c' in name", r)
		}
	}
	return ""
}

func (c *call) zfsSnapshot(args []string) int {
	opts, operands, err := getopt(args, "ro:", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) == 0 {
		fmt.Fprintln(c.errw, "missing snapshot argument")
		return c.zfsUsage(nil)
	}
	for _, op := range operands {
		if why := validSnapName(op); why != "" {
			return c.fail(1, "cannot create snapshot '%s': %s", op, why)
		}
	}
	recursive := has(opts, "-r")
	// check lists the datasets to snapshot, or prints why it cannot: the
	// call is atomic, nothing is created unless all can be.
	check := func(w *world) ([]*dataset, string, bool) {
		var out []*dataset
		for _, op := range operands {
			name, sn, _ := strings.Cut(op, "@")
			d := w.dataset(name)
			if d == nil {
				return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", name), false
			}
			set := []*dataset{d}
			if recursive {
				set = append(set, w.descendants(name)...)
			}
			for _, x := range set {
				if x.snap(sn) != nil {
					return nil, fmt.Sprintf("cannot create snapshot '%s@%s': dataset already exists", x.Name, sn), false
				}
				if z := w.zone(x.Zone); z != nil && z.hasFault(FaultNoSpaceSnapshot) {
					return nil, fmt.Sprintf("cannot create snapshot '%s': out of space", op), false
				}
			}
			out = append(out, set...)
		}
		return out, "", true
	}
	msg := ""
	c.view(func(w *world) error { _, msg, _ = check(w); return nil })
	if msg != "" {
		return c.fail(1, "%s", msg)
	}
	c.wait(c.dur(durSnapshot, ""))
	return c.end(true, func(w *world) int {
		set, msg, ok := check(w)
		if !ok {
			return c.fail(1, "%s", msg)
		}
		// One txg for the whole call: a recursive snapshot is atomic.
		byName := map[string][]*dataset{}
		var names []string
		for _, d := range set {
			sn := snapNameFor(operands, d.Name, recursive)
			if byName[sn] == nil {
				names = append(names, sn)
			}
			byName[sn] = append(byName[sn], d)
		}
		for _, sn := range names {
			if err := w.snapshotSet(byName[sn], sn); err != nil {
				return c.fail(1, "%v", err)
			}
		}
		return 0
	})
}

// snapNameFor finds the snapshot name an operand gives to dataset name.
func snapNameFor(operands []string, name string, recursive bool) string {
	for _, op := range operands {
		fs, sn, _ := strings.Cut(op, "@")
		if fs == name || recursive && strings.HasPrefix(name, fs+"/") {
			return sn
		}
	}
	return ""
}

func (c *call) zfsRollback(args []string) int {
	opts, operands, err := getopt(args, "rRf", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) != 1 {
		fmt.Fprintln(c.errw, map[bool]string{true: "missing dataset argument", false: "too many arguments"}[len(operands) == 0])
		return c.zfsUsage(nil)
	}
	full := operands[0]
	name, sn, isSnap := strings.Cut(full, "@")
	if !isSnap {
		return c.fail(1, "'%s' is not a snapshot", full)
	}
	destroyNewer := has(opts, "-r", "-R")
	check := func(w *world) (*dataset, *snap, string) {
		d := w.dataset(name)
		var s *snap
		if d != nil {
			s = d.snap(sn)
		}
		if s == nil {
			return nil, nil, fmt.Sprintf("cannot open '%s': dataset does not exist", full)
		}
		i := slices.Index(d.Snaps, s)
		if newer := d.Snaps[i+1:]; len(newer) > 0 && destroyNewer && !has(opts, "-R") {
			if deps := w.dependents(d, newer); len(deps) > 0 {
				var b strings.Builder
				fmt.Fprintf(&b, "cannot rollback to '%s': clones of previous snapshots exist\nuse '-R' to force deletion of the following clones and dependents:", full)
				for _, x := range deps {
					fmt.Fprintf(&b, "\n%s", x.Name)
				}
				return nil, nil, b.String()
			}
		}
		if newer := d.Snaps[i+1:]; len(newer) > 0 && !destroyNewer {
			var b strings.Builder
			if w.Profile == ProfileS11E {
				fmt.Fprintf(&b, "cannot rollback to '%s': more recent snapshots exist\nuse '-r' to force deletion of the following snapshots:", full)
			} else {
				fmt.Fprintf(&b, "cannot rollback to '%s': more recent snapshots or bookmarks exist\nuse '-r' to force deletion of the following snapshots and bookmarks:", full)
			}
			for _, x := range newer {
				fmt.Fprintf(&b, "\n%s@%s", d.Name, x.Name)
			}
			return nil, nil, b.String()
		}
		if z := w.zone(d.Zone); z != nil && d.Mounted != "" && (z.State == "running" || z.State == "ready") {
			return nil, nil, fmt.Sprintf("cannot rollback '%s': dataset is busy", d.Name)
		}
		if z := w.zone(d.Zone); z != nil {
			if _, busy := c.lockHolder(w, "zone:"+z.Name); busy {
				return nil, nil, fmt.Sprintf("cannot rollback '%s': dataset is busy", d.Name)
			}
			if _, busy := c.lockHolder(w, "image:"+d.Name); busy {
				return nil, nil, fmt.Sprintf("cannot rollback '%s': dataset is busy", d.Name)
			}
		}
		return d, s, ""
	}
	msg := ""
	c.view(func(w *world) error { _, _, msg = check(w); return nil })
	if msg != "" {
		return c.fail(1, "%s", msg)
	}
	c.wait(c.dur(durRollback, ""))
	return c.end(true, func(w *world) int {
		d, s, msg := check(w)
		if msg != "" {
			return c.fail(1, "%s", msg)
		}
		i := slices.Index(d.Snaps, s)
		// -R: the clones of the newer snapshots go first.
		for _, x := range w.dependents(d, d.Snaps[i+1:]) {
			w.destroyDataset(x)
		}
		if d.Data {
			data := w.dataPath(d)
			for _, x := range d.Snaps[i+1:] {
				removeAll(snapshotDir(data, x.Name))
			}
			if err := w.withNestedUnmounted(d, func() error { return restoreSnapshot(data, s.Name) }); err != nil {
				return c.fail(1, "cannot rollback '%s': %v", d.Name, err)
			}
		}
		d.Snaps = d.Snaps[:i+1]
		if d.Image != nil || s.Image != nil {
			d.Image = s.Image.clone()
		}
		return 0
	})
}

func (c *call) zfsDestroy(args []string) int {
	opts, operands, err := getopt(args, "rRfdnpv", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) != 1 {
		fmt.Fprintln(c.errw, map[bool]string{true: "missing dataset argument", false: "too many arguments"}[len(operands) == 0])
		return c.zfsUsage(nil)
	}
	full := operands[0]
	recursive := has(opts, "-r", "-R")
	name, sn, isSnap := strings.Cut(full, "@")
	type target struct {
		d *dataset
		s *snap
	}
	check := func(w *world) ([]target, string) {
		d := w.dataset(name)
		if d == nil {
			return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", name)
		}
		if isSnap {
			var out []target
			for _, x := range append([]*dataset{d}, w.descendants(name)...) {
				if s := x.snap(sn); s != nil && (x == d || recursive) {
					out = append(out, target{x, s})
				}
			}
			for _, t := range out {
				if clones := w.clonesOf(t.d, t.s); len(clones) > 0 && !has(opts, "-R") {
					var b strings.Builder
					fmt.Fprintf(&b, "cannot destroy '%s@%s': snapshot has dependent clones\nuse '-R' to destroy the following datasets:", t.d.Name, t.s.Name)
					for _, x := range w.dependents(t.d, []*snap{t.s}) {
						fmt.Fprintf(&b, "\n%s", x.Name)
					}
					return nil, b.String()
				}
			}
			if len(out) == 0 {
				if illumos(w.Profile) {
					return nil, "could not find any snapshots to destroy; check snapshot names."
				}
				return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", full)
			}
			return out, ""
		}
		kids := w.descendants(name)
		if !recursive && (len(kids) > 0 || len(d.Snaps) > 0) {
			var b strings.Builder
			fmt.Fprintf(&b, "cannot destroy '%s': filesystem has children\nuse '-r' to destroy the following datasets:", name)
			for _, k := range kids {
				fmt.Fprintf(&b, "\n%s", k.Name)
			}
			for _, s := range d.Snaps {
				fmt.Fprintf(&b, "\n%s@%s", d.Name, s.Name)
			}
			return nil, b.String()
		}
		var out []target
		for _, x := range append(kids, d) {
			if z := w.zone(x.Zone); z != nil && x.Mounted != "" && z.State == "running" {
				return nil, fmt.Sprintf("cannot unmount '%s': Device busy", x.Mounted)
			}
			out = append(out, target{x, nil})
		}
		return out, ""
	}
	msg := ""
	c.view(func(w *world) error { _, msg = check(w); return nil })
	if msg != "" {
		return c.fail(1, "%s", msg)
	}
	c.wait(c.dur(durDestroy, ""))
	return c.end(true, func(w *world) int {
		targets, msg := check(w)
		if msg != "" {
			return c.fail(1, "%s", msg)
		}
		for _, t := range targets {
			if t.s != nil {
				if t.d.Data {
					removeAll(snapshotDir(w.dataPath(t.d), t.s.Name))
				}
				for _, x := range w.dependents(t.d, []*snap{t.s}) {
					w.destroyDataset(x)
				}
				t.d.Snaps = slices.DeleteFunc(t.d.Snaps, func(x *snap) bool { return x == t.s })
				continue
			}
			w.destroyDataset(t.d)
		}
		return 0
	})
}
