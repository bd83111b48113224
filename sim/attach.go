package sim

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// attachPlan is what zoneadm attach decided under the lock before it
// spends its time: the log file, the lines printed so far, and the outcome.
type attachPlan struct {
	log       string
	failed    bool
	failText  string   // pkg's error text, for the log only
	failLines []string // the brand's lines on stdout after the package work
	update    bool     // an entire update happens (success with changes)
	hang      bool
	located   bool // the dataset mounted on ZONEROOT was found: a failure runs the exit trap on it
	// progress is pkg's output while the package work runs: written to
	// the log one line at a time over the simulated time (attachProgress).
	progress []string
}

func (c *call) zoneAttach(zname string, args []string) int {
	opts, rest, err := getopt(args, "Fn:uUa:d:r:", nil, true)
	if err != nil || len(rest) > 0 {
		if err != nil {
			fmt.Fprintf(c.errw, "ERROR: %v\n", err)
		}
		return c.zoneadmUsage("attach")
	}
	if has(opts, "-F") && has(opts, "-n") {
		return c.zoneErr(zname, "-F and -n flags are mutually exclusive")
	}
	if has(opts, "-a", "-d", "-r") {
		return c.zoneErr(zname, "zonesim simulates attach of the pre-existing dataset only (no -a, -d, -r)")
	}
	if has(opts, "-n") {
		return 0 // a dry run: no software validation for IPS
	}
	update := has(opts, "-u", "-U")
	force := has(opts, "-F")
	key := "zone:" + zname
	var plan attachPlan
	msg := ""
	emptyHook := false
	c.change(func(w *world) error {
		z := w.zone(zname)
		if _, busy := c.lockHolder(w, key); busy {
			msg = errBusy
			return nil
		}
		switch {
		case z.State == "installed":
			msg = "is already installed."
		case z.State == "running" || z.State == "ready":
			msg = "attach operation is invalid for running zones."
		case z.State == "incomplete" && !force && !has(opts, "-U"):
			msg = "zone is incomplete; uninstall required."
		}
		if msg != "" || force {
			if force && msg == "" {
				c.takeLock(w, key)
			}
			return nil
		}
		c.takeLock(w, key)
		if !ipsBrand(z.Brand) {
			emptyHook = true
			return nil
		}
		plan = c.attachPlan(w, z, update)
		return nil
	})
	if msg != "" {
		return c.zoneErr(zname, "%s", msg)
	}
	if force || emptyHook {
		// -F skips the brand hook, and an empty attach hook (bhyve, lx)
		// has none: no validation, no update, no log, -u ignored
		// (reference 10.1).
		c.wait(c.dur(durReadOnly, zname))
		return c.end(true, func(w *world) int {
			defer c.dropLock(w, key)
			z := w.zone(zname)
			z.State = "installed"
			os.Remove(filepath.Join(z.Zonepath, "SUNWdetached.xml"))
			w.afterAttach(z)
			return 0
		})
	}
	if plan.hang {
		c.hang(c.dur(durAttachUpdate, zname), plan.log, plan.progress)
	}
	switch {
	case plan.failed:
		c.waitLogging(c.dur(durAttachFail, zname), plan.log, plan.progress)
	case plan.update:
		c.waitLogging(c.dur(durAttachUpdate, zname), plan.log, plan.progress)
	default:
		c.waitLogging(c.dur(durAttachPlain, zname), plan.log, plan.progress)
	}
	return c.end(true, func(w *world) int {
		defer c.dropLock(w, key)
		defer c.dropLock(w, w.imageKey(w.zone(zname).root()))
		z := w.zone(zname)
		lg := brandLog{path: plan.log, out: c.out}
		if !c.ownsLock(w, key) || z.State != "configured" && z.State != "incomplete" {
			lg.errorf("the zone changed during the attach.")
			lg.line("                    Result: Attach Failed.")
			return 1
		}
		if plan.failed {
			lg.raw(plan.failText)
			for _, l := range plan.failLines {
				lg.line(l)
			}
			if plan.located {
				w.attachTrap(z)
			}
			lg.line("                    Result: Attach Failed.")
			w.afterAttach(z)
			return 1
		}
		p := profiles[w.Profile]
		d := w.mountedAt(z.root())
		if d == nil || d.Image == nil {
			lg.errorf("no active dataset.")
			lg.line("                    Result: Attach Failed.")
			return 1
		}
		if plan.update {
			img := d.Image
			gzv := w.GZ.entire()
			n := 0
			if img.entire() == "" {
				img.Packages = append(img.Packages, pkgInst{Stem: "entire"})
			}
			for i := range img.Packages {
				pk := &img.Packages[i]
				if p.coreStem(pk.Stem) != nil && pk.Version != p.coreVersion(pk.Stem, gzv) {
					pk.Version, pk.Publisher = p.coreVersion(pk.Stem, gzv), w.GZ.first().Name
					n++
				}
			}
			sortPackages(img)
			fmt.Fprintf(c.out, "           Packages to update: %4d\n", n)
			fmt.Fprintf(c.out, "DOWNLOAD                                  PKGS       FILES    XFER (MB)\n")
			fmt.Fprintf(c.out, "Completed                              %3d/%-3d   %4d/%-4d  %5.1f/%.1f\n", n, n, n*97, n*97, float64(n)*2.3, float64(n)*2.3)
			writeFiles(w.dataPath(d), map[string]string{"etc/release": p.releaseText(gzv)})
		}
		// The attach hook sets the libbe properties on the active dataset,
		// inherits mountpoint (legacy) and remounts it on the zone root.
		d.Props["org.opensolaris.libbe:parentbe"] = w.activeBE().UUID
		d.Props["org.opensolaris.libbe:active"] = "on"
		d.Canmount, d.Zoned, d.Mountpoint = "noauto", "", ""
		if err := w.mountOverlays(z, true); err != nil {
			lg.errorf("Unable to mount the zone's ZFS dataset.")
			w.attachTrap(z)
			lg.line("                    Result: Attach Failed.")
			return 1
		}
		lg.line("")
		if plan.update {
			lg.line("  Updating non-global zone: Zone updated.")
		}
		lg.line("                    Result: Attach Succeeded.")
		os.Remove(filepath.Join(z.Zonepath, "SUNWdetached.xml"))
		z.State = "installed"
		w.afterAttach(z)
		return 0
	})
}

