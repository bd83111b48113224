package sim

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// zfs set, inherit, mount and unmount: what the brand scripts and a
// daemon that remounts a sparse zone's overlays use (reference 10.2).

// settable are the native properties zfs set changes here.
var settable = []string{"mountpoint", "canmount", "zoned"}

// readonlyProps cannot be set at all.
var readonlyProps = []string{"type", "creation", "used", "available", "referenced", "compressratio", "mounted", "origin", "createtxg", "clones"}

// checkSet words zfs's refusal of prop=value on a dataset, "" if fine.
func checkSet(name, prop, value string) string {
	switch {
	case slices.Contains(readonlyProps, canonicalProp(prop)):
		return fmt.Sprintf("cannot set property for '%s': '%s' is readonly", name, prop)
	case strings.Contains(prop, ":"):
		return ""
	case !validProp(prop, false):
		return fmt.Sprintf("cannot set property for '%s': invalid property '%s'", name, prop)
	case !slices.Contains(settable, prop):
		return fmt.Sprintf("cannot set property for '%s': zonesim does not simulate setting '%s'", name, prop)
	case prop == "canmount" && !slices.Contains([]string{"on", "off", "noauto"}, value):
		return fmt.Sprintf("cannot set property for '%s': 'canmount' must be one of 'on | off | noauto'", name)
	case prop == "zoned" && value != "on" && value != "off":
		return fmt.Sprintf("cannot set property for '%s': 'zoned' must be one of 'on | off'", name)
	case prop == "mountpoint" && value != "legacy" && value != "none" && !filepath.IsAbs(value):
		return fmt.Sprintf("cannot set property for '%s': 'mountpoint' must be an absolute path, 'none', or 'legacy'", name)
	}
	return ""
}

func (c *call) zfsSet(args []string) int {
	var assigns [][2]string
	var names []string
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && len(names) == 0 {
			if k == "" {
				fmt.Fprintln(c.errw, "missing property in property=value argument")
				return c.zfsUsage(nil)
			}
			assigns = append(assigns, [2]string{k, v})
			continue
		}
		names = append(names, a)
	}
	if len(assigns) == 0 {
		fmt.Fprintln(c.errw, "missing property=value argument(s)")
		return c.zfsUsage(nil)
	}
	if len(names) == 0 {
		fmt.Fprintln(c.errw, "missing dataset name(s)")
		return c.zfsUsage(nil)
	}
	return c.zfsChange(names, func(w *world, d *dataset, isSnap bool) string {
		for _, kv := range assigns {
			if msg := checkSet(d.Name, kv[0], kv[1]); msg != "" {
				return msg
			}
			if isSnap && !strings.Contains(kv[0], ":") {
				return fmt.Sprintf("cannot set property for '%s': this property can not be modified for snapshots", d.Name)
			}
		}
		return ""
	}, func(w *world, d *dataset) string {
		for _, kv := range assigns {
			if msg := w.setProp(d, kv[0], kv[1]); msg != "" {
				return msg
			}
		}
		return ""
	})
}

// setProp applies one property; a remount that fails leaves it set, as
// zfs does, and says so.
func (w *world) setProp(d *dataset, prop, value string) string {
	switch prop {
	case "mountpoint":
		if err := w.changeMountpoint(d, value); err != nil {
			return fmt.Sprintf("property may be set but unable to remount filesystem: %v", err)
		}
	case "canmount":
		d.Canmount = value
		// Only canmount=off unmounts (libzfs zfs_prop_set); on and
		// noauto mount nothing.
		if value == "off" {
			w.unmountDataset(d)
		}
	case "zoned":
		d.Zoned = value
	default:
		if d.Props == nil {
			d.Props = map[string]string{}
		}
		d.Props[prop] = value
	}
	return ""
}

