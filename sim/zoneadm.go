package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const zoneadmUsage = `usage:	zoneadm [-R <root>] [-z <zone>] [-u <uuid-match>] <subcommand>

Subcommands:

	help
	boot [-- boot_arguments]
	halt
	ready
	reboot [-- boot_arguments]
	list [-cipv]
	verify
	install [brand-specific args]
	uninstall [-F] [brand-specific args]
	move zonepath
	detach [-n] [brand-specific args]
	attach [-F] [-n <path>] [brand-specific args]
	mark incomplete
`

var zoneadmSubUsage = map[string]string{
	"boot": "boot [-- boot_arguments]", "halt": "halt", "reboot": "reboot [-- boot_arguments]",
	"list": "list [-cipv]", "verify": "verify", "detach": "detach [-n] [brand-specific args]",
	"attach": "attach [-F] [-n <path>] [brand-specific args]", "mark": "mark incomplete",
}

func (c *call) zoneadmUsage(sub string) int {
	if u, ok := zoneadmSubUsage[sub]; ok {
		fmt.Fprintf(c.errw, "usage:\t%s\n", u)
	} else {
		fmt.Fprint(c.errw, zoneadmUsage)
	}
	return 2
}

func (c *call) zoneadm() int {
	opts, rest, err := getopt(c.args, "R:z:u:", nil, false)
	if err != nil || len(rest) == 0 {
		if err != nil {
			fmt.Fprintf(c.errw, "zoneadm: %v\n", err)
		}
		return c.zoneadmUsage("")
	}
	zname := val(opts, "-z")
	sub, args := rest[0], rest[1:]
	switch sub {
	case "list":
		return c.zoneadmList(zname, args)
	case "help":
		fmt.Fprint(c.out, zoneadmUsage)
		return 0
	case "boot", "halt", "reboot", "detach", "attach", "mark", "verify", "ready", "install", "uninstall", "move", "clone", "shutdown":
	default:
		fmt.Fprintf(c.errw, "zoneadm: unknown subcommand '%s'\n", sub)
		return c.zoneadmUsage("")
	}
	if zname == "" {
		fmt.Fprintf(c.errw, "zoneadm: a zone name is required (-z ZONE) for %s\n", sub)
		return c.zoneadmUsage(sub)
	}
	if zname == "global" {
		return c.fail(1, "zoneadm: zone 'global': %s operation is invalid for the global zone.", sub)
	}
	if strings.HasPrefix(zname, "SUNW") {
		return c.fail(1, "zoneadm: zone '%s': %s operation is invalid for zones starting with SUNW.", zname, sub)
	}
	var known bool
	c.view(func(w *world) error { known = w.zone(zname) != nil; return nil })
	if !known {
		return c.fail(1, "zoneadm: %s: No such zone configured", zname)
	}
	switch sub {
	case "boot":
		if len(args) > 0 && args[0] != "--" {
			return c.zoneadmUsage(sub)
		}
		return c.zoneBoot(zname)
	case "halt":
		if len(args) > 0 {
			return c.zoneadmUsage(sub)
		}
		return c.zoneHalt(zname)
	case "reboot":
		if len(args) > 0 && args[0] != "--" {
			return c.zoneadmUsage(sub)
		}
		return c.zoneReboot(zname)
	case "detach":
		return c.zoneDetach(zname, args)
	case "attach":
		return c.zoneAttach(zname, args)
	case "mark":
		return c.zoneMark(zname, args)
	case "verify":
		return 0
	}
	return c.fail(1, "zoneadm: zone '%s': %s is not simulated by zonesim", zname, sub)
}

