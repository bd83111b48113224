package sim

import (
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"slices"
	"strings"
)

func (p *pkgCtx) publisherList() int {
	opts, names, err := getopt(p.args, "HPnaF:", nil, true)
	if err != nil {
		return p.pkgUsage("publisher", err)
	}
	format := val(opts, "-F")
	if format != "" && format != "tsv" && format != "default" {
		return p.pkgUsage("publisher", fmt.Errorf("invalid format '%s'", format))
	}
	return p.read(func(w *world, img *image, root string) int {
		if len(names) > 0 {
			return p.publisherDetail(w, img, names)
		}
		pubs := img.Publishers
		if has(opts, "-P") && len(pubs) > 0 {
			pubs = pubs[:1]
		}
		header := !has(opts, "-H")
		s11e := w.Profile == ProfileS11E
		if format == "tsv" {
			if header && s11e {
				fmt.Fprintln(p.out, "PUBLISHER\tSTICKY\tPREFERRED\tENABLED\tTYPE\tSTATUS\tURI")
			} else if header {
				fmt.Fprintln(p.out, "PUBLISHER\tSTICKY\tSYSPUB\tENABLED\tTYPE\tSTATUS\tURI\tPROXY")
			}
		} else if header {
			if s11e {
				fmt.Fprintf(p.out, "%-24s %-12s %-8s %-8s %s\n", "PUBLISHER", "", "TYPE", "STATUS", "URI")
			} else {
				fmt.Fprintf(p.out, "%-14s %-12s %-8s %-2s %s %s\n", "PUBLISHER", "", "TYPE", "STATUS", "P", "LOCATION")
			}
		}
		for i, pb := range pubs {
			if has(opts, "-n") && !pb.Enabled {
				continue
			}
			type uri struct{ typ, u string }
			var uris []uri
			origins := pb.Origins
			if !s11e {
				// The current client lists origins sorted, not in the
				// configured order (client_api.py, reference 6.4a).
				origins = slices.Sorted(slices.Values(origins))
			}
			for _, o := range origins {
				uris = append(uris, uri{"origin", o})
			}
			for _, m := range pb.Mirrors {
				uris = append(uris, uri{"mirror", m})
			}
			if len(uris) == 0 {
				uris = append(uris, uri{})
			}
			for _, u := range uris {
				status := ""
				if u.typ != "" {
					status = "online"
				}
				if format == "tsv" {
					if s11e {
						// 2010 format: ENABLED is the publisher's.
						fmt.Fprintf(p.out, "%s\t%t\t%t\t%t\t%s\t%s\t%s\n", pb.Name, pb.Sticky, i == 0, pb.Enabled, u.typ, status, u.u)
					} else {
						// OI: ENABLED and STATUS follow the origin, which is
						// enabled even when its publisher is not (6.4a).
						enabled, proxy := "true", "-"
						if u.typ == "" {
							// No origin to follow: the publisher's own flag.
							enabled, proxy = fmt.Sprint(pb.Enabled), ""
						} else if pb.Proxy != "" && u.typ == "origin" {
							proxy = pb.Proxy
						}
						fmt.Fprintf(p.out, "%s\t%t\tfalse\t%s\t%s\t%s\t%s\t%s\n", pb.Name, pb.Sticky, enabled, u.typ, status, u.u, proxy)
					}
					continue
				}
				var attrs []string
				if s11e && i == 0 {
					attrs = append(attrs, "preferred")
				}
				if !pb.Sticky {
					attrs = append(attrs, "non-sticky")
				}
				if !pb.Enabled {
					attrs = append(attrs, "disabled")
				}
				attr := ""
				if len(attrs) > 0 {
					attr = "(" + strings.Join(attrs, ", ") + ")"
				}
				if s11e {
					fmt.Fprintf(p.out, "%-24s %-12s %-8s %-8s %s\n", pb.Name, attr, u.typ, status, u.u)
				} else {
					proxied := "F"
					if pb.Proxy != "" {
						proxied = "T"
					}
					fmt.Fprintf(p.out, "%-14s %-12s %-8s %-2s %s %s\n", pb.Name, attr, u.typ, status, proxied, u.u)
				}
			}
		}
		return 0
	})
}

