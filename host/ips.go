package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The IPS client, pkg(1) (reference 6). Every call names its image with
// -R (ROOT "/" for the global zone): old clients otherwise search upward
// from the working directory, and the brand's PKG_IMAGE is removed from
// the environment by the Runner.

// pkgArgv is `pkg -R ROOT SUB ARGS...`. An empty root is refused rather
// than taken as "/": a zone root that came out empty must not turn into
// an operation on the global zone.
func pkgArgv(root, sub string, args ...string) ([]string, error) {
	if root == "" {
		return nil, fmt.Errorf("pkg %s: no image root given", sub)
	}
	return append([]string{"pkg", "-R", root, sub}, args...), nil
}

// pkgKind maps pkg's exit codes and literal messages (reference 6.1, 6.2)
// to kinds: the image lock (exit 7, or its text on clients older than exit
// 7) is transient; no image at the root; a subcommand the client does not
// know (exit 2); a package pattern or publisher that matches nothing.
func pkgKind(code int, text string) error {
	switch {
	case code == 7, strings.Contains(text, "The image cannot be modified as it is currently in use by another package client"):
		return ErrTransient
	case strings.Contains(text, "Image is missing key file"):
		return ErrKeyFile
	case code == 9, strings.Contains(text, "No solution was found to satisfy constraints"),
		strings.Contains(text, "No matching version of"):
		return ErrNoSolution
	case strings.Contains(text, "No image rooted at"), strings.Contains(text, "Could not find image"):
		return ErrNoImage
	case code == 2:
		// A usage error changed nothing. Which text a client prints for a
		// subcommand it lacks is not fixed; the callers that can fall back
		// to another subcommand do so on any exit 2.
		return ErrUnknownSubcommand
	case strings.Contains(text, "no packages matching"), strings.Contains(text, "no packages installed"),
		strings.Contains(text, "matches no installed packages"), strings.Contains(text, "Unknown publisher"):
		return ErrNotFound
	}
	return nil
}

// pkg runs pkg on the image at root.
func (t Tools) pkg(ctx context.Context, change bool, root, sub string, args ...string) (Result, error) {
	argv, err := pkgArgv(root, sub, args...)
	if err != nil {
		return Result{}, err
	}
	return t.run(ctx, change, pkgKind, argv...)
}

// pkgNothing turns pkg's exit 4 (nothing to do) into (true, nil).
func pkgNothing(err error) (bool, error) {
	if Code(err) == 4 {
		return true, nil
	}
	return false, err
}

// Publisher listings.

