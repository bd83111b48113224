package host

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real Tools against zonesim, found through PATH exactly as the real
// tools are: a world per profile, every operation the daemon uses, and the
// troubles that make attach -u fail.

var (
	zonesimOnce sync.Once
	zonesimDir  string // holds zonesim
	zonesimErr  error
	zonesimTmp  string // removed by TestMain
)

// TestMain catches SIGINT as zoneupd does, so the tools the tests run
// start with SIGINT at its default action even when the test binary was
// started with it ignored (as by a shell's background job; the Runner's
// timeout sends SIGINT first); ^C still ends the run.
func TestMain(m *testing.M) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		<-sig
		os.Exit(130)
	}()
	code := m.Run()
	if zonesimTmp != "" {
		os.RemoveAll(zonesimTmp)
	}
	os.Exit(code)
}

// zonesimBinary is $ZONEUP_BIN/zonesim (what `make build` made) or a fresh
// build, once per test binary.
func zonesimBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("zonesim integration test (-short)")
	}
	zonesimOnce.Do(func() {
		if d := os.Getenv("ZONEUP_BIN"); d != "" {
			if _, err := os.Stat(filepath.Join(d, "zonesim")); err == nil {
				zonesimDir = d
				return
			}
		}
		zonesimTmp, zonesimErr = os.MkdirTemp("", "host-zonesim")
		if zonesimErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(zonesimTmp, "zonesim"), "zoneup/cmd/zonesim").CombinedOutput()
		if err != nil {
			zonesimErr = fmt.Errorf("go build zonesim: %v\n%s", err, out)
			return
		}
		zonesimDir = zonesimTmp
	})
	if zonesimErr != nil {
		t.Fatal(zonesimErr)
	}
	return filepath.Join(zonesimDir, "zonesim")
}

// simScenario is a small world with one zone per trouble or fault the
// attach log classification must tell apart.
func simScenario(profile string) string {
	entire := ""
	if profile == "s11e" {
		entire = `,"entire":"0.5.11-0.134"`
	}
	zones := []string{
		`{"name":"web01","state":"running","extra_zbe":true` + entire + `}`,
		`{"name":"db01","state":"installed"` + entire + `}`,
		`{"name":"leg01","state":"configured"` + entire + `}`,
		`{"name":"conf01","troubles":["conflicts"]` + entire + `}`,
		`{"name":"gzp01","troubles":["gz-publishers"]` + entire + `}`,
		`{"name":"pub01","troubles":["zone-publishers"]` + entire + `}`,
		`{"name":"lock01","faults":["locked-once"]` + entire + `}`,
		`{"name":"full01","faults":["no-space-attach"]` + entire + `}`,
		`{"name":"down01","faults":["repo-down"]` + entire + `}`,
	}
	if profile == "s11e" {
		zones = append(zones, `{"name":"old01","troubles":["too-old"],"entire":"0.5.11-0.111"}`)
	}
	return `{"profile":"` + profile + `","seed":3,"hostname":"gz01","zones":[` + strings.Join(zones, ",") + `]}`
}

// newSimHost makes a world and puts its tools first on PATH.
func newSimHost(t *testing.T, profile string) (world string) {
	t.Helper()
	bin := zonesimBinary(t)
	dir := t.TempDir()
	world, tools := filepath.Join(dir, "w"), filepath.Join(dir, "tools")
	sc := filepath.Join(dir, "scenario.json")
	if err := os.WriteFile(sc, []byte(simScenario(profile)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "--world", world, "--scenario", sc}, {"tools", "--bin", tools}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("zonesim %v: %v\n%s", args, err, out)
		}
	}
	t.Setenv("ZONESIM_WORLD", world)
	t.Setenv("ZONESIM_SPEED", "5000")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	return world
}

// simTools runs through a Runner whose runs are all observed.
func simTools(t *testing.T) (Tools, *[]Result) {
	var mu sync.Mutex
	var runs []Result
	r := NewRunner()
	r.ReadTimeout, r.ChangeTimeout = 30*time.Second, time.Minute
	r.Observe = func(res Result) { mu.Lock(); runs = append(runs, res); mu.Unlock() }
	return Tools{X: r}, &runs
}

