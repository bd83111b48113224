package sim

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Options every changing subcommand accepts and zonesim ignores.
var beLongs = []string{"no-index", "no-be-activate", "be-name=", "deny-new-be", "require-new-be",
	"no-backup-be", "require-backup-be", "backup-be-name=", "licenses", "accept", "no-refresh", "reject="}

// planChange is one line of a plan: a package added, updated or removed.
type planChange struct {
	stem, pub, from, to string
}

// printPlan prints a plan summary as the client does for a zone image (no
// boot environment lines under -R ZONEROOT), with -v the packages.
func printPlan(out io.Writer, prof *profile, root string, changes []planChange, verbose bool) {
	var add, upd, rem int
	for _, c := range changes {
		switch {
		case c.from == "":
			add++
		case c.to == "":
			rem++
		default:
			upd++
		}
	}
	for _, l := range []struct {
		label string
		n     int
	}{{"Packages to remove", rem}, {"Packages to install", add}, {"Packages to update", upd}} {
		if l.n > 0 {
			fmt.Fprintf(out, "%34s %5d\n", l.label+":", l.n)
		}
	}
	if root == "/" {
		fmt.Fprintf(out, "%34s %5s\n", "Create boot environment:", "No")
	}
	if verbose {
		fmt.Fprintln(out, "\nChanged packages:")
		for _, c := range changes {
			from, to := "None", "None"
			if c.from != "" {
				from = prof.fmriVersion(c.from)
			}
			if c.to != "" {
				to = prof.fmriVersion(c.to)
			}
			fmt.Fprintf(out, "%s\n  %s\n    %s -> %s\n", c.pub, c.stem, from, to)
		}
	}
	if add+upd > 0 {
		fmt.Fprintf(out, "DOWNLOAD                                  PKGS       FILES    XFER (MB)\n")
		fmt.Fprintf(out, "Completed                              %3d/%-3d   %4d/%-4d  %5.1f/%.1f\n", add+upd, add+upd, (add+upd)*41, (add+upd)*41, float64(add+upd)*1.7, float64(add+upd)*1.7)
	}
	fmt.Fprintf(out, "\nPHASE                                        ACTIONS\n")
	if rem > 0 {
		fmt.Fprintf(out, "Removal Phase                              %5d/%d\n", rem*37, rem*37)
	}
	if add > 0 {
		fmt.Fprintf(out, "Install Phase                              %5d/%d\n", add*53, add*53)
	}
	if upd > 0 {
		fmt.Fprintf(out, "Update Phase                               %5d/%d\n", upd*29, upd*29)
	}
}

func (p *pkgCtx) install() int {
	opts, patterns, err := getopt(p.args, "nvqC:g:", beLongs, true)
	if err != nil {
		return p.pkgUsage("install", err)
	}
	if len(patterns) == 0 {
		return p.pkgUsage("install", fmt.Errorf("at least one package name required"))
	}
	dry := has(opts, "-n")
	ch := pkgChange{seconds: durInstall, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		prof := profiles[w.Profile]
		if !has(opts, "--no-refresh") {
			if t := w.refreshFailure(img); t != "" {
				fmt.Fprint(errw, t)
				return 1
			}
		}
		changes, bad := w.installPlan(prof, img, patterns)
		if len(bad) > 0 {
			fmt.Fprintf(errw, "\npkg install: The following pattern(s) did not match any allowable packages.  Try\nusing a different matching pattern, or refreshing publisher information:\n\n")
			for _, b := range bad {
				fmt.Fprintf(errw, "\t%s\n", b)
			}
			return 1
		}
		if len(changes) == 0 {
			fmt.Fprintln(out, "No updates necessary for this image.")
			return 4
		}
		if text := w.solverBlocks(root, img, changes); text != "" {
			fmt.Fprint(errw, text)
			return exitNoSolution(w)
		}
		if !has(opts, "-q") {
			printPlan(out, prof, root, changes, has(opts, "-v"))
		}
		if dry {
			return 0
		}
		hadLibrary := img.pkg("system/library") != nil
		applyChanges(img, changes)
		if real && !hadLibrary && img.pkg("system/library") != nil && root != "/" {
			// The packages deliver their own configuration files over the
			// zone's: what a re-created image costs.
			writeFiles(root, defaultFiles())
		}
		if real {
			if v := img.entire(); v != "" && root != "/" {
				writeFiles(root, map[string]string{"etc/release": prof.releaseText(v)})
			}
		}
		return 0
	}}
	if dry {
		return p.dryRun(ch)
	}
	return p.modify(ch)
}

