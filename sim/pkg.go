package sim

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const pkgUsageText = `
Usage:
        pkg [options] command [cmd_options] [operands]

Basic subcommands:
        pkg install [-nvq] [--accept] [--no-refresh] package...
        pkg uninstall [-nvq] package...
        pkg list [-Hafnsuv] [--no-refresh] [package...]
        pkg image-update [-fnvq] [--be-name name] [--no-refresh]
        pkg update [-fnvq] [--be-name name] [--no-refresh] [package...]
        pkg refresh [--full] [publisher ...]
        pkg info [-lr] [--license] [pkg_fmri_pattern ...]
        pkg variant [-H] [variant.name ...]
        pkg publisher [-HPn] [-F format] [publisher ...]
        pkg set-publisher [-Ped] [-k ssl_key] [-c ssl_cert]
            [-g origin_to_add | --add-origin=origin_to_add ...]
            [-G origin_to_remove | --remove-origin=origin_to_remove ...]
            [-m mirror_to_add | --add-mirror=mirror_to_add ...]
            [-M mirror_to_remove | --remove-mirror=mirror_to_remove ...]
            [--enable] [--disable] [--no-refresh] [--reset-uuid]
            [--non-sticky] [--sticky] [--search-after=publisher]
            [--search-before=publisher] publisher
        pkg unset-publisher publisher ...
        pkg image-create [-FPUfz] [--force] [--full|--partial|--user] [--zone]
            [-k ssl_key] [-c ssl_cert] [--no-refresh]
            [-g uri|--origin=uri ...] [-m uri|--mirror=uri ...]
            -p|--publisher [<name>=]<repo_uri> dir

Options:
        -R dir
        --help or -?
`

// pkgUsage reports a usage error of a subcommand (exit 2).
func (c *call) pkgUsage(sub string, err error) int {
	prefix := "pkg: "
	if sub != "" {
		prefix += sub + ": "
	}
	var oe *optError
	switch {
	case errors.As(err, &oe) && oe.missing:
		fmt.Fprintf(c.errw, "%soption %s requires argument\n", prefix, oe.opt)
	case errors.As(err, &oe):
		fmt.Fprintf(c.errw, "%sillegal option -- %s\n", prefix, oe.letter())
	case err != nil:
		fmt.Fprintf(c.errw, "%s%v\n", prefix, err)
	}
	fmt.Fprint(c.errw, pkgUsageText)
	return 2
}

// pkgCtx is one pkg run: the image root and where it came from.
type pkgCtx struct {
	*call
	sub     string
	args    []string
	root    string // -R, $PKG_IMAGE, or found from the working directory
	fromEnv bool
	search  bool // no -R nor $PKG_IMAGE on an s11e client: search upward from the cwd
	create  bool // image-create: the old image is not opened, so its key files do not matter
}

func (c *call) pkg() int {
	opts, rest, err := getopt(c.args, "R:?", []string{"help"}, false)
	if err != nil {
		return c.pkgUsage("", err)
	}
	if has(opts, "-?", "--help") {
		fmt.Fprint(c.out, pkgUsageText)
		return 0
	}
	if len(rest) == 0 {
		return c.pkgUsage("", errors.New("no subcommand specified"))
	}
	p := &pkgCtx{call: c, sub: rest[0], args: rest[1:]}
	switch r := val(opts, "-R"); {
	case r != "":
		p.root = cleanRoot(r)
	case c.by.getenv("PKG_IMAGE") != "":
		p.root, p.fromEnv = cleanRoot(c.by.getenv("PKG_IMAGE")), true
	default:
		p.search = true
	}
	switch p.sub {
	case "publisher":
		return p.publisherList()
	case "set-publisher":
		return p.setPublisher()
	case "unset-publisher":
		return p.unsetPublisher()
	case "list":
		return p.list()
	case "info":
		return p.info()
	case "variant":
		return p.variant()
	case "install":
		return p.install()
	case "uninstall":
		return p.uninstall()
	case "image-update", "update":
		return p.update()
	case "image-create":
		return p.imageCreate()
	case "refresh":
		return p.refresh()
	case "copy-publishers-from":
		if !c.profileIs(ProfileS11E) {
			return p.copyPublishersFrom()
		}
	}
	return c.pkgUsage("", fmt.Errorf("unknown subcommand '%s'", p.sub))
}