// changeMountpoint sets (local != "") or inherits (local == "") the
// mountpoint as libzfs's changelist does: the dataset and the children
// that inherit from it are unmounted, and mounted again at the new place
// when they were mounted before (canmount=noauto too) or when they had a
// legacy mountpoint and canmount=on; never with canmount=off, legacy or
// none.
func (w *world) changeMountpoint(d *dataset, local string) error {
	affected := []*dataset{d}
	for _, x := range w.descendants(d.Name) {
		if x.Mountpoint == "" && slices.Contains(affected, w.dataset(parentOf(x.Name))) {
			affected = append(affected, x)
		}
	}
	type before struct{ mounted, legacy bool }
	was := map[*dataset]before{}
	for _, x := range affected {
		mp, _ := w.effectiveMountpoint(x)
		was[x] = before{x.Data && x.Mounted != "", mp == "legacy"}
	}
	for i := len(affected) - 1; i >= 0; i-- {
		if err := w.unmountDataset(affected[i]); err != nil {
			return err
		}
	}
	d.Mountpoint = local
	var first error
	for _, x := range affected {
		mp, _ := w.effectiveMountpoint(x)
		can := x.Canmount
		if can == "" {
			can = "on"
		}
		b := was[x]
		if !x.Data || !filepath.IsAbs(mp) || can == "off" || !(b.mounted || b.legacy && can == "on") {
			continue
		}
		if err := w.mountDataset(x, mp); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (c *call) zfsInherit(args []string) int {
	opts, operands, err := getopt(args, "rS", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) < 2 {
		fmt.Fprintln(c.errw, map[bool]string{true: "missing property argument", false: "missing dataset argument"}[len(operands) == 0])
		return c.zfsUsage(nil)
	}
	prop, names := operands[0], operands[1:]
	switch {
	case prop == "canmount":
		return c.fail(1, "'canmount' property cannot be inherited")
	case slices.Contains(readonlyProps, prop):
		return c.fail(1, "'%s' property is read-only", prop)
	case !validProp(prop, false):
		return c.fail(1, "invalid property '%s'", prop)
	case !strings.Contains(prop, ":") && !slices.Contains(settable, prop):
		return c.fail(1, "zonesim does not simulate inheriting '%s'", prop)
	}
	return c.zfsChange(names, func(w *world, d *dataset, isSnap bool) string {
		if isSnap && !strings.Contains(prop, ":") {
			return fmt.Sprintf("cannot inherit %s for '%s': this property can not be modified for snapshots", prop, d.Name)
		}
		return ""
	}, func(w *world, d *dataset) string {
		set := []*dataset{d}
		if has(opts, "-r") {
			set = append(set, w.descendants(d.Name)...)
		}
		for _, x := range set {
			switch prop {
			case "mountpoint":
				if err := w.changeMountpoint(x, ""); err != nil {
					return fmt.Sprintf("property may be set but unable to remount filesystem: %v", err)
				}
			case "zoned":
				x.Zoned = ""
			default:
				delete(x.Props, prop)
			}
		}
		return ""
	})
}

// zfsChange is the shape of set and inherit: each named dataset must
// exist and pass check; then apply changes each under the lock.
func (c *call) zfsChange(names []string, check func(w *world, d *dataset, isSnap bool) string, apply func(w *world, d *dataset) string) int {
	find := func(w *world) ([]*dataset, string) {
		var out []*dataset
		for _, n := range names {
			name, _, isSnap := strings.Cut(n, "@")
			d := w.dataset(name)
			if d == nil || isSnap {
				if d != nil && isSnap {
					if msg := check(w, d, true); msg != "" {
						return nil, msg
					}
				}
				return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", n)
			}
			if msg := check(w, d, false); msg != "" {
				return nil, msg
			}
			out = append(out, d)
		}
		return out, ""
	}
	return decideApply(c, c.dur(durMount, ""), find, func(w *world, set []*dataset) int {
		code := 0
		for _, d := range set {
			if msg := apply(w, d); msg != "" {
				fmt.Fprintln(c.errw, msg)
				code = 1
			}
		}
		return code
	})
}

// mountRefusal is zfs mount's refusal of a dataset (zfs_main.c
// share_mount_one), "" when it can be mounted.
func (w *world) mountRefusal(d *dataset) string {
	mp, _ := w.effectiveMountpoint(d)
	zoned, _ := w.inherited(d, func(x *dataset) string { return x.Zoned }, "off")
	switch {
	case zoned == "on":
		return fmt.Sprintf("cannot mount '%s': dataset is exported to a local zone", d.Name)
	case mp == "legacy":
		return fmt.Sprintf("cannot mount '%s': legacy mountpoint\nuse mount(1M) to mount this filesystem", d.Name)
	case mp == "none":
		return fmt.Sprintf("cannot mount '%s': no mountpoint set", d.Name)
	case d.Canmount == "off":
		return fmt.Sprintf("cannot mount '%s': 'canmount' property is set to 'off'", d.Name)
	case w.isMounted(d):
		return fmt.Sprintf("cannot mount '%s': filesystem already mounted", d.Name)
	case !d.Data && !d.Received:
		return fmt.Sprintf("cannot mount '%s': zonesim mounts zone datasets only", d.Name)
	case w.mountedAt(mp) != nil:
		return fmt.Sprintf("cannot mount '%s': Device busy", mp)
	}
	return ""
}

func (c *call) zfsMount(args []string) int {
	opts, operands, err := getopt(args, "vOao:", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if has(opts, "-a") {
		return c.fail(1, "zfs mount: zonesim does not simulate -a")
	}
	if len(operands) == 0 {
		c.wait(c.dur(durReadOnly, ""))
		return c.end(false, func(w *world) int {
			for _, d := range w.Datasets {
				if w.isMounted(d) {
					mp := d.Mounted
					if mp == "" {
						mp, _ = w.effectiveMountpoint(d)
					}
					fmt.Fprintf(c.out, "%-30s  %s\n", d.Name, mp)
				}
			}
			return 0
		})
	}
	if len(operands) > 1 {
		fmt.Fprintln(c.errw, "too many arguments")
		return c.zfsUsage(nil)
	}
	name := operands[0]
	check := func(w *world) (*dataset, string) {
		d := w.dataset(name)
		if d == nil || strings.Contains(name, "@") {
			return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", name)
		}
		return d, w.mountRefusal(d)
	}
	return decideApply(c, c.dur(durMount, ""), check, func(w *world, d *dataset) int {
		if !d.Data {
			d.Received = false
			return 0
		}
		mp, _ := w.effectiveMountpoint(d)
		if err := w.mountDataset(d, mp); err != nil {
			return c.fail(1, "cannot mount '%s': %v", mp, err)
		}
		return 0
	})
}

func (c *call) zfsUnmount(args []string) int {
	_, operands, err := getopt(args, "fa", nil, true)
	if err != nil {
		return c.zfsUsage(err)
	}
	if len(operands) != 1 {
		fmt.Fprintln(c.errw, map[bool]string{true: "missing filesystem argument", false: "too many arguments"}[len(operands) == 0])
		return c.zfsUsage(nil)
	}
	target := operands[0]
	check := func(w *world) (*dataset, string) {
		var d *dataset
		if filepath.IsAbs(target) {
			d = w.mountedAt(filepath.Clean(target))
			if d == nil {
				return nil, fmt.Sprintf("cannot unmount '%s': not a mountpoint", target)
			}
		} else if d = w.dataset(target); d == nil {
			return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", target)
		}
		mp, _ := w.effectiveMountpoint(d)
		switch {
		case !w.isMounted(d):
			return nil, fmt.Sprintf("cannot unmount '%s': not currently mounted", target)
		case mp == "legacy":
			return nil, fmt.Sprintf("cannot unmount '%s': legacy mountpoint\nuse umount(1M) to unmount this filesystem", target)
		case !d.Data:
			return nil, fmt.Sprintf("cannot unmount '%s': zonesim unmounts zone datasets only", target)
		case len(w.mountsBelow(d.Mounted)) > 0:
			return nil, fmt.Sprintf("cannot unmount '%s': Device busy", d.Mounted)
		}
		if z := w.zone(d.Zone); z != nil && (z.State == "running" || z.State == "ready") {
			return nil, fmt.Sprintf("cannot unmount '%s': Device busy", d.Mounted)
		}
		return d, ""
	}
	return decideApply(c, c.dur(durMount, ""), check, func(w *world, d *dataset) int {
		if err := w.unmountDataset(d); err != nil {
			return c.fail(1, "cannot unmount '%s': %v", target, err)
		}
		return 0
	})
}