// dryRun is -n: decide and print, change nothing.
func (p *pkgCtx) dryRun(ch pkgChange) int {
	return p.read(func(w *world, img *image, root string) int {
		return ch.run(w, img.clone(), root, p.out, p.errw, false)
	})
}

// installPlan resolves install patterns against the image's publishers.
func (w *world) installPlan(prof *profile, img *image, patterns []string) ([]planChange, []string) {
	var changes []planChange
	var bad []string
	have := func(stem string) *planChange {
		for i := range changes {
			if changes[i].stem == stem {
				return &changes[i]
			}
		}
		return nil
	}
	offers := w.entireOffers(img)
	var addWithDeps func(stem, pub, branch string)
	addWithDeps = func(stem, pub, branch string) {
		if img.pkg(stem) != nil || have(stem) != nil {
			return
		}
		changes = append(changes, planChange{stem: stem, pub: pub, to: prof.coreOnBranch(stem, branch)})
		for _, d := range prof.depsOf(stem) {
			addWithDeps(d, pub, branch)
		}
	}
	for _, pat := range patterns {
		pubWanted, stem, ver := splitPattern(pat)
		cs := prof.coreStem(stem)
		if cs == nil {
			bad = append(bad, pat)
			continue
		}
		// The offer that satisfies the pattern: first publisher in search
		// order that has it, its newest matching version.
		var pick *offer
		for i := range offers {
			o := offers[i]
			if pubWanted != "" && o.pub != pubWanted {
				continue
			}
			if ver != "" && !versionMatches(prof.coreVersion(stem, o.version), ver) && !(stem == "entire" && versionMatches(o.version, ver)) {
				continue
			}
			pick = &o
			break
		}
		if stem == "entire" {
			if pick == nil {
				bad = append(bad, pat)
				continue
			}
			cur := img.entire()
			if cur == pick.version && ver != "" || cur != "" && ver == "" {
				continue // installed already: nothing to do for it
			}
			if cur != "" && compareVersions(pick.version, cur) < 0 {
				bad = append(bad, pat)
				continue
			}
			// entire brings every installed core package to its branch.
			for _, pk := range img.Packages {
				if prof.coreStem(pk.Stem) == nil || pk.Stem == "entire" {
					continue
				}
				to := prof.coreVersion(pk.Stem, pick.version)
				if pk.Version != to && have(pk.Stem) == nil {
					changes = append(changes, planChange{stem: pk.Stem, pub: pick.pub, from: pk.Version, to: to})
				}
			}
			changes = append(changes, planChange{stem: "entire", pub: pick.pub, from: cur, to: pick.version})
			continue
		}
		if pk := img.pkg(stem); pk != nil {
			if ver != "" && !versionMatches(pk.Version, ver) {
				bad = append(bad, pat)
			}
			continue
		}
		// Not installed: on the installed entire's branch, or the newest.
		branch := branchOf(img.entire())
		pub := ""
		if branch == "" && pick != nil {
			branch, pub = branchOf(pick.version), pick.pub
		}
		if pub == "" && pick != nil {
			pub = pick.pub
		}
		if branch == "" || pub == "" {
			bad = append(bad, pat)
			continue
		}
		addWithDeps(stem, pub, branch)
	}
	return changes, bad
}

func applyChanges(img *image, changes []planChange) {
	for _, c := range changes {
		switch {
		case c.to == "":
			img.Packages = slices.DeleteFunc(img.Packages, func(pk pkgInst) bool { return pk.Stem == c.stem })
		case img.pkg(c.stem) != nil:
			pk := img.pkg(c.stem)
			pk.Version, pk.Publisher = c.to, c.pub
		default:
			img.Packages = append(img.Packages, pkgInst{Stem: c.stem, Publisher: c.pub, Version: c.to})
		}
	}
	sortPackages(img)
}