func cleanRoot(r string) string {
	if abs, err := filepath.Abs(r); err == nil {
		return abs
	}
	return filepath.Clean(r)
}

// resolve finds the image: an s11e client without -R searches upward from
// the working directory (reference 6.3), an OI one uses /.
func (p *pkgCtx) resolve(w *world) (string, *image) {
	if !p.search {
		return p.root, w.imageAt(p.root)
	}
	if w.Profile != ProfileS11E {
		return "/", w.GZ
	}
	dir, err := os.Getwd()
	if err != nil {
		return "/", w.GZ
	}
	for ; dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if img := w.imageAt(dir); img != nil {
			return dir, img
		}
	}
	return "/", w.GZ
}

// open finds the image as the client opens it: none at the root, or one
// whose key files are not all there (a sparse zone's overlay not
// mounted: EXIT_EACCESS, reference 10.2), is an error and its exit code.
func (p *pkgCtx) open(w *world) (string, *image, int) {
	root, img := p.resolve(w)
	if img == nil {
		return root, nil, p.noImage(root)
	}
	if !p.create {
		for _, kf := range img.KeyFiles {
			if _, err := os.Stat(filepath.Join(root, kf)); err != nil {
				return root, nil, p.fail(51, "pkg: Image is missing key file. Is everything mounted? '%s'", kf)
			}
		}
	}
	return root, img, 0
}

func (p *pkgCtx) noImage(root string) int {
	suffix := ""
	if p.fromEnv {
		suffix = " (set by $PKG_IMAGE)"
	}
	return p.fail(1, "pkg: No image rooted at '%s'%s", root, suffix)
}

// read runs a read-only subcommand on the image.
func (p *pkgCtx) read(fn func(w *world, img *image, root string) int) int {
	p.wait(p.dur(durReadOnly, ""))
	return p.end(false, func(w *world) int {
		root, img, code := p.open(w)
		if img == nil {
			return code
		}
		return fn(w, img, root)
	})
}

// pkgChange is a subcommand that changes an image. run must only change
// img (and files, when real is set) and may be run twice: on a copy while
// deciding, then for real after the simulated time.
type pkgChange struct {
	seconds float64 // its simulated time when it changes something
	run     func(w *world, img *image, root string, out, errw io.Writer, real bool) int
}

// modify decides on a copy under the lock (taking the image lock when
// there is work), spends the time, then applies it for real.
func (p *pkgCtx) modify(ch pkgChange) int {
	var out, errw bytes.Buffer
	code := 0
	key := ""
	p.change(func(w *world) error {
		root, img, c := p.open(w)
		if img == nil {
			code = c
			return nil
		}
		key = w.imageKey(root)
		if l, busy := p.lockHolder(w, key); busy {
			errw.WriteString(lockedText(w, l.PID))
			code = 7
			return nil
		}
		if z := w.zoneOfRoot(root); z != nil && z.hasFault(FaultPkgLockedOnce) && !z.Consumed[FaultPkgLockedOnce] {
			// Another client held the zone image for a moment: the first
			// change made from the global zone is refused.
			if z.Consumed == nil {
				z.Consumed = map[string]bool{}
			}
			z.Consumed[FaultPkgLockedOnce] = true
			errw.WriteString(lockedText(w, 5000+len(z.Name)*41%900))
			code = 7
			return nil
		}
		code = ch.run(w, img.clone(), root, &out, &errw, false)
		if code == 0 {
			p.takeLock(w, key)
		}
		return nil
	})
	if code != 0 {
		switch code {
		case 4:
			p.wait(p.dur(durNothingToDo, ""))
		default:
			p.wait(p.dur(durSolverFail, ""))
		}
		return p.end(false, func(*world) int {
			io.Copy(p.out, &out)
			io.Copy(p.errw, &errw)
			return code
		})
	}
	p.wait(p.dur(ch.seconds, filepath.Base(filepath.Dir(p.root))))
	return p.end(true, func(w *world) int {
		defer p.dropLock(w, key)
		root, img, code := p.open(w)
		if img == nil {
			return code
		}
		if l, busy := p.lockHolder(w, key); busy {
			fmt.Fprint(p.errw, lockedText(w, l.PID))
			return 7
		}
		return ch.run(w, img, root, p.out, p.errw, true)
	})
}

