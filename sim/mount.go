package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func (c *call) beadm() int {
	if len(c.args) == 0 || c.args[0] != "list" {
		fmt.Fprintln(c.errw, "Usage:\n\tbeadm list [-a | -ds] [-H] [beName]\n(zonesim simulates beadm list only)")
		return 2
	}
	opts, names, err := getopt(c.args[1:], "adsH", nil, true)
	if err != nil {
		fmt.Fprintf(c.errw, "beadm: illegal option -- %s\nUsage:\n\tbeadm list [-a | -ds] [-H] [beName]\n", err.(*optError).letter())
		return 2
	}
	if has(opts, "-a", "-d", "-s") {
		return c.fail(1, "beadm: zonesim simulates beadm list [-H] only")
	}
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int {
		var rows []be
		for _, b := range w.BEs {
			if len(names) == 0 || names[0] == b.Name {
				rows = append(rows, b)
			}
		}
		if len(names) > 0 && len(rows) == 0 {
			return c.fail(1, "be_list: %s does not exist or appear to be a valid BE.\nPlease check that the name of the BE provided is correct.", names[0])
		}
		for i, b := range rows {
			mp := ""
			if b.Active != "" && b.Active[0] == 'N' {
				mp = "/"
			}
			if has(opts, "-H") {
				fmt.Fprintf(c.out, "%s;%s;%s;%s;%d;static;%d\n", b.Name, b.UUID, b.Active, mp, b.Space, b.Created)
				continue
			}
			if i == 0 {
				fmt.Fprintf(c.out, "%-24s %-6s %-10s %-6s %-6s %s\n", "BE", "Active", "Mountpoint", "Space", "Policy", "Created")
				fmt.Fprintf(c.out, "%-24s %-6s %-10s %-6s %-6s %s\n", "--", "------", "----------", "-----", "------", "-------")
			}
			if mp == "" {
				mp = "-"
			}
			act := b.Active
			if act == "" {
				act = "-"
			}
			fmt.Fprintf(c.out, "%-24s %-6s %-10s %-6s %-6s %s\n", b.Name, act, mp, nicenum(b.Space), "static",
				time.Unix(b.Created, 0).Format("2006-01-02 15:04"))
		}
		return 0
	})
}

const zfsMountOpts = "rw,devices,setuid,nonbmand,exec,xattr,atime"

// mountTable is the mount table in vfstab form (reference 8).
func (w *world) mountTable() []string {
	lines := []string{
		"/devices - /devices devfs - no ",
		"/proc - /proc proc - no nosuid",
		"ctfs - /system/contract ctfs - no ",
		"swap - /tmp tmpfs - no xattr",
	}
	for _, d := range w.Datasets {
		if d.Data || !w.isMounted(d) {
			continue
		}
		mp, _ := w.effectiveMountpoint(d)
		lines = append(lines, fmt.Sprintf("%s - %s zfs - no %s", d.Name, mp, zfsMountOpts))
	}
	for _, d := range w.Datasets {
		if d.Data && d.Mounted != "" {
			lines = append(lines, fmt.Sprintf("%s - %s zfs - no %s", d.Name, d.Mounted, zfsMountOpts))
		}
	}
	return lines
}

const mountUsage = `Usage:
mount [-v | -p]
mount [-F FSType] [generic_options] [-o specific_options] {special | mount_point}
mount [-F FSType] [generic_options] [-o specific_options] special mount_point
mount -a [-F FSType] [-V] [current_options] [-o specific_options]
	[mount_point ...]`

func (c *call) mount() int {
	opts, operands, err := getopt(c.args, "vpF:o:O", nil, false)
	if err != nil {
		fmt.Fprintf(c.errw, "mount: illegal option -- %s\n%s\n", err.(*optError).letter(), mountUsage)
		return 2
	}
	if len(operands) == 0 {
		c.wait(c.dur(durReadOnly, ""))
		return c.end(false, func(w *world) int {
			for _, l := range w.mountTable() {
				if has(opts, "-p") {
					fmt.Fprintln(c.out, l)
					continue
				}
				var special, dash, mp, fstype string
				fmt.Sscan(l, &special, &dash, &mp, &fstype)
				fmt.Fprintf(c.out, "%s on %s read/write/setuid/devices/dev=4010002 on Mon Nov 23 19:07:00 2020\n", mp, special)
			}
			return 0
		})
	}
	if len(operands) != 2 || val(opts, "-F") != "zfs" {
		fmt.Fprintf(c.errw, "%s\n(zonesim simulates mount -p and mount -F zfs DATASET DIR)\n", mountUsage)
		return 2
	}
	ds, dir := operands[0], cleanRoot(operands[1])
	check := func(w *world) (*dataset, string) {
		d := w.dataset(ds)
		if d == nil {
			return nil, fmt.Sprintf("cannot open '%s': dataset does not exist", ds)
		}
		if mp, _ := w.effectiveMountpoint(d); mp != "legacy" {
			return nil, fmt.Sprintf("filesystem '%s' cannot be mounted using 'mount -F zfs'\nUse 'zfs set mountpoint=%s' instead.\n"+
				"If you must use 'mount -F zfs' or /etc/vfstab, use 'zfs set mountpoint=legacy'.\nSee zfs(1M) for more information.", ds, mp)
		}
		if !d.Data {
			return nil, fmt.Sprintf("mount: zonesim mounts zone boot environments only, not %s", ds)
		}
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Sprintf("mount: Mount point %s does not exist.", dir)
		}
		if d.Mounted != "" || w.mountedAt(dir) != nil {
			return nil, fmt.Sprintf("mount: %s is already mounted or %s is busy", ds, dir)
		}
		return d, ""
	}
	return decideApply(c, c.dur(durMount, ""), check, func(w *world, d *dataset) int {
		if err := w.mountDataset(d, dir); err != nil {
			return c.fail(1, "mount: %s: %v", dir, err)
		}
		return 0
	})
}

func (c *call) umount() int {
	_, operands, err := getopt(c.args, "fV", nil, false)
	if err != nil || len(operands) != 1 {
		fmt.Fprintln(c.errw, "Usage: umount [-f] [-V] [-o specific_options] {special | mount_point}")
		return 2
	}
	target := operands[0]
	check := func(w *world) (*dataset, string) {
		var d *dataset
		if filepath.IsAbs(target) {
			d = w.mountedAt(filepath.Clean(target))
		} else if x := w.dataset(target); x != nil && x.Mounted != "" {
			d = x
		}
		if d == nil {
			return nil, fmt.Sprintf("umount: warning: %s not in mnttab\numount: %s not mounted", target, target)
		}
		if len(w.mountsBelow(d.Mounted)) > 0 {
			// Something (a sparse zone's overlay) is mounted below.
			return nil, fmt.Sprintf("umount: %s busy", target)
		}
		if z := w.zone(d.Zone); z != nil && (z.State == "running" || z.State == "ready") {
			return nil, fmt.Sprintf("umount: %s busy", target)
		}
		if z := w.zone(d.Zone); z != nil {
			if _, busy := c.lockHolder(w, "zone:"+z.Name); busy {
				return nil, fmt.Sprintf("umount: %s busy", target)
			}
			if _, busy := c.lockHolder(w, "image:"+d.Name); busy {
				return nil, fmt.Sprintf("umount: %s busy", target)
			}
		}
		return d, ""
	}
	return decideApply(c, c.dur(durMount, ""), check, func(w *world, d *dataset) int {
		if err := w.unmountDataset(d); err != nil {
			return c.fail(1, "umount: %s: %v", target, err)
		}
		return 0
	})
}