// must(f())(t) is f's value, or the test's end on f's error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Profile facts the world was made with (sim/catalog.go).
var simProfiles = map[string]struct {
	gzEntire, gzFirst, gzFirstOrigin string
	gzPubs                           []string
}{
	"s11e": {"0.5.11-0.151.0.1", "solaris", "http://pkg.oracle.com/solaris/release/", []string{"solaris", "opensolaris.org", "extra"}},
	"oi":   {"0.5.11-2020.0.1.19000", "openindiana.org", "http://pkg.openindiana.org/hipster/", []string{"openindiana.org", "hipster-encumbered", "extra"}},
}

func TestSimTools(t *testing.T) {
	for _, profile := range []string{"s11e", "oi"} {
		t.Run(profile, func(t *testing.T) {
			world := newSimHost(t, profile)
			tl, runs := simTools(t)
			prof := simProfiles[profile]
			zonesDir := filepath.Join(world, "zones")

			// zoneadm list.
			zones := must(tl.Zones(ctx))(t)
			if len(zones) < 10 || zones[0].Name != "global" || zones[0].Zonepath != "/" {
				t.Fatalf("zones %+v", zones)
			}
			web := must(tl.Zone(ctx, "web01"))(t)
			if web.State != StateRunning || web.Zonepath != filepath.Join(zonesDir, "web01") || web.UUID == "" || web.Brand != "ipkg" {
				t.Fatalf("web01 %+v", web)
			}
			if _, err := tl.Zone(ctx, "nosuch"); !errors.Is(err, ErrNoSuchZone) {
				t.Fatalf("unknown zone: %v", err)
			}
			db, leg := must(tl.Zone(ctx, "db01"))(t), must(tl.Zone(ctx, "leg01"))(t)
			if db.State != StateInstalled || leg.State != StateConfigured {
				t.Fatalf("%+v %+v", db, leg)
			}

			// zfs, beadm, mount: the facts preflight collects.
			ds := must(tl.DatasetAt(ctx, web.Zonepath))(t)
			if ds != "rpool/zones/web01" {
				t.Fatalf("DatasetAt = %q", ds)
			}
			if _, err := tl.DatasetAt(ctx, filepath.Join(world, "nowhere")); !errors.Is(err, ErrNotFound) {
				t.Fatalf("not a dataset: %v", err)
			}
			for _, z := range []Zone{web, db, leg} {
				zds := must(tl.DatasetAt(ctx, z.Zonepath))(t)
				zbe, err := tl.ActiveZBE(ctx, z, zds)
				if err != nil || zbe != zds+"/ROOT/zbe" {
					t.Fatalf("ActiveZBE(%s, %s) = %q, %v", z.Name, z.State, zbe, err)
				}
			}
			used := must(tl.GetNumber(ctx, "rpool/zones/web01/ROOT/zbe", "used"))(t)
			avail := must(tl.GetNumber(ctx, ds, "available"))(t)
			if used == 0 || avail <= used {
				t.Fatalf("used %d, available %d", used, avail)
			}
			if _, err := tl.GetNumber(ctx, "rpool/zones/nosuch", "used"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v", err)
			}
			if m, ok, err := tl.MountedAt(ctx, web.Root()); err != nil || !ok || m.Special != "rpool/zones/web01/ROOT/zbe" || m.FSType != "zfs" {
				t.Fatalf("MountedAt(web01) = %+v %v %v", m, ok, err)
			}
			if _, ok, err := tl.MountedAt(ctx, db.Root()); ok || err != nil {
				t.Fatalf("an installed zone's root is mounted: %v %v", ok, err)
			}

			// The snapshot and its rollback, on the halted zone.
			snap := "rpool/zones/db01@zoneup-t1"
			if ok, err := tl.SnapshotExists(ctx, snap); ok || err != nil {
				t.Fatalf("before: %v %v", ok, err)
			}
			if err := tl.Snapshot(ctx, snap); err != nil {
				t.Fatal(err)
			}
			if ok, err := tl.SnapshotExists(ctx, snap); !ok || err != nil {
				t.Fatalf("after: %v %v", ok, err)
			}
			if err := tl.Snapshot(ctx, snap); err == nil || Code(err) != 1 || !strings.Contains(err.Error(), "dataset already exists") {
				t.Fatalf("second snapshot: %v", err)
			}
			snaps := must(tl.Snapshots(ctx, "rpool/zones/db01"))(t)
			if len(snaps) < 3 || snaps[0] != snap {
				t.Fatalf("snapshots %q", snaps)
			}
			slices.Reverse(snaps) // deepest first
			for _, s := range snaps {
				if err := tl.Rollback(ctx, s); err != nil {
					t.Fatalf("rollback %s: %v", s, err)
				}
			}

			// pkg: the global zone and the zone images.
			rows := must(tl.Publishers(ctx, "/"))(t)
			if len(rows) != 3 || rows[0].Name != prof.gzFirst || rows[0].Preferred != (profile == "s11e") {
				t.Fatalf("tsv %+v", rows)
			}
			gz := must(tl.ReadPublishers(ctx, "/"))(t)
			var names []string
			for _, p := range gz {
				names = append(names, p.Name)
			}
			if !slices.Equal(names, prof.gzPubs) || !gz[0].Enabled || gz[2].Enabled || !gz[2].Sticky || gz[0].Origins[0] != prof.gzFirstOrigin {
				t.Fatalf("global publishers %+v", gz)
			}
			// Strip and restore one exactly, as rung 2 does.
			if err := tl.UnsetPublisher(ctx, "/", "extra"); err != nil {
				t.Fatal(err)
			}
			enabled, sticky := gz[2].Enabled, gz[2].Sticky
			if err := tl.SetPublisher(ctx, "/", SetPublisherArgs{Name: "extra", AddOrigins: gz[2].Origins, AddMirrors: gz[2].Mirrors,
				Enable: &enabled, Sticky: &sticky, NoRefresh: true}); err != nil {
				t.Fatal(err)
			}
			if again := must(tl.ReadPublishers(ctx, "/"))(t); !slices.EqualFunc(again, gz, publisherEqual) {
				t.Fatalf("restored %+v\nwant     %+v", again, gz)
			}
			zp := must(tl.ReadPublishers(ctx, web.Root()))(t)
			if len(zp) == 0 || !zp[0].Enabled {
				t.Fatalf("zone publishers %+v", zp)
			}
			pub := must(tl.Zone(ctx, "pub01"))(t)
			if odd := must(tl.ReadPublishers(ctx, pub.Root()))(t); len(odd) != 2 || slices.Contains(prof.gzPubs, odd[1].Name) {
				t.Fatalf("pub01 publishers %+v", odd)
			}
			if _, err := tl.Publishers(ctx, db.Root()); !errors.Is(err, ErrNoImage) {
				t.Fatalf("unmounted root: %v", err)
			}
			pkgs := must(tl.List(ctx, web.Root()))(t)
			if !slices.ContainsFunc(pkgs, func(p Package) bool { return p.Stem == "entire" }) {
				t.Fatalf("no entire in %+v", pkgs)
			}
			zv, gv := must(tl.EntireVersion(ctx, web.Root()))(t), must(tl.EntireVersion(ctx, "/"))(t)
			if gv != prof.gzEntire || CompareVersions(zv, gv) >= 0 {
				t.Fatalf("zone entire %q, global %q", zv, gv)
			}
			if nothing, err := tl.ImageUpdate(ctx, web.Root()); !nothing || err != nil {
				t.Fatalf("image-update of a fresh image: %v %v", nothing, err)
			}
			if nothing, err := tl.Install(ctx, web.Root(), "entire@"+zv); !nothing || err != nil {
				t.Fatalf("install of what is there: %v %v", nothing, err)
			}

			// zlogin.
			if st, err := tl.SvcState(ctx, "web01", "svc:/milestone/multi-user-server:default"); st != "online" || err != nil {
				t.Fatalf("SvcState %q %v", st, err)
			}
			if out, err := tl.SvcsX(ctx, "web01"); out != "" || err != nil {
				t.Fatalf("svcs -x %q %v", out, err)
			}
			if _, err := tl.SvcState(ctx, "db01", "svc:/milestone/multi-user-server:default"); err == nil {
				t.Fatal("zlogin into an installed zone")
			}

			// halt, detach, attach -u: a clean zone, then each trouble.
			detach := func(name string) Zone {
				t.Helper()
				if err := tl.Halt(ctx, name); err != nil {
					t.Fatal(err)
				}
				if err := tl.Detach(ctx, name); err != nil {
					t.Fatal(err)
				}
				z := must(tl.Zone(ctx, name))(t)
				if z.State != StateConfigured {
					t.Fatalf("%s is %s after detach", name, z.State)
				}
				return z
			}
			detach("web01")
			res, err := tl.AttachUpdate(ctx, "web01")
			if err != nil || res.Failure.Kind != FailNone || !strings.HasPrefix(res.LogFile, filepath.Join(world, "var", "tmp")+"/web01.attach_log.") ||
				!strings.Contains(res.Log, "Result: Attach Succeeded.") {
				t.Fatalf("clean attach: %+v %v", res, err)
			}
			if err := tl.Boot(ctx, "web01"); err != nil || must(tl.Zone(ctx, "web01"))(t).State != StateRunning {
				t.Fatalf("boot: %v", err)
			}
			if v := must(tl.EntireVersion(ctx, web.Root()))(t); v != gv {
				t.Fatalf("after attach -u entire is %q, want %q", v, gv)
			}

			troubles := []struct {
				zone string
				kind FailureKind
				line string // a reference text the Line holds
				url  string // a prefix of the URL
			}{
				{"conf01", FailNoSolution, "No solution was found to satisfy constraints", ""},
				{"gzp01", FailTransport, "Errors were encountered while attempting to retrieve package or file data", "http://pkg.example.com/extra/"},
				{"pub01", FailTransport, "Errors were encountered while attempting to retrieve package or file data", "http://pkg.example.org/"},
				{"down01", FailTransport, "Errors were encountered while attempting to retrieve package or file data", prof.gzFirstOrigin},
				{"lock01", FailLocked, "The image cannot be modified as it is currently in use by another package client", ""},
				{"full01", FailNoSpace, "No space left on device", ""},
			}
			if profile == "s11e" {
				troubles = append(troubles, struct {
					zone string
					kind FailureKind
					line string
					url  string
				}{"old01", FailNoSolution, "No matching version of entire can be installed", ""})
			}
			for _, tc := range troubles {
				z := detach(tc.zone)
				res, err := tl.AttachUpdate(ctx, tc.zone)
				f := res.Failure
				if err == nil || f.Kind != tc.kind || !strings.Contains(f.Line, tc.line) || !strings.HasPrefix(f.URL, tc.url) || (tc.url == "") != (f.URL == "") {
					t.Errorf("%s: %+v, %v", tc.zone, f, err)
					continue
				}
				if errors.Is(err, ErrTransient) != (tc.kind == FailLocked) || Code(err) != 1 {
					t.Errorf("%s: error kinds of %v", tc.zone, err)
				}
				if st := must(tl.Zone(ctx, tc.zone))(t).State; st != StateConfigured {
					t.Errorf("%s is %s after a failed attach", tc.zone, st)
				}
				switch tc.zone {
				case "lock01":
					// The lock was once: a retry goes through.
					if res, err := tl.AttachUpdate(ctx, "lock01"); err != nil || res.Failure.Kind != FailNone {
						t.Errorf("lock01 retry: %+v %v", res.Failure, err)
					}
				case "conf01":
					// Rung 6: remove the conflicting packages, attach again.
					var conflicts []string
					for _, p := range must(tl.List(ctx, z.Root()))(t) {
						// SPEC 3's default conflict_packages globs.
						for _, g := range []string{"*apch*", "*apache*", "*php*", "*postgr*", "*sunstudio*", "ss-dev*"} {
							re := "^" + strings.ReplaceAll(regexp.QuoteMeta(g), `\*`, ".*") + "$"
							if regexp.MustCompile(re).MatchString(strings.ToLower(p.Stem)) && !slices.Contains(conflicts, p.Stem) {
								conflicts = append(conflicts, p.Stem)
							}
						}
					}
					if nothing, err := tl.Uninstall(ctx, z.Root(), conflicts...); len(conflicts) == 0 || nothing || err != nil {
						t.Fatalf("uninstall %q: %v %v", conflicts, nothing, err)
					}
					if res, err := tl.AttachUpdate(ctx, "conf01"); err != nil || res.Failure.Kind != FailNone {
						t.Errorf("conf01 after removing %q: %+v %v\n%s", conflicts, res.Failure, err, res.Log)
					}
				case "down01":
					// Rung 7's first calls on a detached zone's root.
					if err := tl.ImageCreate(ctx, z.Root(), prof.gzFirst, prof.gzFirstOrigin); err != nil {
						t.Fatal(err)
					}
					if _, err := tl.EntireVersion(ctx, z.Root()); !errors.Is(err, ErrNotFound) {
						t.Fatalf("entire in a new image: %v", err)
					}
					if _, err := tl.List(ctx, z.Root()); !errors.Is(err, ErrNotFound) {
						t.Fatalf("packages in a new image: %v", err)
					}
					if nothing, err := tl.Install(ctx, z.Root(), "system/library"); nothing || err != nil {
						t.Fatalf("install system/library: %v %v", nothing, err)
					}
					if rows := must(tl.Publishers(ctx, z.Root()))(t); len(rows) != 1 || rows[0].Name != prof.gzFirst {
						t.Fatalf("publishers of the new image %+v", rows)
					}
				case "pub01":
					// Rung 3 on S11E: the first-ranked publisher cannot go,
					// so unsetting it with the odd one is partial (exit 3).
					if profile == "s11e" {
						zp := must(tl.ReadPublishers(ctx, z.Root()))(t)
						err := tl.UnsetPublisher(ctx, z.Root(), zp[0].Name, zp[len(zp)-1].Name)
						if Code(err) != 3 {
							t.Errorf("partial unset-publisher: %v", err)
						}
					}
				}
			}

			// Every run was observed, and the simulator saw pkg only with
			// -R (or image-create with its directory).
			if len(*runs) == 0 {
				t.Fatal("Observe saw nothing")
			}
			invs := simInvocations(t, world)
			if len(invs) < len(*runs)/2 {
				t.Fatalf("%d invocations logged for %d runs", len(invs), len(*runs))
			}
			for _, inv := range invs {
				cmd := inv.Tool + " " + strings.Join(inv.Argv, " ")
				if inv.Tool == "pkg" && (len(inv.Argv) < 2 || inv.Argv[0] != "-R") && (len(inv.Argv) == 0 || inv.Argv[0] != "image-create") {
					t.Errorf("pkg without -R: %s", cmd)
				}
				if inv.Tool == "pkg" && slices.Contains(inv.Argv, "uninstall") && slices.Contains(inv.Argv, "-r") {
					t.Errorf("recursive uninstall: %s", cmd)
				}
			}
		})
	}
}