// Catalogs: what the image's publishers offer.

// unreachable is the first origin of a publisher that does not answer,
// "" when all do.
func (w *world) unreachable(pb *publisher) string {
	for _, o := range pb.Origins {
		if r := w.repo(o); r == nil || !r.Reachable {
			return o
		}
	}
	return ""
}

// refreshFailure is the transport error of the first enabled publisher
// that cannot be reached, "" when all can.
func (w *world) refreshFailure(img *image) string {
	for _, pb := range img.Publishers {
		if !pb.Enabled {
			continue
		}
		if o := w.unreachable(pb); o != "" {
			return transportFor(o)
		}
	}
	return ""
}

// transportFor words the failure by host: made-up hosts do not resolve.
func transportFor(origin string) string {
	if strings.Contains(origin, ".example.org") {
		return transportText(origin, "E_COULDNT_RESOLVE_HOST (6) reason: Couldn't resolve host '%s'")
	}
	return transportText(origin, "E_COULDNT_CONNECT (7) reason: Failed to connect to %s port 80: Connection refused")
}

// offer is an entire version a publisher serves.
type offer struct{ pub, version string }

// entireOffers lists what the image's enabled, reachable publishers serve,
// in search order, newest version first within a publisher.
func (w *world) entireOffers(img *image) []offer {
	var out []offer
	for _, pb := range img.Publishers {
		if !pb.Enabled {
			continue
		}
		for _, o := range pb.Origins {
			r := w.repo(o)
			if r == nil || !r.Reachable {
				continue
			}
			for i := len(r.Entire) - 1; i >= 0; i-- {
				out = append(out, offer{pb.Name, r.Entire[i]})
			}
		}
	}
	return out
}

// Patterns.

// splitPattern takes pkg://pub/stem@ver, pkg:/stem@ver or stem@ver apart.
func splitPattern(pat string) (pub, stem, version string) {
	s := pat
	switch {
	case strings.HasPrefix(s, "pkg://"):
		s = s[len("pkg://"):]
		pub, s, _ = strings.Cut(s, "/")
	case strings.HasPrefix(s, "pkg:/"):
		s = s[len("pkg:/"):]
	}
	stem, version, _ = strings.Cut(s, "@")
	return pub, stem, version
}

// stemMatches matches a pattern's stem part as pkg does: the whole stem or
// its trailing components, globs allowed.
func stemMatches(stem, pat string) bool {
	if strings.ContainsAny(pat, "*?") {
		if globMatch(pat, stem) {
			return true
		}
	} else if stem == pat {
		return true
	}
	for i := 0; i < len(stem); i++ {
		if stem[i] == '/' {
			tail := stem[i+1:]
			if tail == pat || strings.ContainsAny(pat, "*?") && globMatch(pat, tail) {
				return true
			}
		}
	}
	return false
}

func pkgMatches(pk pkgInst, pattern string) bool {
	pub, stem, ver := splitPattern(pattern)
	if pub != "" && pub != pk.Publisher {
		return false
	}
	if !stemMatches(pk.Stem, stem) {
		return false
	}
	return ver == "" || versionMatches(pk.Version, ver)
}

// Output formats.

// listName is NAME (PUBLISHER): the suffix only when the publisher is not
// the image's first-ranked one (reference 6.4a).
func listName(img *image, pk pkgInst) string {
	if first := img.first(); first != nil && first.Name == pk.Publisher {
		return pk.Stem
	}
	return pk.Stem + " (" + pk.Publisher + ")"
}

func sortPackages(img *image) {
	slices.SortFunc(img.Packages, func(a, b pkgInst) int { return strings.Compare(a.Stem, b.Stem) })
}