func (p *pkgCtx) uninstall() int {
	opts, patterns, err := getopt(p.args, "nvq", []string{"no-index", "no-be-activate", "be-name=", "deny-new-be", "require-new-be",
		"no-backup-be", "require-backup-be", "backup-be-name="}, true)
	if err != nil {
		return p.pkgUsage("uninstall", err)
	}
	if len(patterns) == 0 {
		return p.pkgUsage("uninstall", fmt.Errorf("at least one package name required"))
	}
	ch := pkgChange{seconds: durUninstall, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		prof := profiles[w.Profile]
		remove := map[string]bool{}
		var missed []string
		for _, pat := range patterns {
			found := false
			for _, pk := range img.Packages {
				if pkgMatches(pk, pat) {
					remove[pk.Stem], found = true, true
				}
			}
			if !found {
				missed = append(missed, pat)
			}
		}
		if len(missed) > 0 {
			fmt.Fprintln(errw)
			for _, m := range missed {
				fmt.Fprintf(errw, "pkg uninstall: '%s' matches no installed packages\n", m)
			}
			return 1
		}
		// A package that stays may not lose what it depends on.
		for _, pk := range img.Packages {
			if !remove[pk.Stem] {
				continue
			}
			var dependents []string
			for _, other := range img.Packages {
				if !remove[other.Stem] && slices.Contains(prof.depsOf(other.Stem), pk.Stem) {
					dependents = append(dependents, prof.fmri(other.Publisher, other.Stem, other.Version))
				}
			}
			if len(dependents) > 0 {
				fmt.Fprintf(errw, "\npkg uninstall: Cannot remove '%s' due to the following packages that depend on it:\n", prof.fmri(pk.Publisher, pk.Stem, pk.Version))
				for _, d := range dependents {
					fmt.Fprintf(errw, "  %s\n", d)
				}
				return 1
			}
		}
		var changes []planChange
		for _, pk := range img.Packages {
			if remove[pk.Stem] {
				changes = append(changes, planChange{stem: pk.Stem, pub: pk.Publisher, from: pk.Version})
			}
		}
		if !has(opts, "-q") {
			printPlan(out, prof, root, changes, has(opts, "-v"))
		}
		if has(opts, "-n") {
			return 0
		}
		applyChanges(img, changes)
		return 0
	}}
	if has(opts, "-n") {
		return p.dryRun(ch)
	}
	return p.modify(ch)
}

// update is image-update (OpenSolaris) or update (S11E and later; both
// names work on both profiles). In a stale image it brings the package
// metadata up to date; otherwise there is nothing to do.
func (p *pkgCtx) update() int {
	opts, _, err := getopt(p.args, "fnvq", beLongs, true)
	if err != nil {
		return p.pkgUsage(p.sub, err)
	}
	ch := pkgChange{seconds: durImageUpdate, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		prof := profiles[w.Profile]
		if !has(opts, "--no-refresh") {
			if t := w.refreshFailure(img); t != "" {
				fmt.Fprint(errw, t)
				return 1
			}
		}
		if !img.Stale {
			fmt.Fprintln(out, "No updates available for this image.")
			return 4
		}
		var changes []planChange
		for _, pk := range img.Packages {
			if prof.coreStem(pk.Stem) != nil {
				changes = append(changes, planChange{stem: pk.Stem, pub: pk.Publisher, from: pk.Version, to: pk.Version})
			}
		}
		if !has(opts, "-q") {
			printPlan(out, prof, root, changes, has(opts, "-v"))
		}
		if !has(opts, "-n") {
			img.Stale = false
		}
		return 0
	}}
	if has(opts, "-n") {
		return p.dryRun(ch)
	}
	return p.modify(ch)
}