// simInvocation is a start record of the world's invocation log
// (sim/doc.go); read here rather than through package sim, which does not
// build for solaris, so that `GOOS=solaris go vet ./host/` passes.
type simInvocation struct {
	Ev   string   `json:"ev"`
	Tool string   `json:"tool"`
	Argv []string `json:"argv"`
}

func simInvocations(t *testing.T, world string) []simInvocation {
	t.Helper()
	f, err := os.Open(filepath.Join(world, "invocations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []simInvocation
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var inv simInvocation
		if json.Unmarshal(sc.Bytes(), &inv) == nil && inv.Ev == "start" {
			out = append(out, inv)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func publisherEqual(a, b Publisher) bool {
	return a.Name == b.Name && a.Enabled == b.Enabled && a.Sticky == b.Sticky && a.SSLKey == b.SSLKey && a.SSLCert == b.SSLCert &&
		slices.Equal(a.Origins, b.Origins) && slices.Equal(a.Mirrors, b.Mirrors) && slices.Equal(a.Proxies, b.Proxies)
}

// TestSimTimeout: a hung attach -u is killed at the timeout, the whole
// process group with it, and says where its log is.
func TestSimTimeout(t *testing.T) {
	bin := zonesimBinary(t)
	dir := t.TempDir()
	world, tools := filepath.Join(dir, "w"), filepath.Join(dir, "tools")
	sc := filepath.Join(dir, "s.json")
	os.WriteFile(sc, []byte(`{"profile":"oi","zones":[{"name":"hang01","state":"configured","faults":["hung-attach"]}]}`), 0o644)
	for _, args := range [][]string{{"init", "--world", world, "--scenario", sc}, {"tools", "--bin", tools}} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("zonesim %v: %v\n%s", args, err, out)
		}
	}
	t.Setenv("ZONESIM_WORLD", world)
	t.Setenv("ZONESIM_SPEED", "1")
	t.Setenv("PATH", tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := NewRunner()
	r.ChangeTimeout = 2 * time.Second
	tl := Tools{X: r}
	start := time.Now()
	res, err := tl.AttachUpdate(context.Background(), "hang01")
	if !errors.Is(err, ErrTimeout) || Code(err) != -1 || time.Since(start) > 15*time.Second {
		t.Fatalf("%v after %s", err, time.Since(start))
	}
	if res.LogFile == "" || res.Failure.Kind == FailNone {
		t.Fatalf("%+v", res)
	}
	if z := must(tl.Zone(context.Background(), "hang01"))(t); z.State != StateConfigured {
		t.Fatalf("hang01 is %s", z.State)
	}
}

// TestSimShapes: the reference's samples and zonesim's live output of the
// same command parse into values of the same shape, field by field: every
// kind of value the live output has in a field, the reference sample has
// there too (so a parser tested on one is tested on the other).
func TestSimShapes(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`)
	numRE := regexp.MustCompile(`^[0-9]+$`)
	versionRE := regexp.MustCompile(`^[0-9]+(\.[0-9]+)*(,[0-9.]+)?-[0-9]+(\.[0-9]+)*$`)
	class := func(s string) string {
		switch {
		case s == "":
			return "empty"
		case numRE.MatchString(s):
			return "number"
		case uuidRE.MatchString(s):
			return "uuid"
		case versionRE.MatchString(s):
			return "version"
		case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
			return "url"
		case strings.HasPrefix(s, "/"):
			return "path"
		case regexp.MustCompile(`^[a-z0-9]+(/[A-Za-z0-9._:-]+)+(@[A-Za-z0-9._:-]+)?$`).MatchString(s):
			return "dataset"
		}
		return "word"
	}
	word := func(s string) string { return s } // fields whose words the reference lists
	type form struct {
		name   string
		ref    string   // reference sample file
		argv   []string // the live command ("ZONEROOT" is web01's root)
		fields func(t *testing.T, out string) [][]string
	}
	forms := []form{
		{"zoneadm list -cp", "zoneadm_list_cp_oi.txt", []string{"zoneadm", "list", "-cp"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, z := range must(ParseZoneList(out))(t) {
				id := "dash"
				if z.ID != "-" {
					id = class(z.ID)
				}
				rows = append(rows, []string{id, word(z.State), class(z.Zonepath), class(z.UUID), word(z.Brand), word(z.IPType)})
			}
			return rows
		}},
		{"zfs list name,mountpoint", "zfs_list_name_mountpoint_oi.txt", []string{"zfs", "list", "-H", "-o", "name,mountpoint", "-r", "rpool/zones/db01"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, d := range must(ParseDatasets(out))(t) {
				mp := class(d.Mountpoint)
				if d.Mountpoint == "legacy" {
					mp = "legacy"
				}
				rows = append(rows, []string{class(d.Name), mp})
			}
			return rows
		}},
		{"zfs list libbe", "zfs_list_libbe_oi.txt", []string{"zfs", "list", "-H", "-o", "name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active", "-r", "-t", "filesystem", "rpool/zones/web01/ROOT"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, b := range must(ParseBEDatasets(out))(t) {
				rows = append(rows, []string{class(b.Name), class(b.ParentBE), word(b.Active)})
			}
			return rows
		}},
		{"zfs get", "zfs_get_full_oi.txt", []string{"zfs", "get", "-H", "-p", "-o", "name,property,value,source", "used,org.opensolaris.libbe:active", "rpool/zones/web01/ROOT/zbe"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, p := range must(ParseZFSGet(out))(t) {
				rows = append(rows, []string{class(p.Name), word(p.Property), class(p.Value), word(p.Source)})
			}
			return rows
		}},
		{"beadm list -H", "beadm_list_H_oi.txt", []string{"beadm", "list", "-H"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, b := range must(ParseBeadm(out))(t) {
				created := "before 2009"
				if b.Created.After(time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC)) {
					created = "recent"
				}
				rows = append(rows, []string{class(b.UUID), word(b.Active), class(b.Mountpoint), class(fmt.Sprint(b.Space)), word(b.Policy), created})
			}
			return rows
		}},
		{"mount -p (zfs lines)", "mount_p_oi.txt", []string{"mount", "-p"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, m := range must(ParseMountP(out))(t) {
				if m.FSType == "zfs" && strings.HasSuffix(m.Mountpoint, "/root") {
					rows = append(rows, []string{class(m.Special), class(m.Mountpoint), word(m.FSType), word(m.Options)})
				}
			}
			return rows
		}},
		{"pkg list -H entire", "pkg_list_H_entire_oi.txt", []string{"pkg", "-R", "ZONEROOT", "list", "-H", "entire"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, p := range must(ParsePkgList(out))(t) {
				rows = append(rows, []string{word(p.Stem), class(p.Publisher), class(p.Version), word(p.Flags)})
			}
			return rows
		}},
		{"svcs -H -o state,fmri", "svcs_state_fmri_oi.txt", []string{"zlogin", "web01", "svcs", "-H", "-o", "state,fmri", "svc:/milestone/multi-user-server:default"}, func(t *testing.T, out string) [][]string {
			var rows [][]string
			for _, s := range must(ParseSvcsState(out))(t) {
				rows = append(rows, []string{word(s.State), fmt.Sprint(s.Transition), fmt.Sprint(regexp.MustCompile(`^svc:/[a-z/-]+:[a-z]+$`).MatchString(s.FMRI))})
			}
			return rows
		}},
	}
	tsv := func(t *testing.T, out string) [][]string {
		var rows [][]string
		for i, r := range must(ParsePublisherTSV(out))(t) {
			cols := len(strings.Split(strings.Split(strings.TrimSpace(out), "\n")[i], "\t"))
			rows = append(rows, []string{fmt.Sprint(cols), fmt.Sprint(r.Sticky), fmt.Sprint(r.Preferred), fmt.Sprint(r.SysPub), word(r.Type), word(r.Status), class(r.URI), class(r.Proxy)})
		}
		return rows
	}
	for _, profile := range []string{"s11e", "oi"} {
		t.Run(profile, func(t *testing.T) {
			newSimHost(t, profile)
			web := must(Tools{}.Zone(ctx, "web01"))(t)
			all := append(slices.Clone(forms), form{"pkg publisher -H -F tsv", "pkg_publisher_tsv_" + profile + ".txt", []string{"pkg", "-R", "ZONEROOT", "publisher", "-H", "-F", "tsv"}, tsv})
			for _, fm := range all {
				if profile == "s11e" && fm.name == "pkg list -H entire" {
					// The reference has no S11E sample; its format is
					// NAME VERSION STATE UFOXI.
					out := runLive(t, fm.argv, web.Root())
					for _, p := range must(ParsePkgList(out))(t) {
						if p.Stem != "entire" || !versionRE.MatchString(p.Version) || !regexp.MustCompile(`^(installed|known) [u-][f-][or-][x-][i-]$`).MatchString(p.Flags) {
							t.Errorf("s11e pkg list: %+v", p)
						}
					}
					continue
				}
				ref := fm.fields(t, testdata(t, fm.ref))
				live := fm.fields(t, runLive(t, fm.argv, web.Root()))
				if len(ref) == 0 || len(live) == 0 {
					t.Errorf("%s: %d reference rows, %d live rows", fm.name, len(ref), len(live))
					continue
				}
				for i := range live[0] {
					known := map[string]bool{}
					for _, r := range ref {
						known[r[i]] = true
					}
					for _, l := range live {
						if !known[l[i]] {
							t.Errorf("%s: field %d is %q live, never in the reference (%v)", fm.name, i, l[i], ref)
						}
					}
				}
			}
		})
	}
}

// runLive runs argv (ZONEROOT replaced by root) against the world on PATH.
func runLive(t *testing.T, argv []string, root string) string {
	t.Helper()
	argv = slices.Clone(argv)
	for i, a := range argv {
		if a == "ZONEROOT" {
			argv[i] = root
		}
	}
	res := NewRunner().Run(ctx, false, argv...)
	if res.Err != nil {
		t.Fatalf("%v", res.Err)
	}
	return string(res.Stdout)
}