func (p *pkgCtx) list() int {
	opts, patterns, err := getopt(p.args, "Hafnqsuvg:", []string{"no-refresh"}, true)
	if err != nil {
		return p.pkgUsage("list", err)
	}
	return p.read(func(w *world, img *image, root string) int {
		prof := profiles[w.Profile]
		type entry struct {
			pk        pkgInst
			installed bool
		}
		var entries []entry
		for _, pk := range img.Packages {
			entries = append(entries, entry{pk, true})
		}
		newest := ""
		for _, o := range w.entireOffers(img) {
			if newest == "" || compareVersions(o.version, newest) > 0 {
				newest = o.version
			}
		}
		if has(opts, "-a") {
			for _, o := range w.entireOffers(img) {
				for _, cs := range prof.core {
					pk := pkgInst{Stem: cs.stem, Publisher: o.pub, Version: prof.coreVersion(cs.stem, o.version)}
					if !slices.ContainsFunc(entries, func(e entry) bool { return e.pk == pk }) {
						entries = append(entries, entry{pk, false})
					}
				}
			}
			slices.SortStableFunc(entries, func(a, b entry) int {
				if c := strings.Compare(a.pk.Stem, b.pk.Stem); c != 0 {
					return c
				}
				return -compareVersions(a.pk.Version, b.pk.Version)
			})
		}
		matched := make([]bool, len(patterns))
		var shown []entry
		for _, e := range entries {
			ok := len(patterns) == 0
			for i, pat := range patterns {
				if pkgMatches(e.pk, pat) {
					ok, matched[i] = true, true
				}
			}
			upgradable := e.installed && prof.coreStem(e.pk.Stem) != nil && newest != "" && compareVersions(branchOf(e.pk.Version), branchOf(newest)) < 0
			if !ok || has(opts, "-u") && !upgradable {
				continue
			}
			if has(opts, "-n") && slices.ContainsFunc(shown, func(s entry) bool { return s.pk.Stem == e.pk.Stem }) {
				continue
			}
			shown = append(shown, e)
		}
		code := 0
		var missed []string
		for i, m := range matched {
			if !m {
				missed = append(missed, patterns[i])
			}
		}
		if len(missed) > 0 {
			code = 1
			if len(missed) < len(patterns) {
				code = 3
			}
		}
		if len(patterns) == 0 && len(img.Packages) == 0 && !has(opts, "-a") {
			return p.fail(1, "pkg list: no packages installed")
		}
		if has(opts, "-q") {
			return code
		}
		if len(shown) > 0 {
			s11e := w.Profile == ProfileS11E
			switch {
			case has(opts, "-v") && s11e:
				if !has(opts, "-H") {
					fmt.Fprintf(p.out, "%-64s %-10s %s\n", "FMRI", "STATE", "UFOXI")
				}
			case has(opts, "-v"):
				if !has(opts, "-H") {
					fmt.Fprintf(p.out, "%-76s %s\n", "FMRI", "IFO")
				}
			case s11e:
				if !has(opts, "-H") {
					fmt.Fprintf(p.out, "%-45s %-15s %-10s %s\n", "NAME (PUBLISHER)", "VERSION", "STATE", "UFOXI")
				}
			default:
				if !has(opts, "-H") {
					fmt.Fprintf(p.out, "%-49s %-26s %s\n", "NAME (PUBLISHER)", "VERSION", "IFO")
				}
			}
			for _, e := range shown {
				state, flags := "installed", "-----"
				ifo := "i--"
				if !e.installed {
					state, ifo = "known", "---"
				}
				if e.installed && prof.coreStem(e.pk.Stem) != nil && newest != "" && compareVersions(branchOf(e.pk.Version), branchOf(newest)) < 0 {
					flags = "u----"
				}
				switch {
				case has(opts, "-v") && s11e:
					fmt.Fprintf(p.out, "%-64s %-10s %s\n", prof.fmri(e.pk.Publisher, e.pk.Stem, e.pk.Version), state, flags)
				case has(opts, "-v"):
					fmt.Fprintf(p.out, "%-76s %s\n", prof.fmri(e.pk.Publisher, e.pk.Stem, e.pk.Version), ifo)
				case s11e:
					fmt.Fprintf(p.out, "%-45s %-15s %-10s %s\n", listName(img, e.pk), e.pk.Version, state, flags)
				default:
					fmt.Fprintf(p.out, "%-49s %-26s %s\n", listName(img, e.pk), e.pk.Version, ifo)
				}
			}
		}
		for _, m := range missed {
			fmt.Fprintf(p.errw, "pkg list: no packages matching '%s' installed\n", m)
		}
		return code
	})
}