// zoneadmList prints list [-cipv] for all zones or -z ZONE.
func (c *call) zoneadmList(zname string, args []string) int {
	opts, rest, err := getopt(args, "cipv", nil, false)
	if err != nil || len(rest) > 0 {
		if err != nil {
			fmt.Fprintf(c.errw, "zoneadm: %v\n", err)
		}
		return c.zoneadmUsage("list")
	}
	parsable, verbose := has(opts, "-p"), has(opts, "-v")
	if parsable && verbose {
		return c.fail(2, "zoneadm: -%c and -%c are mutually exclusive.", 'p', 'v')
	}
	if zname != "" && has(opts, "-c", "-i") {
		fmt.Fprintf(c.errw, "zoneadm: -c and -i may not be used with -z\n")
		return c.zoneadmUsage("list")
	}
	c.wait(c.dur(durReadOnly, ""))
	return c.end(false, func(w *world) int {
		type row struct{ id, name, state, path, uuid, brand, ip, did string }
		gz := row{"0", "global", "running", "/", "", "ipkg", "shared", "0"}
		var rows []row
		if zname == "" || zname == "global" {
			rows = append(rows, gz)
		}
		if zname != "" && zname != "global" {
			z := w.zone(zname)
			if z == nil {
				fmt.Fprintf(c.errw, "zoneadm: %s: No such zone configured\n", zname)
				return 1
			}
		}
		var running, others []*zone
		for _, z := range w.Zones {
			if z.State == "running" {
				running = append(running, z)
			} else {
				others = append(others, z)
			}
		}
		slices.SortStableFunc(running, func(a, b *zone) int { return a.ID - b.ID })
		for _, z := range append(running, others...) {
			switch {
			case zname != "":
				if z.Name != zname {
					continue
				}
			case has(opts, "-c"):
			case has(opts, "-i"):
				if z.State != "installed" && z.State != "running" {
					continue
				}
			default:
				if z.State != "running" {
					continue
				}
			}
			id := "-"
			if z.State == "running" {
				id = fmt.Sprint(z.ID)
			}
			rows = append(rows, row{id, z.Name, z.State, z.Zonepath, z.UUID, z.Brand, shortIP(z.IPType), fmt.Sprint(z.DebugID)})
		}
		switch {
		case parsable:
			for _, r := range rows {
				line := fmt.Sprintf("%s:%s:%s:%s:%s:%s:%s", r.id, r.name, r.state, strings.ReplaceAll(r.path, ":", `\:`), r.uuid, r.brand, r.ip)
				if w.Profile == ProfileOmniOS {
					// Current illumos adds the zone's debug id (reference 2.2).
					line += ":" + r.did
				}
				fmt.Fprintln(c.out, line)
			}
		case verbose:
			fmt.Fprintf(c.out, "%*s %-16s %-10s %-30s %-8s %-6s\n", 4, "ID", "NAME", "STATUS", "PATH", "BRAND", "IP")
			for _, r := range rows {
				fmt.Fprintf(c.out, "%*s %-16s %-10s %-30s %-8s %-6s\n", 4, r.id, r.name, r.state, r.path, r.brand, r.ip)
			}
		default:
			for _, r := range rows {
				fmt.Fprintln(c.out, r.name)
			}
		}
		return 0
	})
}

func shortIP(t string) string {
	if t == "exclusive" {
		return "excl"
	}
	return t
}

// zoneErr is zoneadm's message format with a target zone.
func (c *call) zoneErr(zname, format string, a ...any) int {
	return c.fail(1, "zoneadm: zone '%s': %s", zname, fmt.Sprintf(format, a...))
}

const errBusy = "another zoneadm may have an operation in progress."

// zoneOp is the shape of halt, boot, detach: check and take the zone lock,
// wait, re-check and apply. check returns a message (and exit code) when
// the operation cannot start; apply returns the exit code.
func (c *call) zoneOp(zname string, seconds float64, check func(w *world, z *zone) (int, string), apply func(w *world, z *zone) int) int {
	key := "zone:" + zname
	code, msg := 0, ""
	c.change(func(w *world) error {
		z := w.zone(zname)
		if _, busy := c.lockHolder(w, key); busy {
			code, msg = 1, "zoneadm: zone '"+zname+"': "+errBusy
			return nil
		}
		if code, msg = check(w, z); msg != "" || code != 0 {
			return nil
		}
		c.takeLock(w, key)
		return nil
	})
	if msg != "" {
		fmt.Fprintln(c.errw, msg)
	}
	if msg != "" || code != 0 {
		return code
	}
	c.wait(c.dur(seconds, zname))
	return c.end(true, func(w *world) int {
		defer c.dropLock(w, key)
		z := w.zone(zname)
		if z == nil || !c.ownsLock(w, key) {
			fmt.Fprintf(c.errw, "zoneadm: zone '%s': the zone changed during the operation.\n", zname)
			return 1
		}
		return apply(w, z)
	})
}

func (c *call) zoneHalt(zname string) int {
	return c.zoneOp(zname, durHalt, func(w *world, z *zone) (int, string) {
		switch z.State {
		case "running":
			return 0, ""
		case "installed":
			return 0, fmt.Sprintf("zone '%s': zone is already halted", zname)
		}
		return 1, fmt.Sprintf("zoneadm: zone '%s': must be installed before halt.", zname)
	}, func(w *world, z *zone) int {
		if z.State != "running" {
			fmt.Fprintf(c.errw, "zone '%s': zone is already halted\n", zname)
			return 0
		}
		if err := w.halt(z); err != nil {
			fmt.Fprintf(c.errw, "zone '%s': %v\n", zname, err)
			return 1
		}
		return 0
	})
}

func (c *call) zoneBoot(zname string) int {
	return c.zoneOp(zname, durBoot, bootCheck, func(w *world, z *zone) int {
		if z.State == "running" {
			fmt.Fprintf(c.errw, "zone '%s': zone is already booted\n", zname)
			return 0
		}
		if z.State != "installed" {
			return c.zoneErr(zname, "must be installed before boot.")
		}
		if err := w.boot(z); err != nil {
			return c.zoneErr(zname, "%v", err)
		}
		return 0
	})
}

func bootCheck(w *world, z *zone) (int, string) {
	switch z.State {
	case "installed":
		return 0, ""
	case "running":
		return 0, fmt.Sprintf("zone '%s': zone is already booted", z.Name)
	}
	return 1, fmt.Sprintf("zoneadm: zone '%s': must be installed before boot.", z.Name)
}