func (p *pkgCtx) imageCreate() int {
	opts, dirs, err := getopt(p.args, "FPUfzp:g:m:k:c:", []string{"force", "full", "partial", "user", "zone", "no-refresh",
		"publisher=", "origin=", "mirror=", "variant=", "facet=", "set-property="}, true)
	if err != nil {
		return p.pkgUsage("image-create", err)
	}
	if len(dirs) != 1 {
		return p.pkgUsage("image-create", fmt.Errorf("an image directory path must be specified"))
	}
	pubArg := val(opts, "-p", "--publisher")
	if pubArg == "" {
		return p.pkgUsage("image-create", fmt.Errorf("a publisher must be specified (-p name=uri)"))
	}
	pubName, origin, named := strings.Cut(pubArg, "=")
	dir := cleanRoot(dirs[0])
	p.root, p.search, p.fromEnv, p.create = dir, false, false, true
	ch := pkgChange{seconds: durImageCreate, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		if !named {
			// No name: the repository's publisher, known from the global zone.
			origin, pubName = pubArg, ""
			for _, pb := range w.GZ.Publishers {
				if slices.ContainsFunc(pb.Origins, func(o string) bool { return sameURL(o, origin) }) {
					pubName = pb.Name
				}
			}
			if pubName == "" {
				fmt.Fprintf(errw, "pkg image-create: zonesim does not know the publisher of %s: use -p name=%s\n", origin, origin)
				return 1
			}
		}
		if ents, _ := os.ReadDir(root); len(ents) > 0 && !has(opts, "-f", "--force") {
			fmt.Fprintf(errw, "pkg image-create: the specified image path is not empty: %s\nTo override, use the -f (force) option.\n", root)
			return 1
		}
		pb := &publisher{Name: pubName, Origins: append([]string{origin}, vals(opts, "-g", "--origin")...),
			Mirrors: vals(opts, "-m", "--mirror"), Enabled: true, Sticky: true, SSLKey: val(opts, "-k"), SSLCert: val(opts, "-c")}
		if !has(opts, "--no-refresh") {
			if o := w.unreachable(pb); o != "" {
				fmt.Fprint(errw, transportFor(o))
				return 1
			}
		}
		if real {
			variant := "global"
			if has(opts, "-z", "--zone") {
				variant = "nonglobal"
			}
			w.setImageAt(root, &image{Variant: variant, Publishers: []*publisher{pb}, Packages: []pkgInst{}})
		}
		return 0
	}}
	// The image must be a zone root with its zone BE there: image-create
	// over anything else is not simulated.
	bad := ""
	p.view(func(w *world) error {
		switch {
		case dir == "/":
			bad = "pkg image-create: zonesim does not re-create the global zone's image"
		case w.imageAt(dir) == nil && w.zoneOfRoot(dir) != nil:
			bad = fmt.Sprintf("pkg image-create: zonesim: no zone boot environment is mounted at %s (mount it first)", dir)
		case w.imageAt(dir) == nil:
			bad = fmt.Sprintf("pkg image-create: zonesim can only create images on zone roots, not %s", dir)
		}
		return nil
	})
	if bad != "" {
		return p.fail(1, "%s", bad)
	}
	return p.modify(ch)
}

// setImageAt replaces the image rooted at dir.
func (w *world) setImageAt(dir string, img *image) {
	if d := w.mountedAt(dir); d != nil {
		d.Image = img
		return
	}
	if z := w.zoneOfRoot(dir); z != nil && z.Dataset == "" {
		z.Image = img
	}
}

// solverBlocks is the no-solution text when an install that moves entire
// meets a zone's solver trouble. Only the OmniOS client is simulated this
// far (exit 9, EXIT_CONSTRAINED): on s11e and oi a direct install goes
// through as it always did here, and the troubles show in attach -u only.
func (w *world) solverBlocks(root string, img *image, changes []planChange) string {
	if w.Profile != ProfileOmniOS || !slices.ContainsFunc(changes, func(c planChange) bool { return c.stem == "entire" && c.to != "" }) {
		return ""
	}
	z := w.zoneOfRoot(root)
	if z == nil {
		return ""
	}
	return solverFailure(w, z, img)
}
