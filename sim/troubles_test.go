package sim

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"zoneup/domain"
)

// rungs in the default ladder order of SPEC 3.
var rungs = domain.DefaultLadder

// ladder climbs one zone's ladder with the commands SPEC 3 gives each rung.
type ladder struct {
	w        *testWorld
	zone     string
	gzPubs   []string // the global zone's publishers before anything changed
	recreate string   // PUB=ORIGIN of the global zone's first publisher
}

func newLadder(w *testWorld, zone string) *ladder {
	l := &ladder{w: w, zone: zone, gzPubs: tsvNames(w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv"))}
	first := w.state().GZ.Publishers[0]
	l.recreate = first.Name + "=" + first.Origins[0]
	return l
}

// tsvNames are the publisher names of `pkg publisher -H -F tsv`, in order.
func tsvNames(out string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if n, _, _ := strings.Cut(l, "\t"); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func (l *ladder) root() string { return l.w.root(l.zone) }

func (l *ladder) rung(name string) {
	w, root := l.w, l.root()
	switch name {
	case domain.RungGlobalPublishers:
		if names := tsvNames(w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")); len(names) > 1 {
			w.ok("pkg", append([]string{"-R", "/", "unset-publisher"}, names[1:]...)...)
		}
	case domain.RungZonePublishers:
		names := tsvNames(w.ok("pkg", "-R", root, "publisher", "-H", "-F", "tsv"))
		var odd []string
		for _, n := range names {
			if !slices.Contains(l.gzPubs, n) {
				odd = append(odd, n)
			}
		}
		if len(odd) == 0 {
			return
		}
		if slices.Contains(odd, names[0]) {
			w.ok("pkg", "-R", root, "set-publisher", "-P", l.gzPubs[0])
		}
		w.ok("pkg", append([]string{"-R", root, "unset-publisher"}, odd...)...)
	case domain.RungStepRelease:
		f := strings.Fields(w.ok("pkg", "-R", root, "list", "-H", "entire"))
		if len(f) > 2 && strings.HasPrefix(f[1], "(") {
			f = slices.Delete(f, 1, 2) // the " (publisher)" suffix
		}
		if len(f) < 2 || compareVersions(f[1], "0.5.11-0.134") >= 0 || w.state().Profile != ProfileS11E {
			return // no stepping stone between the zone and the global zone
		}
		w.ok("pkg", "-R", root, "set-publisher", "-P", "-O", "http://pkg.opensolaris.org/release/", "opensolaris.org")
		w.ok("pkg", "-R", root, "install", "--accept", "entire@0.5.11-0.134")
	case domain.RungImageUpdate:
		// It may fail (an unreachable zone publisher); the ladder goes on.
		if r := w.run("pkg", "-R", root, "image-update", "-v"); r.code != 0 && r.code != 4 && r.code != 1 {
			l.w.t.Fatalf("image-update: %s", r)
		}
	case domain.RungRemoveConflicts:
		var stems []string
		for _, line := range strings.Split(w.ok("pkg", "-R", root, "list", "-H"), "\n") {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			for _, g := range []string{"*apch*", "*apache*", "*php*", "*postgr*", "*sunstudio*", "ss-dev*"} {
				if globMatch(g, strings.ToLower(f[0])) {
					stems = append(stems, f[0])
					break
				}
			}
		}
		if len(stems) > 0 {
			w.ok("pkg", append([]string{"-R", root, "uninstall", "-v"}, stems...)...)
		}
	case domain.RungRecreateImage:
		w.ok("pkg", "image-create", "-f", "-z", "-p", l.recreate, root)
		w.ok("pkg", "-R", root, "install", "-v", "--accept", "system/library")
	}
}

// attach runs attach -u; it returns the log when it failed.
func (l *ladder) attach() (bool, string) {
	r := l.w.run("zoneadm", "-z", l.zone, "attach", "-u")
	log := attachLog(l.w.t, r.out)
	if r.code == 0 {
		return true, log
	}
	if r.code != 1 || !strings.Contains(r.out, "Result: Attach Failed.") {
		l.w.t.Fatalf("attach -u: %s", r)
	}
	return false, log
}

// troubleLog is what the attach log says for each trouble.
var troubleLog = map[string][]string{
	TroubleGZPublishers:   {"Errors were encountered while attempting to retrieve package or file data for", "URL: 'http://pkg.example.com/extra/"},
	TroubleZonePublishers: {"Errors were encountered while attempting to retrieve package or file data for", "URL: 'http://pkg.example.org/contrib/"},
	TroubleTooOld:         {"pkg install: No matching version of entire can be installed:", "  Reject:  ", "  Reason:  "},
	TroubleConflicts:      {"pkg install: No solution was found to satisfy constraints", "web/"},
	TroubleStaleImage:     {"pkg install: No solution was found to satisfy constraints"},
	TroubleBrokenImage:    {"pkg install: No solution was found to satisfy constraints"},
}

func troubleScenario(profile, trouble string) string {
	extra := ""
	if trouble == TroubleTooOld {
		extra = `, "entire": "0.5.11-0.111"`
	}
	if trouble == TroubleConflicts {
		extra = `, "conflict_packages": ["web/server/apache-22", "web/php-52", "database/postgres-83"]`
	}
	if trouble == TroubleZonePublishers {
		extra = `, "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}`
	}
	return fmt.Sprintf(`{"profile": %q, "seed": 3, "zones": [
		{"name": "z1", "state": "installed", "troubles": [%q]%s},
		{"name": "z2", "state": "running"}]}`, profile, trouble, extra)
}

// Each trouble walked to its cure: attach -u fails before the cure and
// after every rung that does not cure it, and succeeds right after the
// cure; the ones recreate-image also cures, cured by it alone too.
func TestTroubleCures(t *testing.T) {
	for _, profile := range []string{ProfileS11E, ProfileOI} {
		for _, trouble := range troubleOrder {
			if trouble == TroubleTooOld && profile == ProfileOI {
				continue
			}
			t.Run(profile+"/"+trouble, func(t *testing.T) {
				t.Parallel()
				w := newScenario(t, 20000, troubleScenario(profile, trouble))
				l := newLadder(w, "z1")
				cures := CuredBy[trouble]
				if got := w.state().Zone("z1").Troubles; len(got) != 1 || !slices.Equal(got[0].CuredBy, cures) {
					t.Fatalf("troubles %+v", got)
				}
				w.ok("zfs", "snapshot", "-r", "rpool/zones/z1@pre")
				w.toDetached("z1")
				ok, log := l.attach()
				if ok {
					t.Fatal("attach -u succeeded before any rung")
				}
				for _, s := range troubleLog[trouble] {
					if !strings.Contains(log, s) {
						t.Errorf("attach log lacks %q:\n%s", s, log)
					}
				}
				if trouble == TroubleConflicts {
					// php needs apache: removing apache alone is refused.
					r := w.expectCode(1, "pkg", "-R", l.root(), "uninstall", "-v", "web/server/apache-22")
					if !strings.Contains(r.err, "due to the following packages that depend on it:") || strings.Contains(r.err, "-r") {
						t.Errorf("uninstall of a dependency: %s", r)
					}
					w.ok("pkg", "-R", l.root(), "uninstall", "database/postgres-83")
					if ok, _ := l.attach(); ok {
						t.Fatal("attach -u succeeded with php and apache still installed")
					}
				}
				for _, r := range rungs {
					if slices.Contains(cures, r) {
						continue
					}
					l.rung(r)
					if ok, log := l.attach(); ok {
						t.Fatalf("attach -u succeeded after %s, which does not cure %s", r, trouble)
					} else if trouble == TroubleBrokenImage && r == domain.RungImageUpdate && !strings.Contains(log, "No solution") {
						t.Errorf("log after %s:\n%s", r, log)
					}
					if s := w.state().Zone("z1"); s.Troubles[0].Cured {
						t.Errorf("%s reported cured after %s", trouble, r)
					}
				}
				if trouble == TroubleBrokenImage {
					// image-create alone is not enough.
					w.ok("pkg", "image-create", "-f", "-z", "-p", l.recreate, l.root())
					if ok, _ := l.attach(); ok {
						t.Fatal("attach -u succeeded after image-create without install system/library")
					}
				}
				l.rung(cures[0])
				if s := w.state().Zone("z1"); !s.Troubles[0].Cured {
					t.Errorf("%s not reported cured after %s", trouble, cures[0])
				}
				if ok, log := l.attach(); !ok {
					t.Fatalf("attach -u failed after %s:\n%s", cures[0], log)
				}
				s := w.state()
				z := s.Zone("z1")
				if z.State != "installed" || z.Entire != s.GZ.Entire || !z.Mounted {
					t.Errorf("after the attach: %+v", z)
				}
				release, _ := os.ReadFile(l.root() + "/etc/release")
				if want := profiles[profile].releaseText(s.GZ.Entire); string(release) != want {
					t.Errorf("etc/release %q, want %q", release, want)
				}
				if cures[0] == domain.RungRecreateImage {
					// The packages' defaults replaced the zone's files; the
					// snapshot still has them.
					now, _ := os.ReadFile(l.root() + "/etc/nodename")
					was, _ := os.ReadFile(l.root() + "/.zfs/snapshot/pre/etc/nodename")
					if string(now) != "unknown\n" || string(was) != "z1\n" {
						t.Errorf("etc/nodename %q, in the snapshot %q", now, was)
					}
				}
				if len(cures) > 1 && cures[1] == domain.RungRecreateImage {
					w := newScenario(t, 20000, troubleScenario(profile, trouble))
					l := newLadder(w, "z1")
					w.toDetached("z1")
					if ok, _ := l.attach(); ok {
						t.Fatal("attach -u succeeded before any rung")
					}
					l.rung(domain.RungRecreateImage)
					if ok, log := l.attach(); !ok {
						t.Fatalf("attach -u failed after recreate-image:\n%s", log)
					}
				}
			})
		}
	}
}

// Several troubles on one zone: every one must be cured.
func TestTroubleCombination(t *testing.T) {
	w := newScenario(t, 20000, `{"profile": "s11e", "zones": [
		{"name": "z1", "state": "running", "troubles": ["too-old", "conflicts", "zone-publishers"]}]}`)
	l := newLadder(w, "z1")
	w.toDetached("z1")
	var rescued string
	for _, r := range append([]string{""}, rungs[:5]...) {
		if r != "" {
			l.rung(r)
		}
		if ok, _ := l.attach(); ok {
			rescued = r
			break
		}
	}
	if rescued != domain.RungRemoveConflicts {
		t.Errorf("rescued after %q, want remove-conflicts (the last cure needed)", rescued)
	}
	for _, tr := range w.state().Zone("z1").Troubles {
		if !tr.Cured {
			t.Errorf("%s not cured", tr.Name)
		}
	}
}