func (c *call) zoneReboot(zname string) int {
	return c.zoneOp(zname, durHalt+durBoot, func(w *world, z *zone) (int, string) {
		if z.State != "running" {
			return 1, fmt.Sprintf("zoneadm: zone '%s': must be running before reboot.", zname)
		}
		return 0, ""
	}, func(w *world, z *zone) int {
		if err := w.halt(z); err != nil {
			return c.zoneErr(zname, "%v", err)
		}
		if err := w.boot(z); err != nil {
			return c.zoneErr(zname, "%v", err)
		}
		return 0
	})
}

// halt stops a running zone: the zone root, legacy-mounted, is unmounted.
func (w *world) halt(z *zone) error {
	z.State, z.ID, z.BootedAt = "installed", 0, 0
	if d := w.zbe(z); d != nil && d.Mounted == z.root() && isLegacy(w, d) {
		return w.unmountDataset(d)
	}
	return nil
}

// errBootFails is the boot-fails fault's message.
const errBootFails = "call to zoneadmd failed"

// boot starts an installed zone, mounting its root.
func (w *world) boot(z *zone) error {
	if z.hasFault(FaultBootFails) {
		return fmt.Errorf("%s", errBootFails)
	}
	if d := w.zbe(z); d != nil && d.Mounted == "" {
		if err := w.mountDataset(d, z.root()); err != nil {
			return err
		}
	}
	if sparseBrand(z.Brand) {
		// The zone's vfstab mounts the overlays (the sparse mount_overlays).
		if err := w.mountOverlays(z, false); err != nil {
			return err
		}
	}
	z.State, z.ID, z.BootedAt = "running", w.NextID, time.Now().UnixNano()
	w.NextID++
	return nil
}

func (c *call) zoneMark(zname string, args []string) int {
	if len(args) != 1 || args[0] != "incomplete" {
		return c.zoneadmUsage("mark")
	}
	return c.zoneOp(zname, durReadOnly, func(w *world, z *zone) (int, string) {
		if z.State == "running" {
			return 1, fmt.Sprintf("zoneadm: zone '%s': mark operation is invalid for running zones.", zname)
		}
		return 0, ""
	}, func(w *world, z *zone) int {
		z.State = "incomplete"
		return 0
	})
}

// ZFS failure texts of the ipkg brand (reference 3.2, 3.3).
const (
	msgNotDataset = "ERROR: the zonepath must be a ZFS dataset.\n" +
		"The parent directory of the zonepath must be a ZFS dataset so that the\n" +
		"zonepath ZFS dataset can be created properly."
	msgNoActive = "ERROR: no active dataset."
)

func (c *call) zoneDetach(zname string, args []string) int {
	opts, rest, err := getopt(args, "n", nil, false)
	if err != nil || len(rest) > 0 {
		return c.zoneadmUsage("detach")
	}
	if has(opts, "-n") {
		c.wait(c.dur(durReadOnly, ""))
		return c.end(false, func(w *world) int {
			fmt.Fprint(c.out, zoneXML(w.zone(zname)))
			return 0
		})
	}
	return c.zoneOp(zname, durDetach, func(w *world, z *zone) (int, string) {
		switch z.State {
		case "installed":
			return 0, ""
		case "running", "ready":
			return 1, fmt.Sprintf("zoneadm: zone '%s': detach operation is invalid for %s zones.", zname, z.State)
		}
		return 1, fmt.Sprintf("zoneadm: zone '%s': must be installed before detach.", zname)
	}, func(w *world, z *zone) int {
		if z.State != "installed" {
			return c.zoneErr(zname, "must be installed before detach.")
		}
		if !ipsBrand(z.Brand) {
			// An empty detach hook: zoneadm only saves the manifest.
			if err := writeDetachManifest(z); err != nil {
				return c.zoneErr(zname, "%v", err)
			}
			z.State = "configured"
			return 0
		}
		if z.Dataset == "" {
			fmt.Fprintln(c.out, msgNotDataset)
			return 1
		}
		d := w.zbe(z)
		if d == nil {
			fmt.Fprintln(c.out, msgNoActive)
			return 1
		}
		// zfs set zoned=off, canmount=on, mountpoint=ZONEPATH/root: the
		// last one mounts the zbe there.
		d.Zoned, d.Canmount = "off", "on"
		err := w.setMountpoint(d, z.root())
		if err == nil {
			err = w.detachOverlays(z)
		}
		if err != nil {
			if illumos(w.Profile) {
				fmt.Fprintf(c.errw, "ERROR: Failed to configure dataset %s: could not set mountpoint=%s.\n", d.Name, z.root())
			} else {
				fmt.Fprintln(c.errw, "ERROR: Error: error mounting zone root dataset.")
			}
			return 1
		}
		os.Remove(filepath.Join(z.root(), "var/pkg/linked"))
		if err := writeDetachManifest(z); err != nil {
			return c.zoneErr(zname, "%v", err)
		}
		z.State = "configured"
		return 0
	})
}

func isLegacy(w *world, d *dataset) bool {
	mp, _ := w.effectiveMountpoint(d)
	return mp == "legacy"
}