// publisherDetail prints the Key: value blocks of pkg publisher NAME...
func (p *pkgCtx) publisherDetail(w *world, img *image, names []string) int {
	code := 0
	for _, name := range names {
		pb := img.publisher(name)
		if pb == nil {
			fmt.Fprintf(p.errw, "pkg publisher: Unknown publisher '%s'.\n", name)
			code = 1
			continue
		}
		if w.Profile == ProfileOmniOS {
			p.omniosPublisherDetail(pb)
			continue
		}
		line := func(k, v string) { fmt.Fprintf(p.out, "%22s %s\n", k+":", v) }
		fmt.Fprintln(p.out)
		line("Publisher", pb.Name)
		line("Alias", "")
		for _, o := range pb.Origins {
			line("Origin URI", o)
			if pb.Proxy != "" {
				line("Proxy", pb.Proxy)
			}
		}
		for _, m := range pb.Mirrors {
			line("Mirror URI", m)
		}
		line("SSL Key", orNone(pb.SSLKey))
		line("SSL Cert", orNone(pb.SSLCert))
		line("Client UUID", clientUUID(pb.Name))
		line("Catalog Updated", "November 23, 2020 07:07:00 PM")
		if pb.Enabled {
			line("Enabled", "Yes")
		} else {
			line("Enabled", "No")
		}
	}
	return code
}

// omniosPublisherDetail is one block of pkg publisher NAME as the OmniOS
// client prints it (omniosorg/pkg5 src/client.py publisher_list): a status
// and the SSL lines per origin, "Publisher enabled:", and the properties,
// sorted, as "k = v" below a "Properties:" label.
func (p *pkgCtx) omniosPublisherDetail(pb *publisher) {
	msg := func(label string, v ...string) { fmt.Fprintln(p.out, strings.Join(append([]string{label}, v...), " ")) }
	fmt.Fprintln(p.out)
	msg("            Publisher:", pb.Name)
	msg("                Alias:", "None")
	for _, o := range pb.Origins {
		msg("           Origin URI:", o)
		msg("        Origin Status:", "Online")
		if pb.Proxy != "" {
			msg("                Proxy:", pb.Proxy)
		}
		msg("              SSL Key:", orNone(pb.SSLKey))
		msg("             SSL Cert:", orNone(pb.SSLCert))
	}
	for _, m := range pb.Mirrors {
		msg("           Mirror URI:", m)
		msg("           Mirror Status:", "Online")
		msg("              SSL Key:", orNone(pb.SSLKey))
		msg("             SSL Cert:", orNone(pb.SSLCert))
	}
	msg("          Client UUID:", clientUUID(pb.Name))
	msg("      Catalog Updated:", "Mon May  5 12:00:00 2025")
	msg("    Publisher enabled:", map[bool]string{true: "Yes", false: "No"}[pb.Enabled])
	shown := false
	for _, k := range slices.Sorted(maps.Keys(pb.Props)) {
		if pb.Props[k] == "" {
			continue
		}
		if !shown {
			msg("           Properties:")
			shown = true
		}
		msg("                      ", k+" =", pb.Props[k])
	}
}

func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

func clientUUID(name string) string {
	h := fnv.New64a()
	h.Write([]byte(name))
	x := h.Sum64()
	return fmt.Sprintf("%08x-%04x-11df-%04x-%012x", uint32(x), uint16(x>>32), uint16(x>>48)|0x8000, x&0xffffffffffff)
}