func (p *pkgCtx) info() int {
	opts, patterns, err := getopt(p.args, "lrq", []string{"license"}, true)
	if err != nil {
		return p.pkgUsage("info", err)
	}
	return p.read(func(w *world, img *image, root string) int {
		prof := profiles[w.Profile]
		var blocks []string
		var missed []string
		candidates := slices.Clone(img.Packages)
		if has(opts, "-r") {
			for _, o := range w.entireOffers(img) {
				for _, cs := range prof.core {
					pk := pkgInst{Stem: cs.stem, Publisher: o.pub, Version: prof.coreVersion(cs.stem, o.version)}
					if !slices.Contains(candidates, pk) {
						candidates = append(candidates, pk)
					}
				}
			}
		}
		shown := map[string]bool{}
		if len(patterns) == 0 {
			patterns = []string{"*"}
		}
		for _, pat := range patterns {
			found := false
			for _, pk := range candidates {
				if !pkgMatches(pk, pat) || shown[pk.Stem] {
					continue
				}
				found, shown[pk.Stem] = true, true
				blocks = append(blocks, prof.infoBlock(pk, img.pkg(pk.Stem) != nil && img.pkg(pk.Stem).Version == pk.Version))
			}
			if !found {
				missed = append(missed, pat)
			}
		}
		if !has(opts, "-q") {
			fmt.Fprint(p.out, strings.Join(blocks, "\n"))
		}
		if len(missed) > 0 {
			fmt.Fprintf(p.errw, "pkg: info: no packages matching the following patterns you specified are\ninstalled on the system.  Try specifying -r to query remotely:\n\n")
			for _, m := range missed {
				fmt.Fprintf(p.errw, "        %s\n", m)
			}
			if len(blocks) > 0 {
				return 3
			}
			return 1
		}
		return 0
	})
}

// infoBlock is pkg info's Label: value block.
func (prof *profile) infoBlock(pk pkgInst, installed bool) string {
	rel, branch, _ := strings.Cut(pk.Version, "-")
	state := "Installed"
	if !installed {
		state = "Not installed"
	}
	size := "0.00 B"
	if pk.Stem != "entire" {
		h := fnv.New32a()
		h.Write([]byte(pk.Stem))
		size = fmt.Sprintf("%.2f MB", float64(h.Sum32()%4000)/100+0.5)
	}
	summary := summaries[pk.Stem]
	ts := timestamp(pk.Version)
	type kv struct{ k, v string }
	lines := []kv{{"Name", pk.Stem}, {"Summary", summary}}
	if pk.Stem == "entire" {
		lines = append(lines, kv{"Category", "Meta Packages/Incorporations"})
	}
	lines = append(lines, kv{"State", state}, kv{"Publisher", pk.Publisher}, kv{"Version", rel})
	width := 14
	if prof.name == ProfileS11E {
		lines = append(lines, kv{"Build Release", "5.11"}, kv{"Branch", branch},
			kv{"Packaging Date", ts.Format("Mon Jan 02 15:04:05 2006")})
	} else {
		width = 17
		lines = append(lines, kv{"Branch", branch}, kv{"Packaging Date", ts.Format("January _2, 2006 at 03:04:05 PM")})
		if installed {
			lines = append(lines, kv{"Last Install Time", ts.AddDate(0, 0, 20).Format("January _2, 2006 at 03:04:05 PM")})
		}
	}
	lines = append(lines, kv{"Size", size}, kv{"FMRI", prof.fmri(pk.Publisher, pk.Stem, pk.Version)})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%*s %s\n", width+1, l.k+":", l.v)
	}
	return b.String()
}

func (p *pkgCtx) variant() int {
	opts, names, err := getopt(p.args, "HF:a", nil, true)
	if err != nil {
		return p.pkgUsage("variant", err)
	}
	return p.read(func(w *world, img *image, root string) int {
		all := [][2]string{{"variant.arch", "i386"}, {"variant.opensolaris.zone", img.Variant}}
		var rows [][2]string
		for _, v := range all {
			if len(names) == 0 || slices.Contains(names, v[0]) {
				rows = append(rows, v)
			}
		}
		if len(rows) == 0 {
			return p.fail(1, "pkg variant: no matching variants")
		}
		if !has(opts, "-H") {
			fmt.Fprintln(p.out, "VARIANT VALUE")
		}
		for _, r := range rows {
			fmt.Fprintf(p.out, "%s %s\n", r[0], r[1])
		}
		return 0
	})
}