// attachTrap is the brand's exit trap after a failure with a
// pre-existing dataset: the zbe gets zoned=off, canmount=on and
// mountpoint=ZONEROOT back (it stays mounted there); a sparse zone's
// overlays are left as the failed attach made them (reference 10.2).
func (w *world) attachTrap(z *zone) {
	d := w.mountedAt(z.root())
	if d == nil {
		return
	}
	d.Zoned, d.Canmount, d.Mountpoint = "off", "on", z.root()
	if sparseBrand(z.Brand) {
		w.resetOverlays(z)
	}
}

// brandLog prints as the brand's log() does: the line on stdout and, dated,
// in the attach log; pkg's stderr goes to the log only.
type brandLog struct {
	path string
	out  io.Writer
}

func (l brandLog) append(s string) {
	if l.path == "" {
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	f.WriteString(s)
	f.Close()
}

func (l brandLog) line(s string) {
	fmt.Fprintln(l.out, s)
	l.append("[" + time.Now().UTC().Format("Mon Jan _2 15:04:05 MST 2006") + "] " + s + "\n")
}

func (l brandLog) errorf(format string, a ...any) {
	l.line("ERROR: " + fmt.Sprintf(format, a...))
}

func (l brandLog) raw(s string) { l.append(s) }

// attachPlan runs the brand hook up to the package work: log file, checks,
// version lines, publisher sync; then decides how the update ends. The
// caller holds the zone lock.
func (c *call) attachPlan(w *world, z *zone, update bool) attachPlan {
	p := profiles[w.Profile]
	var plan attachPlan
	plan.log = mktemp(filepath.Join(w.Dir, varTmpDir), z.Name+".attach_log.")
	lg := brandLog{path: plan.log, out: c.out}
	lg.line("Log File: " + plan.log)
	failWith := func(lines ...string) attachPlan {
		plan.failed, plan.failLines = true, lines
		return plan
	}
	if z.Dataset == "" {
		return failWith(strings.Split(msgNotDataset, "\n")...)
	}
	d := w.mountedAt(z.root())
	if d == nil || d.Image == nil || !strings.HasPrefix(d.Name, z.Dataset+"/ROOT/") {
		if illumos(w.Profile) {
			return failWith(fmt.Sprintf("ERROR: Failed to locate any dataset mounted at %s.  Attach requires a mounted dataset.", z.root()))
		}
		return failWith(msgNoActive)
	}
	plan.located = true
	img := d.Image
	if illumos(w.Profile) {
		lg.line("               Attach Path: " + z.root())
		lg.line("        Attach ZFS Dataset: " + d.Name)
		lg.line("")
		lg.line("                Installing: Using pre-existing data in zonepath")
	} else {
		lg.line("Attaching...")
	}
	if text := sanityFailure(w, z, img); text != "" {
		// zoneadm's and the brand's own checks: nothing to do with
		// packages, nothing changed in the image (reference 10.4).
		lg.errorf("%s", text)
		return failWith()
	}
	gzv := w.GZ.entire()
	lg.line("       Global zone version: entire@" + p.fmriVersion(gzv))
	if v := img.entire(); v != "" {
		lg.line("   Non-Global zone version: entire@" + p.fmriVersion(v))
	}
	if illumos(w.Profile) {
		lg.line("                     Cache: Using /var/pkg/publisher.")
	}
	lg.line("  Updating non-global zone: Output follows")
	syncPublishers(w, img)

	n := coreUpdates(p, gzv, img)
	if img.entire() == gzv {
		plan.progress = attachProgress(stagePlanned, n)
		return plan // in sync: pkg install says nothing to do
	}
	const couldNot = "ERROR: Could not update attaching zone"
	if !update {
		// The dry-run install fails whatever the reason; only the log says why.
		plan.failText = attachFailure(w, z, img)
		plan.progress = attachProgress(stagePlanned, n)
		return failWith("", "                Evaluation: Packages in zone "+z.Name+" are out of sync with the global zone. To proceed, retry with the -u flag.")
	}
	key := "image:" + d.Name
	if l, busy := c.lockHolder(w, key); busy {
		plan.failText = lockedText(w, l.PID)
		return failWith(couldNot) // pkg refuses the image at once: no progress
	}
	if z.Consumed == nil {
		z.Consumed = map[string]bool{}
	}
	if z.hasFault(FaultHungAttach) && !z.Consumed[FaultHungAttach] {
		z.Consumed[FaultHungAttach] = true
		plan.hang = true
		plan.progress = attachProgress(stageDownloading, n)
		return plan
	}
	if z.hasFault(FaultLockedOnce) && !z.Consumed[FaultLockedOnce] {
		z.Consumed[FaultLockedOnce] = true
		plan.failText = lockedText(w, 4000+len(z.Name)*37%900)
		return failWith(couldNot)
	}
	c.takeLock(w, key)
	if text := attachFailure(w, z, img); text != "" {
		plan.failText = text
		plan.progress = attachProgress(failureStage(text), n)
		return failWith(couldNot)
	}
	plan.update = true
	plan.progress = attachProgress(stageDone, n)
	return plan
}

// How far pkg install entire@GZ gets in the zone image before it ends.
const (
	stagePlanned     = iota // the solver ran: nothing to do, or no solution
	stageDownloading        // the plan was made and the download began (a transport or space failure, a hang)
	stageDone               // everything: download, actions, image state
)

// failureStage is where pkg stopped for an attachFailure text: transport
// and space errors come from the download, anything else from the solver.
func failureStage(text string) int {
	if strings.Contains(text, "Errors were encountered while attempting to retrieve") || strings.Contains(text, "[Errno 28]") {
		return stageDownloading
	}
	return stagePlanned
}

// coreUpdates is how many packages pkg install entire@GZ updates in img:
// the packages entire constrains whose version is not the global zone's
// (entire itself when the image has none).
func coreUpdates(p *profile, gzv string, img *image) int {
	n := 0
	if img.entire() == "" && p.coreStem("entire") != nil {
		n++
	}
	for _, pk := range img.Packages {
		if p.coreStem(pk.Stem) != nil && pk.Version != p.coreVersion(pk.Stem, gzv) {
			n++
		}
	}
	return n
}

// attachProgress is what pkg install writes while it runs in the zone
// image, as its non-interactive progress tracker prints it (one line per
// step, no spinners), up to the stage it reaches; n packages to update.
// The brand sends it to the attach log, where it goes undated, between
// "Output follows" and the lines of the end.
func attachProgress(stage, n int) []string {
	lines := []string{
		"Creating Plan (Solver setup): ...",
		"Creating Plan (Running solver): ...",
	}
	if stage == stagePlanned {
		return lines
	}
	files, mb := n*97, float64(n)*2.3
	dl := func(label string, k int) string {
		return fmt.Sprintf("%-39s%3d/%-3d   %4d/%-4d  %5.1f/%.1f", label, k, n, files*k/max(n, 1), files, mb*float64(k)/float64(max(n, 1)), mb)
	}
	lines = append(lines,
		"Creating Plan (Package planning): ...",
		fmt.Sprintf("           Packages to update: %4d", n),
		"DOWNLOAD                                  PKGS       FILES    XFER (MB)",
		dl("Downloading", n/3))
	if stage == stageDownloading {
		return lines
	}
	act := func(label string, k int) string { return fmt.Sprintf("%-39s %12s", label, fmt.Sprintf("%d/%d", k, k)) }
	return append(lines,
		dl("Downloading", 2*n/3),
		dl("Completed", n),
		"",
		"PHASE                                        ACTIONS",
		act("Removing old actions", n*11),
		act("Installing new actions", n*23),
		act("Updating modified actions", n*83),
		fmt.Sprintf("%-39s %12s", "Updating package state database", "Done"),
		fmt.Sprintf("%-39s %12s", "Updating image state", "Done"),
		fmt.Sprintf("%-39s %12s", "Creating fast lookup database", "Done"))
}

// waitLogging spends d as wait does, appending the lines to the attach
// log as it goes: line i of k (from 1) after i/(k+1) of d, each with one
// write, so that a reader tailing the log sees them come while the call
// runs; the end's lines come after d. The crash hook's start point still
// fires halfway, after the lines due by then.
func (c *call) waitLogging(d time.Duration, log string, lines []string) {
	if log == "" || len(lines) == 0 {
		c.wait(d)
		return
	}
	c.waited = true
	start := time.Now()
	until := func(at time.Duration) { c.sleep(time.Until(start.Add(at))) }
	k := time.Duration(len(lines))
	for i, l := range lines {
		at := d * time.Duration(i+1) / (k + 1)
		if c.crashAt == CrashAtStart && at > d/2 {
			break
		}
		until(at)
		brandLog{path: log}.raw(l + "\n")
	}
	if c.crashAt == CrashAtStart {
		until(d / 2)
		crash(c.st)
	}
	until(d)
}

// sanityFailure is the brand's sanity check text (its fatal() adds
// "ERROR: "), "" when the image passes: the illumos scripts ask pkg for
// variant.opensolaris.zone, the S11E one looks for global zone manifests.
func sanityFailure(w *world, z *zone, img *image) string {
	bad := z.hasFault(FaultSanityFails)
	if !illumos(w.Profile) {
		if bad || img.Variant == "global" {
			return "  Sanity Check: FAILED, the image is from the global zone."
		}
		return ""
	}
	switch {
	case bad || img.Variant == "":
		return "  Sanity Check: FAILED, couldn't determine variant.opensolaris.zone from image."
	case img.Variant != "nonglobal":
		return "  Sanity Check: FAILED, appears to be a global zone (variant.opensolaris.zone=" + img.Variant + ")."
	}
	return ""
}

// attachFailure is pkg's error text for the first cause, in fixed
// priority, that still stops `pkg install entire@GZ` in this zone image;
// "" when the install goes through.
func attachFailure(w *world, z *zone, img *image) string {
	gzFirst := w.GZ.first()
	if z.hasFault(FaultRepoDown) && gzFirst != nil && len(gzFirst.Origins) > 0 {
		return transportText(gzFirst.Origins[0], "E_COULDNT_CONNECT (7) reason: Failed to connect to %s port 80: Connection timed out")
	}
	if z.hasFault(FaultNoSpaceAttach) {
		return "pkg: [Errno 28] No space left on device: '" + filepath.Join(z.root(), "var/pkg/download") + "'\n"
	}
	for _, name := range troubleOrder {
		t := z.hasTrouble(name)
		if t == nil || !troubleActive(w, z, t, img) {
			continue
		}
		return troubleText(w, t, img)
	}
	return missingLibrary(w, img)
}

// solverFailure is the no-solution text of the first solver trouble
// (conflicts, stale-image, broken-image) that still stops an install of
// entire in the zone image, "" when none does.
func solverFailure(w *world, z *zone, img *image) string {
	for _, name := range troubleOrder {
		t := z.hasTrouble(name)
		if t == nil || !troubleActive(w, z, t, img) {
			continue
		}
		switch name {
		case TroubleConflicts, TroubleStaleImage, TroubleBrokenImage:
			return troubleText(w, t, img)
		}
	}
	return missingLibrary(w, img)
}

// exitNoSolution is pkg's exit code for a solver failure: OmniOS's client
// has EXIT_CONSTRAINED (reference 6.1), the others exit 1.
func exitNoSolution(w *world) int {
	if w.Profile == ProfileOmniOS {
		return 9
	}
	return 1
}

// missingLibrary is the solver's failure for an image without
// system/library (a re-created one), "" when it has it.
func missingLibrary(w *world, img *image) string {
	if img.pkg("system/library") == nil {
		return noSolution(profiles[w.Profile], w.GZ, "  No suitable version of required package pkg:/system/library found:\n"+
			"    Reason:  No version of system/library is installed in this image\n")
	}
	return ""
}

// troubleText is pkg's error text for one active trouble.
func troubleText(w *world, t *trouble, img *image) string {
	p := profiles[w.Profile]
	gzFirst := w.GZ.first()
	switch t.Name {
	case TroubleGZPublishers:
		pb := otherGZPublisher(w.GZ)
		return transportText(pb.Origins[0], "E_COULDNT_CONNECT (7) reason: Failed to connect to %s port 80: Connection refused")
	case TroubleZonePublishers:
		return transportText(t.Publisher.Origins[0], "E_COULDNT_RESOLVE_HOST (6) reason: Couldn't resolve host '%s'")
	case TroubleTooOld:
		gzv := w.GZ.entire()
		return "\npkg install: No matching version of entire can be installed:\n" +
			"  Reject:  " + p.fmri(gzFirst.Name, "entire", gzv) + "\n" +
			"  Reason:  A version for 'incorporate' dependency on pkg:/consolidation/osnet/osnet-incorporation@" +
			p.fmriVersion(gzv) + " cannot be found\n" +
			"  Reason:  This version is excluded by installed incorporation " + p.fmri(pkgPublisher(img, "entire"), "entire", img.entire()) + "\n"
	case TroubleConflicts:
		var pk pkgInst
		for _, s := range conflictPackages {
			if q := img.pkg(s.stem); q != nil {
				pk = *q
				break
			}
		}
		return noSolution(p, w.GZ,
			"  No suitable version of required package "+p.fmri(pk.Publisher, pk.Stem, pk.Version)+" found:\n"+
				"    Reject:  "+p.fmri(pk.Publisher, pk.Stem, pk.Version)+"\n"+
				"    Reason:  This version is excluded by installed incorporation "+p.fmri(pkgPublisher(img, "entire"), "entire", img.entire())+"\n"+
				"    Reason:  No version of "+pk.Stem+" is available from the global zone's publishers for entire@"+shortVersion(w.GZ.entire())+"\n")
	case TroubleStaleImage:
		return noSolution(p, w.GZ, "Plan Creation: Package solver is unable to compute solution.\n"+
			"Dependency analysis is unable to determine exact cause.\n"+
			"Try specifying expected results to obtain more detailed error messages.\n")
	case TroubleBrokenImage:
		return noSolution(p, w.GZ, "  No suitable version of required package pkg:/system/library found:\n"+
			"    Reject:  "+p.fmri(w.GZ.first().Name, "system/library", p.coreVersion("system/library", w.GZ.entire()))+"\n"+
			"    Reason:  The installed package metadata of this image cannot be reconciled with its catalog\n")
	}
	return ""
}

func pkgPublisher(img *image, stem string) string {
	if pk := img.pkg(stem); pk != nil {
		return pk.Publisher
	}
	return ""
}

// troubleActive tells whether a trouble still stops the attach: each one
// looks at what its cure changes, so a rollback brings it back.
func troubleActive(w *world, z *zone, t *trouble, img *image) bool {
	if img == nil {
		return true
	}
	switch t.Name {
	case TroubleGZPublishers:
		return len(w.GZ.Publishers) > 1
	case TroubleZonePublishers:
		return img.publisher(t.Publisher.Name) != nil
	case TroubleTooOld:
		p := profiles[w.Profile]
		return p.step != "" && img.entire() != "" && compareVersions(img.entire(), p.step) < 0
	case TroubleConflicts:
		for _, s := range conflictPackages {
			if img.pkg(s.stem) != nil {
				return true
			}
		}
		return false
	case TroubleStaleImage:
		return img.Stale
	case TroubleBrokenImage:
		return img.Broken || img.pkg("system/library") == nil
	}
	return false
}

// otherGZPublisher is the global publisher whose URL a gz-publishers
// failure names: a disabled one if any (attach -u looks at those too),
// else the second-ranked.
func otherGZPublisher(gz *image) *publisher {
	for _, pb := range gz.Publishers[1:] {
		if !pb.Enabled && len(pb.Origins) > 0 {
			return pb
		}
	}
	for _, pb := range gz.Publishers[1:] {
		if len(pb.Origins) > 0 {
			return pb
		}
	}
	return gz.Publishers[1]
}

// transportText is pkg's transport failure for an origin (reference 6.2).
func transportText(origin, detail string) string {
	host := origin
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	if strings.HasPrefix(origin, "https://") {
		detail = strings.Replace(detail, "port 80", "port 443", 1)
	}
	return "\nErrors were encountered while attempting to retrieve package or file data for\n" +
		"the requested operation.\n" +
		"Details follow:\n\n" +
		"Framework error: code: " + fmt.Sprintf(detail, host) + "\n" +
		"URL: '" + strings.TrimSuffix(origin, "/") + "/catalog/1/catalog.attrs'\n"
}

func noSolution(p *profile, gz *image, detail string) string {
	return "\npkg install: No solution was found to satisfy constraints\n" +
		"Plan Creation: Package solver has not found a solution to update to latest available versions.\n" +
		"This may indicate an overly constrained set of packages are installed.\n \n" +
		"latest incorporations:\n \n" +
		"  " + p.fmri(gz.first().Name, "entire", gz.entire()) + "\n \n" +
		"The following indicates why the system cannot update to the latest version:\n \n" +
		detail
}

func lockedText(w *world, pid int) string {
	return fmt.Sprintf("pkg: The image cannot be modified as it is currently in use by another package client: pkg on %s, pid %d.\n", w.Hostname, pid)
}

// syncPublishers is the brand's publisher sync: every global publisher is
// re-created in the zone image, the global first-ranked one first; zone
// publishers the global zone does not have stay where they were.
func syncPublishers(w *world, img *image) {
	if w.Profile == ProfileS11E {
		// By hand, as the S11E brand does: a temporary preferred publisher,
		// unset and set each global one (-P for the preferred), then the
		// temporary one goes.
		tmp := &publisher{Name: fmt.Sprintf("za%d", time.Now().UnixNano()%100000), Origins: []string{"http://localhost:10000"}, Enabled: true, Sticky: true}
		img.Publishers = append([]*publisher{tmp}, img.Publishers...)
		for i, gp := range w.GZ.Publishers {
			img.removePublisher(gp.Name)
			if i == 0 {
				img.Publishers = append([]*publisher{gp.clone()}, img.Publishers...)
			} else {
				img.Publishers = append(img.Publishers, gp.clone())
			}
		}
		img.removePublisher(tmp.Name)
		return
	}
	// OI: pkg copy-publishers-from /.
	copyPublishers(w.GZ, img)
}

func copyPublishers(from, img *image) {
	for i, gp := range from.Publishers {
		img.removePublisher(gp.Name)
		if i == 0 {
			img.Publishers = append([]*publisher{gp.clone()}, img.Publishers...)
		} else {
			img.Publishers = append(img.Publishers, gp.clone())
		}
	}
}

// mktemp creates PREFIX + six random characters, as mktemp(1) does.
func mktemp(dir, prefix string) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for {
		b := make([]byte, 6)
		rand.Read(b)
		for i := range b {
			b[i] = chars[int(b[i])%len(chars)]
		}
		p := filepath.Join(dir, prefix+string(b))
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return p
		}
		if !os.IsExist(err) {
			return p
		}
	}
}