func (p *pkgCtx) setPublisher() int {
	longs := []string{"enable", "disable", "no-refresh", "reset-uuid", "sticky", "non-sticky", "proxy=",
		"search-before=", "search-after=", "add-origin=", "remove-origin=", "add-mirror=", "remove-mirror="}
	if !p.profileIs(ProfileS11E) {
		// S11E has -P only (reference 6.4a), and no publisher properties.
		longs = append(longs, "search-first", "set-property=", "add-property-value=", "remove-property-value=", "unset-property=")
	}
	opts, names, err := getopt(p.args, "Pedk:c:O:g:G:m:M:p:", longs, true)
	if err != nil {
		return p.pkgUsage("set-publisher", err)
	}
	if has(opts, "-p") {
		return p.fail(1, "pkg set-publisher: zonesim does not simulate -p (auto-configuration from a repository)")
	}
	if len(names) != 1 {
		return p.pkgUsage("set-publisher", fmt.Errorf("requires exactly one publisher name"))
	}
	enable, disable := has(opts, "-e", "--enable"), has(opts, "-d", "--disable")
	if enable && disable {
		return p.pkgUsage("set-publisher", fmt.Errorf("the -e and -d options may not be combined"))
	}
	if has(opts, "--sticky") && has(opts, "--non-sticky") {
		return p.pkgUsage("set-publisher", fmt.Errorf("the --sticky and --non-sticky options may not be combined"))
	}
	name := names[0]
	first := has(opts, "-P", "--search-first")
	return p.modify(pkgChange{seconds: durPublisher, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		fail := func(format string, a ...any) int {
			fmt.Fprintf(errw, "pkg set-publisher: "+format+"\n", a...)
			return 1
		}
		old := img.publisher(name)
		isNew := old == nil
		var pb *publisher
		if isNew {
			pb = &publisher{Name: name, Enabled: true, Sticky: true}
		} else {
			pb = old.clone()
		}
		if o := val(opts, "-O"); o != "" {
			pb.Origins = []string{o}
		}
		for _, o := range vals(opts, "-g", "--add-origin") {
			if !slices.ContainsFunc(pb.Origins, func(x string) bool { return sameURL(x, o) }) {
				pb.Origins = append(pb.Origins, o)
			}
		}
		for _, o := range vals(opts, "-G", "--remove-origin") {
			if o == "*" {
				pb.Origins = nil
				continue
			}
			i := slices.IndexFunc(pb.Origins, func(x string) bool { return sameURL(x, o) })
			if i < 0 {
				return fail("Unknown repository origin '%s'", o)
			}
			pb.Origins = slices.Delete(pb.Origins, i, i+1)
		}
		for _, m := range vals(opts, "-m", "--add-mirror") {
			if !slices.ContainsFunc(pb.Mirrors, func(x string) bool { return sameURL(x, m) }) {
				pb.Mirrors = append(pb.Mirrors, m)
			}
		}
		for _, m := range vals(opts, "-M", "--remove-mirror") {
			if m == "*" {
				pb.Mirrors = nil
				continue
			}
			i := slices.IndexFunc(pb.Mirrors, func(x string) bool { return sameURL(x, m) })
			if i < 0 {
				return fail("Unknown repository mirror '%s'", m)
			}
			pb.Mirrors = slices.Delete(pb.Mirrors, i, i+1)
		}
		if isNew && len(pb.Origins) == 0 {
			return fail("publisher does not exist. Use -g to define origin URI for new publisher.")
		}
		switch {
		case enable:
			pb.Enabled = true
		case disable:
			pb.Enabled = false
		}
		switch {
		case has(opts, "--sticky"):
			pb.Sticky = true
		case has(opts, "--non-sticky"):
			pb.Sticky = false
		}
		if has(opts, "-k") {
			pb.SSLKey = val(opts, "-k")
		}
		if has(opts, "-c") {
			pb.SSLCert = val(opts, "-c")
		}
		if has(opts, "--proxy") {
			pb.Proxy = val(opts, "--proxy")
		}
		if msg := setPublisherProps(pb, opts); msg != "" {
			return fail("%s", msg)
		}
		// Where it goes in the search order.
		list := slices.Clone(img.Publishers)
		idx := slices.IndexFunc(list, func(x *publisher) bool { return x.Name == name })
		if idx >= 0 {
			list = slices.Delete(list, idx, idx+1)
		}
		switch {
		case first:
			idx = 0
		case val(opts, "--search-before") != "":
			rel := val(opts, "--search-before")
			if idx = slices.IndexFunc(list, func(x *publisher) bool { return x.Name == rel }); idx < 0 {
				return fail("Unknown publisher '%s'.", rel)
			}
		case val(opts, "--search-after") != "":
			rel := val(opts, "--search-after")
			if idx = slices.IndexFunc(list, func(x *publisher) bool { return x.Name == rel }); idx < 0 {
				return fail("Unknown publisher '%s'.", rel)
			}
			idx++
		case idx < 0:
			idx = len(list)
		}
		list = slices.Insert(list, idx, pb)
		if w.Profile == ProfileS11E && idx == 0 && !pb.Enabled {
			// The preferred publisher is never disabled on S11E.
			if first {
				return fail("Publisher '%s' is disabled and cannot be set as the preferred publisher.", name)
			}
			return fail("Publisher '%s' is preferred and cannot be disabled.", name)
		}
		// S11E contacts a new publisher's origins even when it is disabled
		// (reference 6.4a); any client refreshes an enabled one.
		if !has(opts, "--no-refresh") && (pb.Enabled || isNew && w.Profile == ProfileS11E) {
			if o := w.unreachable(pb); o != "" {
				fmt.Fprintf(errw, "pkg set-publisher: Could not refresh the catalog for %s\n", name)
				fmt.Fprint(errw, transportFor(o))
				return 1
			}
		}
		img.Publishers = list
		return 0
	}})
}