// ParsePublisherTSV parses `pkg publisher -H -F tsv`, one row per origin
// and per mirror (one row with empty TYPE, STATUS and URI for a publisher
// without any). Two forms, told apart by the number of columns: 7 is the
// OSOL-dev/S11E form (PUBLISHER STICKY PREFERRED ENABLED TYPE STATUS URI),
// 8 or more the OI/S11 form (PUBLISHER STICKY SYSPUB ENABLED TYPE STATUS
// URI PROXY, extra columns ignored). Booleans other than "true" are false;
// `-` is "". A header line is skipped; a line with fewer than 7 columns is
// an error (nil rows). Lines are not trimmed: trailing TABs are empty
// columns.
func ParsePublisherTSV(out string) ([]PublisherRow, error) {
	var rows []PublisherRow
	for n, line := range records(out) {
		f := strings.Split(line, "\t")
		if len(f) > 1 && f[0] == "PUBLISHER" && f[1] == "STICKY" {
			continue
		}
		if len(f) < 7 {
			return nil, fmt.Errorf("pkg publisher -F tsv: line %d: %d columns, want 7 or 8: %q", n, len(f), line)
		}
		r := PublisherRow{
			Columns: len(f),
			Name:    f[0],
			Sticky:  isTrue(f[1]),
			Enabled: isTrue(f[3]),
			Type:    dash(f[4]),
			Status:  dash(f[5]),
			URI:     dash(f[6]),
		}
		if len(f) == 7 {
			r.Preferred = isTrue(f[2])
		} else {
			r.SysPub = isTrue(f[2])
			r.Proxy = dash(f[7])
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func isTrue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "true") }

// ParsePublisherInfo parses `pkg publisher NAME...`: a block of
// right-aligned `Key: value` lines per publisher, each starting at its
// `Publisher:` line. Origin URI and Mirror URI lines are kept in order;
// SSL Key and SSL Cert (`None` is "") take the first value given (newer
// clients repeat them under each origin); Enabled is Yes or No, under
// either label, `Enabled:` (OI, older clients) or `Publisher enabled:`
// (OmniOS, newer Oracle; reference 6.4a): anything but Yes/true is false,
// and EnabledKnown says such a line was there; each distinct Proxy that is
// not `None` is kept in order. The lines `name = value` after a
// `Properties:` line are the publisher's properties (OmniOS prints a list
// value joined with ", "). Lines before the first block and unknown keys
// are ignored.
func ParsePublisherInfo(out string) ([]PublisherInfo, error) {
	var infos []PublisherInfo
	inProps := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if inProps && len(infos) > 0 {
			if k, v, ok := strings.Cut(line, " = "); ok && k != "" && !strings.ContainsAny(k, " :") {
				p := &infos[len(infos)-1]
				if p.Properties == nil {
					p.Properties = map[string]string{}
				}
				p.Properties[k] = strings.TrimSpace(v)
				continue
			}
			inProps = false
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if key == "Publisher" {
			infos = append(infos, PublisherInfo{Name: val})
			continue
		}
		if len(infos) == 0 {
			continue
		}
		p := &infos[len(infos)-1]
		switch key {
		case "Origin URI":
			if val != "" {
				p.Origins = append(p.Origins, val)
			}
		case "Mirror URI":
			if val != "" {
				p.Mirrors = append(p.Mirrors, val)
			}
		case "SSL Key":
			if p.SSLKey == "" {
				p.SSLKey = none(val)
			}
		case "SSL Cert":
			if p.SSLCert == "" {
				p.SSLCert = none(val)
			}
		case "Enabled", "Publisher enabled":
			p.Enabled = strings.EqualFold(val, "yes") || strings.EqualFold(val, "true")
			p.EnabledKnown = true
		case "Properties":
			inProps = true
		case "Proxy":
			if v := none(val); v != "" && !slices.Contains(p.Proxies, v) {
				p.Proxies = append(p.Proxies, v)
			}
		}
	}
	return infos, nil
}

// none is "" for pkg's "None" (and "-").
func none(s string) string {
	if s == "None" || s == "-" {
		return ""
	}
	return s
}

// Publishers lists the image's publisher rows in search order
// (`pkg -R ROOT publisher -H -F tsv`). No image at root wraps ErrNoImage.
func (t Tools) Publishers(ctx context.Context, root string) ([]PublisherRow, error) {
	res, err := t.pkg(ctx, false, root, "publisher", "-H", "-F", "tsv")
	if err != nil {
		return nil, err
	}
	return ParsePublisherTSV(string(res.Stdout))
}

// PublisherInfo is what `pkg -R ROOT publisher NAME` tells about one
// publisher. An unknown publisher wraps ErrNotFound.
func (t Tools) PublisherInfo(ctx context.Context, root, name string) (PublisherInfo, error) {
	res, err := t.pkg(ctx, false, root, "publisher", name)
	if err != nil {
		return PublisherInfo{}, err
	}
	infos, err := ParsePublisherInfo(string(res.Stdout))
	if err != nil {
		return PublisherInfo{}, err
	}
	for _, in := range infos {
		if in.Name == name {
			return in, nil
		}
	}
	return PublisherInfo{}, fmt.Errorf("pkg -R %s publisher %s printed no block for it: %w", root, name, ErrNotFound)
}

// PublisherList is what one `pkg publisher -H -F tsv` tells of the image's
// publishers, folded per name (FoldPublisherRows): names in search order,
// origins, mirrors, sticky. Enabled, SSL files and proxies are not
// reliable here: ReadPublishers asks for them.
func (t Tools) PublisherList(ctx context.Context, root string) ([]Publisher, error) {
	rows, err := t.Publishers(ctx, root)
	if err != nil {
		return nil, err
	}
	return FoldPublisherRows(rows), nil
}

// ReadPublishers is the image's publishers as a whole, in search order
// (the first is the first-ranked): the tsv rows folded per name (origins
// and mirrors in order, sticky), then each publisher's `pkg publisher NAME`
// for what the tsv does not tell reliably: Enabled (the OI tsv ENABLED
// column follows the origin, reference 6.4a), the SSL key and cert, the
// proxies. The tsv's ENABLED and PROXY columns are used only when the
// detail lacks them. An image without publishers gives an empty list.
func (t Tools) ReadPublishers(ctx context.Context, root string) ([]Publisher, error) {
	pubs, err := t.PublisherList(ctx, root)
	if err != nil {
		return nil, err
	}
	for i := range pubs {
		info, err := t.PublisherInfo(ctx, root, pubs[i].Name)
		if err != nil {
			return nil, fmt.Errorf("publisher %s: %w", pubs[i].Name, err)
		}
		MergePublisherInfo(&pubs[i], info)
	}
	return pubs, nil
}

// FoldPublisherRows folds tsv rows into publishers in the order of their
// first row: origins and mirrors in row order without repeats, Sticky from
// the first row, Enabled true if any row says so, proxies from the PROXY
// column. Rows of other types than origin and mirror add no URI. The
// publisher the 7-column (S11E, OpenSolaris) form marks PREFERRED comes
// first: it is the first-ranked one, wherever its rows are listed.
func FoldPublisherRows(rows []PublisherRow) []Publisher {
	var pubs []Publisher
	index := map[string]int{}
	preferred := ""
	for _, r := range rows {
		if r.Preferred && preferred == "" {
			preferred = r.Name
		}
		i, ok := index[r.Name]
		if !ok {
			i = len(pubs)
			index[r.Name] = i
			pubs = append(pubs, Publisher{Name: r.Name, Sticky: r.Sticky})
		}
		p := &pubs[i]
		p.Enabled = p.Enabled || r.Enabled
		switch r.Type {
		case "origin":
			if r.URI != "" && !slices.Contains(p.Origins, r.URI) {
				p.Origins = append(p.Origins, r.URI)
			}
		case "mirror":
			if r.URI != "" && !slices.Contains(p.Mirrors, r.URI) {
				p.Mirrors = append(p.Mirrors, r.URI)
			}
		}
		if r.Proxy != "" && !slices.Contains(p.Proxies, r.Proxy) {
			p.Proxies = append(p.Proxies, r.Proxy)
		}
	}
	if i, ok := index[preferred]; ok && i > 0 {
		p := pubs[i]
		copy(pubs[1:i+1], pubs[:i])
		pubs[0] = p
	}
	return pubs
}

// MergePublisherInfo puts what `pkg publisher NAME` said over p: Enabled
// (when the line was there; EnabledUnknown otherwise), the origins and
// mirrors in their configured order (the tsv sorts them, reference 6.4a),
// SSL key and cert, proxies (when any) and properties.
func MergePublisherInfo(p *Publisher, info PublisherInfo) {
	p.EnabledUnknown = !info.EnabledKnown
	if info.EnabledKnown {
		p.Enabled = info.Enabled
	}
	if len(info.Origins) > 0 && sameSet(info.Origins, p.Origins) {
		p.Origins = slices.Clone(info.Origins)
	}
	if len(info.Mirrors) > 0 && sameSet(info.Mirrors, p.Mirrors) {
		p.Mirrors = slices.Clone(info.Mirrors)
	}
	p.Properties = nil
	if len(info.Properties) > 0 {
		p.Properties = maps.Clone(info.Properties)
	}
	p.SSLKey, p.SSLCert = info.SSLKey, info.SSLCert
	if len(info.Proxies) > 0 {
		p.Proxies = slices.Clone(info.Proxies)
	}
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// SetPublisherArgs is one `pkg set-publisher`.
type SetPublisherArgs struct {
	Name       string
	Preferred  bool     // -P: first in the search order (the only way on S11E)
	SetOrigin  string   // -O: replace the origins with this one
	AddOrigins []string // -g, each
	AddMirrors []string // -m, each
	Enable     *bool    // --enable (true) or --disable (false); nil leaves it
	Sticky     *bool    // --sticky or --non-sticky; nil leaves it
	SSLKey     string   // -k
	SSLCert    string   // -c
	Proxy      string   // --proxy (OI/S11 clients only: set it only when recorded)
	NoRefresh  bool     // --no-refresh: do not contact the origins (S11E does even for --disable, reference 6.4a)
	// SearchAfter: --search-after=NAME, place the publisher right after
	// NAME in the search order.
	SearchAfter string
	// SetProperties: --set-property NAME=VALUE each, in name order (the
	// publisher properties an unset and set-publisher would lose).
	SetProperties map[string]string
}

// Argv is the full argv, in the order
// pkg -R ROOT set-publisher [--no-refresh] [-P] [-O o] [-g o]... [-m m]...
// [--enable|--disable] [--sticky|--non-sticky] [-k key] [-c cert]
// [--proxy p] [--set-property k=v]... [--search-after=NAME] NAME; empty
// strings and nil pointers
// add nothing.
func (a SetPublisherArgs) Argv(root string) []string {
	argv := []string{"pkg", "-R", root, "set-publisher"}
	if a.NoRefresh {
		argv = append(argv, "--no-refresh")
	}
	if a.Preferred {
		argv = append(argv, "-P")
	}
	if a.SetOrigin != "" {
		argv = append(argv, "-O", a.SetOrigin)
	}
	for _, o := range a.AddOrigins {
		argv = append(argv, "-g", o)
	}
	for _, m := range a.AddMirrors {
		argv = append(argv, "-m", m)
	}
	if a.Enable != nil {
		if *a.Enable {
			argv = append(argv, "--enable")
		} else {
			argv = append(argv, "--disable")
		}
	}
	if a.Sticky != nil {
		if *a.Sticky {
			argv = append(argv, "--sticky")
		} else {
			argv = append(argv, "--non-sticky")
		}
	}
	if a.SSLKey != "" {
		argv = append(argv, "-k", a.SSLKey)
	}
	if a.SSLCert != "" {
		argv = append(argv, "-c", a.SSLCert)
	}
	if a.Proxy != "" {
		argv = append(argv, "--proxy", a.Proxy)
	}
	for _, k := range slices.Sorted(maps.Keys(a.SetProperties)) {
		argv = append(argv, "--set-property", k+"="+a.SetProperties[k])
	}
	if a.SearchAfter != "" {
		argv = append(argv, "--search-after="+a.SearchAfter)
	}
	return append(argv, a.Name)
}

// SetPublisher adds or changes a publisher of the image at root. A name
// that is empty or starts with '-' (it would be read as an option) is
// refused without running anything.
func (t Tools) SetPublisher(ctx context.Context, root string, a SetPublisherArgs) error {
	if a.Name == "" || strings.HasPrefix(a.Name, "-") {
		return fmt.Errorf("pkg set-publisher: bad publisher name %q", a.Name)
	}
	if root == "" {
		return errors.New("pkg set-publisher: no image root given")
	}
	_, err := t.run(ctx, true, pkgKind, a.Argv(root)...)
	return err
}

// UnsetPublisher removes publishers from the image at root
// (`pkg -R ROOT unset-publisher NAME...`). When only some could be removed
// pkg exits 3, which callers see as Code(err) == 3. No names: nothing runs.
func (t Tools) UnsetPublisher(ctx context.Context, root string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	_, err := t.pkg(ctx, true, root, "unset-publisher", names...)
	return err
}

// Package changes. Each returns nothing == true, with a nil error, when
// pkg exits 4 (nothing to do), and without running pkg when given no
// package.

// Install installs packages in the image at root
// (`pkg -R ROOT install -v --accept PKG...`).
func (t Tools) Install(ctx context.Context, root string, pkgs ...string) (nothing bool, err error) {
	if len(pkgs) == 0 {
		return true, nil
	}
	_, err = t.pkg(ctx, true, root, "install", append([]string{"-v", "--accept"}, pkgs...)...)
	return pkgNothing(err)
}

// Uninstall removes exactly the packages named
// (`pkg -R ROOT uninstall -v PKG...`). Never -r: on OpenSolaris that
// removes everything depending on them too; a package others depend on
// makes pkg fail instead.
func (t Tools) Uninstall(ctx context.Context, root string, pkgs ...string) (nothing bool, err error) {
	if len(pkgs) == 0 {
		return true, nil
	}
	_, err = t.pkg(ctx, true, root, "uninstall", append([]string{"-v"}, pkgs...)...)
	return pkgNothing(err)
}

// ImageUpdate updates every package of the image at root
// (`pkg -R ROOT image-update -v`), or with `update -v` on a client that
// refuses image-update as a usage error (exit 2: the Oracle gate dropped
// the alias in 2016).
func (t Tools) ImageUpdate(ctx context.Context, root string) (nothing bool, err error) {
	_, err = t.pkg(ctx, true, root, "image-update", "-v")
	if errors.Is(err, ErrUnknownSubcommand) {
		_, err = t.pkg(ctx, true, root, "update", "-v")
	}
	return pkgNothing(err)
}

// ImageCreate re-creates a zone's package image over root
// (`pkg image-create -f -z -p PUB=ORIGIN ROOT`, SPEC 3 rung 7): the files
// stay, the package metadata starts empty with that one publisher. An
// empty root, "/" or a relative one is refused without running anything.
func (t Tools) ImageCreate(ctx context.Context, root, pub, origin string) error {
	if root == "" || root == "/" || !strings.HasPrefix(root, "/") {
		return fmt.Errorf("pkg image-create: refusing to create an image at %q", root)
	}
	if pub == "" || origin == "" {
		return fmt.Errorf("pkg image-create: publisher %q and origin %q are both needed", pub, origin)
	}
	_, err := t.run(ctx, true, pkgKind, "pkg", "image-create", "-f", "-z", "-p", pub+"="+origin, root)
	return err
}

// Package listings.

// ParsePkgList parses `pkg list -H`: NAME [(PUBLISHER)] VERSION FLAGS...,
// blank separated (the columns are space padded). Both forms are read:
// OI/S11 `NAME VERSION IFO` and OSOL/S11E `NAME VERSION STATE UFOXI`
// (Flags keeps what follows the version, joined by one space). The
// " (publisher)" suffix goes into Publisher. A `-v` line (a full
// pkg://PUB/NAME@VERSION FMRI, then the flags) is read too. A header line is
// skipped; a line without a version and a flag column is an error (nil
// packages).
func ParsePkgList(out string) ([]Package, error) {
	var pkgs []Package
	for i, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "NAME" || f[0] == "FMRI" {
			continue // a header: -H was not given
		}
		p := Package{Stem: f[0]}
		rest := f[1:]
		if strings.HasPrefix(p.Stem, "pkg:/") {
			p.Publisher, p.Stem, p.Version = splitFMRI(p.Stem)
			if len(rest) < 1 {
				return nil, fmt.Errorf("pkg list: line %d: no flags: %q", i+1, line)
			}
			p.Flags = strings.Join(rest, " ")
			pkgs = append(pkgs, p)
			continue
		}
		if len(rest) > 0 && len(rest[0]) > 2 && strings.HasPrefix(rest[0], "(") && strings.HasSuffix(rest[0], ")") {
			p.Publisher = rest[0][1 : len(rest[0])-1]
			rest = rest[1:]
		}
		if len(rest) < 2 {
			return nil, fmt.Errorf("pkg list: line %d: want NAME VERSION FLAGS: %q", i+1, line)
		}
		p.Version = rest[0]
		p.Flags = strings.Join(rest[1:], " ")
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// splitFMRI takes pkg://PUB/NAME@VERSION (or pkg:/NAME@VERSION) apart;
// the version is as printed, with build and timestamp.
func splitFMRI(fmri string) (pub, name, version string) {
	s := fmri
	switch {
	case strings.HasPrefix(s, "pkg://"):
		s = s[len("pkg://"):]
		pub, s, _ = strings.Cut(s, "/")
	case strings.HasPrefix(s, "pkg:/"):
		s = s[len("pkg:/"):]
	}
	name, version, _ = strings.Cut(s, "@")
	return pub, name, version
}

// ParseInfoFMRI is the package name and version on the `FMRI:` line of
// `pkg info` (the first, when several packages are shown), the publisher
// stripped: pkg://solaris/entire@0.5.11,5.11-0.151.0.1:20101105T054056Z
// gives "entire" and "0.5.11,5.11-0.151.0.1:20101105T054056Z" (version as
// printed; CompareVersions ignores the build and timestamp). No FMRI line
// is an error wrapping ErrNotFound.
func ParseInfoFMRI(out string) (name, version string, err error) {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "FMRI:"); ok {
			_, name, version = splitFMRI(strings.TrimSpace(rest))
			if name != "" {
				return name, version, nil
			}
		}
	}
	return "", "", fmt.Errorf("pkg info: no FMRI line: %w", ErrNotFound)
}

// List lists the packages installed in the image at root
// (`pkg -R ROOT list -H`). An image with none ("no packages installed")
// gives an error wrapping ErrNotFound; no image, ErrNoImage.
func (t Tools) List(ctx context.Context, root string) ([]Package, error) {
	res, err := t.pkg(ctx, false, root, "list", "-H")
	if err != nil {
		return nil, err
	}
	return ParsePkgList(string(res.Stdout))
}

// EntireVersion is the version of `entire` installed in the image at root,
// as `pkg -R ROOT list -H entire` prints it (e.g. 0.5.11-0.134). Not
// installed: an error wrapping ErrNotFound.
func (t Tools) EntireVersion(ctx context.Context, root string) (string, error) {
	res, err := t.pkg(ctx, false, root, "list", "-H", "entire")
	if Code(err) == 1 && len(bytes.TrimSpace(res.Stdout)) == 0 && !errors.Is(err, ErrNoImage) && !errors.Is(err, ErrTransient) {
		// A pattern that matches nothing exits 1 (reference 6.3), in
		// words that differ by release.
		return "", fmt.Errorf("pkg -R %s list -H entire: entire is not installed: %w", root, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	pkgs, err := ParsePkgList(string(res.Stdout))
	if err != nil {
		return "", err
	}
	for _, p := range pkgs {
		if p.Stem == "entire" {
			return p.Version, nil
		}
	}
	return "", fmt.Errorf("pkg -R %s list -H entire: entire is not installed: %w", root, ErrNotFound)
}