// setPublisherProps applies --set-property, --add-property-value,
// --remove-property-value and --unset-property in the order given. A
// multi-valued property is kept as its values joined by ", ", as pkg
// publisher prints a list.
func setPublisherProps(pb *publisher, opts []opt) string {
	for _, o := range opts {
		name, value, hasValue := strings.Cut(o.val, "=")
		switch o.name {
		case "--set-property", "--add-property-value", "--remove-property-value":
			if !hasValue || name == "" {
				return "property arguments must be of the form '<name>=<value>'."
			}
		case "--unset-property":
		default:
			continue
		}
		if pb.Props == nil {
			pb.Props = map[string]string{}
		}
		var list []string
		if pb.Props[name] != "" {
			list = strings.Split(pb.Props[name], ", ")
		}
		switch o.name {
		case "--set-property":
			pb.Props[name] = value
		case "--add-property-value":
			if !slices.Contains(list, value) {
				list = append(list, value)
				slices.Sort(list)
			}
			pb.Props[name] = strings.Join(list, ", ")
		case "--remove-property-value":
			i := slices.Index(list, value)
			if i < 0 {
				return fmt.Sprintf("Publisher '%s' has no value '%s' for property '%s'.", pb.Name, value, name)
			}
			pb.Props[name] = strings.Join(slices.Delete(list, i, i+1), ", ")
		case "--unset-property":
			if _, ok := pb.Props[o.val]; !ok {
				return fmt.Sprintf("Publisher '%s' has no property '%s'.", pb.Name, o.val)
			}
			delete(pb.Props, o.val)
		}
	}
	return ""
}

func (p *pkgCtx) unsetPublisher() int {
	_, names, err := getopt(p.args, "", nil, true)
	if err != nil {
		return p.pkgUsage("unset-publisher", err)
	}
	if len(names) == 0 {
		return p.pkgUsage("unset-publisher", fmt.Errorf("at least one publisher must be specified"))
	}
	return p.modify(pkgChange{seconds: durPublisher, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		failed := 0
		report := func(name, msg string) {
			failed++
			if len(names) > 1 {
				fmt.Fprintf(errw, "Removal failed for '%s': %s\n", name, msg)
			} else {
				fmt.Fprintf(errw, "pkg unset-publisher: %s\n", msg)
			}
		}
		for _, name := range names {
			switch {
			case img.publisher(name) == nil:
				report(name, fmt.Sprintf("Unknown publisher '%s'.", name))
			case w.Profile == ProfileS11E && img.first().Name == name:
				report(name, "The preferred publisher cannot be removed.")
			default:
				img.removePublisher(name)
			}
		}
		switch {
		case failed == 0:
			return 0
		case failed == len(names):
			return 1
		}
		// Some went: the change is real, exit 3 says it was partial.
		if real {
			return 3
		}
		return 0
	}})
}

func (p *pkgCtx) refresh() int {
	_, names, err := getopt(p.args, "", []string{"full"}, true)
	if err != nil {
		return p.pkgUsage("refresh", err)
	}
	return p.read(func(w *world, img *image, root string) int {
		var bad []*publisher
		n := 0
		for _, pb := range img.Publishers {
			if !pb.Enabled || len(names) > 0 && !slices.Contains(names, pb.Name) {
				continue
			}
			n++
			if w.unreachable(pb) != "" {
				bad = append(bad, pb)
			}
		}
		if len(bad) == 0 {
			return 0
		}
		fmt.Fprintf(p.errw, "pkg: %d/%d catalogs successfully updated:\n", n-len(bad), n)
		for _, pb := range bad {
			fmt.Fprintf(p.errw, "\n%d/%d repositories for publisher '%s' could not be reached for catalog refresh.\n", len(pb.Origins), len(pb.Origins), pb.Name)
			fmt.Fprint(p.errw, transportFor(w.unreachable(pb)))
		}
		if len(bad) < n {
			return 3
		}
		return 1
	})
}

func (p *pkgCtx) copyPublishersFrom() int {
	_, dirs, err := getopt(p.args, "", nil, true)
	if err != nil || len(dirs) != 1 {
		return p.pkgUsage("copy-publishers-from", err)
	}
	from := cleanRoot(dirs[0])
	return p.modify(pkgChange{seconds: durPublisher, run: func(w *world, img *image, root string, out, errw io.Writer, real bool) int {
		src := w.imageAt(from)
		if src == nil {
			fmt.Fprintf(errw, "pkg: No image rooted at '%s'\n", from)
			return 1
		}
		copyPublishers(src, img)
		return 0
	}})
}
