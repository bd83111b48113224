package sim

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"zoneup/domain"
)

// The omnios profile, brands, sparse zones and the datasets of a real host
// (reference 10).

const omniosScenario = `{"profile": "omnios", "seed": 5, "zones": [
	{"name": "web01", "state": "running"},
	{"name": "sp01", "state": "installed", "brand": "sparse", "troubles": ["gz-publishers"]},
	{"name": "ps01", "state": "configured", "brand": "pkgsrc"},
	{"name": "vm01", "state": "running", "brand": "bhyve"},
	{"name": "lx01", "state": "installed", "brand": "lx"},
	{"name": "li01", "state": "installed", "brand": "lipkg", "troubles": ["conflicts"]},
	{"name": "pub01", "state": "installed", "troubles": ["zone-publishers"],
	 "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}},
	{"name": "gzp01", "state": "installed", "troubles": ["gz-publishers"]},
	{"name": "san01", "state": "installed", "faults": ["sanity-fails"]},
	{"name": "tw01", "state": "running", "faults": ["backup-twin", "delegated"]},
	{"name": "as01", "state": "installed", "faults": ["auto-snapshots"], "troubles": ["broken-image"]},
	{"name": "bc01", "state": "installed", "faults": ["be-clone"], "troubles": ["broken-image"]}]}`

func newOmniOS(t *testing.T) *testWorld {
	t.Helper()
	return newScenario(t, 20000, omniosScenario)
}

func TestOmniOSList(t *testing.T) {
	w := newOmniOS(t)
	lines := strings.Split(strings.TrimSpace(w.ok("zoneadm", "list", "-cp")), "\n")
	if lines[0] != "0:global:running:/::ipkg:shared:0" {
		t.Errorf("global line %q", lines[0])
	}
	brands := map[string]string{}
	for _, l := range lines {
		f := strings.Split(l, ":")
		if len(f) != 8 || f[7] == "" || strings.Trim(f[7], "0123456789") != "" {
			t.Errorf("not 8 fields with a numeric debug id: %q", l)
			continue
		}
		brands[f[1]] = f[5]
	}
	for zone, want := range map[string]string{"web01": "ipkg", "sp01": "sparse", "ps01": "pkgsrc", "vm01": "bhyve", "lx01": "lx", "li01": "lipkg"} {
		if brands[zone] != want {
			t.Errorf("%s: brand %q, want %q", zone, brands[zone], want)
		}
	}
	if l := w.ok("zoneadm", "-z", "web01", "list", "-p"); strings.Count(l, ":") != 7 {
		t.Errorf("-z list -p: %q", l)
	}
	// The other profiles keep 7 fields.
	oi := newScenario(t, 20000, `{"profile": "oi", "zones": [{"name": "z1", "brand": "nlipkg"}]}`)
	for _, l := range strings.Split(strings.TrimSpace(oi.ok("zoneadm", "list", "-cp")), "\n") {
		if strings.Count(l, ":") != 6 {
			t.Errorf("oi: %q", l)
		}
	}
	if s := oi.state(); s.Zones[0].Brand != BrandNlipkg {
		t.Errorf("oi brand %q", s.Zones[0].Brand)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"profile": "oi", "zones": [{"name": "z1", "brand": "sparse"}]}`), 0o644)
	if err := Init(filepath.Join(t.TempDir(), "w"), InitOptions{Scenario: must(LoadScenario(bad))(t)}); err == nil {
		t.Error("a sparse zone on oi was accepted")
	}
}

func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

const localDetail = `
            Publisher: local
                Alias: None
           Origin URI: http://pkg.zz-local.example/local/
        Origin Status: Online
              SSL Key: None
             SSL Cert: None
           Origin URI: http://pkg.aa-local.example/local/
        Origin Status: Online
              SSL Key: None
             SSL Cert: None
          Client UUID: ` + "%s" + `
      Catalog Updated: Mon May  5 12:00:00 2025
    Publisher enabled: No
           Properties:
                       signature-policy = ignore
`

func TestOmniOSPublishers(t *testing.T) {
	w := newOmniOS(t)
	tsv := w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	want := "omnios\ttrue\tfalse\ttrue\torigin\tonline\thttps://pkg.omnios.org/r151054/core/\t-\n" +
		"extra.omnios\ttrue\tfalse\ttrue\torigin\tonline\thttps://pkg.omnios.org/r151054/extra/\t-\n" +
		// Sorted, and ENABLED/STATUS follow the origin (6.4a).
		"local\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.aa-local.example/local/\t-\n" +
		"local\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.zz-local.example/local/\t-\n"
	if tsv != want {
		t.Errorf("tsv:\n%s\nwant:\n%s", tsv, want)
	}
	detail := w.ok("pkg", "publisher", "local")
	if want := strings.Replace(localDetail, "%s", clientUUID("local"), 1); detail != want {
		t.Errorf("pkg publisher local:\n%q\nwant\n%q", detail, want)
	}
	if d := w.ok("pkg", "publisher", "omnios"); !strings.Contains(d, "\n    Publisher enabled: Yes\n") || strings.Contains(d, "Properties:") {
		t.Errorf("pkg publisher omnios:\n%s", d)
	}
	// OI keeps its label.
	oi := newScenario(t, 20000, `{"profile": "oi", "zones": [{"name": "z1"}]}`)
	if d := oi.ok("pkg", "publisher", "extra"); !strings.Contains(d, "  Enabled: No\n") || strings.Contains(d, "Publisher enabled") {
		t.Errorf("oi pkg publisher extra:\n%s", d)
	}

	// unset + set loses the property and the order unless given again.
	w.ok("pkg", "unset-publisher", "local")
	w.ok("pkg", "set-publisher", "--disable", "-g", "http://pkg.zz-local.example/local/", "-g", "http://pkg.aa-local.example/local/", "local")
	if p := w.state().GZ.Publishers[2]; p.Properties != nil || p.Enabled {
		t.Errorf("re-added without --set-property: %+v", p)
	}
	w.ok("pkg", "unset-publisher", "local")
	w.ok("pkg", "set-publisher", "--no-refresh", "--disable", "--set-property", "signature-policy=ignore",
		"-g", "http://pkg.zz-local.example/local/", "-g", "http://pkg.aa-local.example/local/", "--search-after", "omnios", "local")
	if d := w.ok("pkg", "publisher", "local"); d != strings.Replace(localDetail, "%s", clientUUID("local"), 1) {
		t.Errorf("restored:\n%s", d)
	}
	if names := tsvNames(w.ok("pkg", "publisher", "-H", "-F", "tsv")); !slices.Equal(names, []string{"omnios", "local", "extra.omnios"}) {
		t.Errorf("search order %v", names)
	}
	w.ok("pkg", "set-publisher", "--search-first", "extra.omnios")
	w.ok("pkg", "set-publisher", "-P", "omnios")
	w.ok("pkg", "set-publisher", "--add-property-value", "signature-required-names=b", "--add-property-value", "signature-required-names=a", "local")
	if p := w.state().GZ.Publishers[2]; p.Name != "local" || p.Properties["signature-required-names"] != "a, b" {
		t.Errorf("after -P and add-property-value: %+v", w.state().GZ.Publishers)
	}
	// An enabled publisher whose origin does not answer needs --no-refresh.
	w.expectCode(1, "pkg", "set-publisher", "-g", "http://pkg.nowhere.example/", "other")
	w.ok("pkg", "set-publisher", "--no-refresh", "-g", "http://pkg.nowhere.example/", "other")
}

// attach -u copies every global publisher, the disabled one with its
// origin order and property too, the first one search-first, keeping the
// zone's own between them (copy_publishers_from, reference 10.3).
func TestCopyPublishersFrom(t *testing.T) {
	w := newOmniOS(t)
	w.toDetached("pub01")
	r := w.expectCode(1, "zoneadm", "-z", "pub01", "attach", "-u")
	if log := attachLog(t, r.out); !strings.Contains(log, "URL: 'http://pkg.example.org/contrib/") {
		t.Errorf("log:\n%s", log)
	}
	z := w.state().Zone("pub01")
	var names []string
	for _, p := range z.Publishers {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, []string{"omnios", "contrib", "extra.omnios", "local"}) {
		t.Fatalf("zone publishers %v", names)
	}
	gz := w.state().GZ.Publishers
	for i, want := range map[int]Publisher{0: gz[0], 2: gz[1], 3: gz[2]} {
		if !reflect.DeepEqual(z.Publishers[i], want) {
			t.Errorf("zone publisher %d %+v, want %+v", i, z.Publishers[i], want)
		}
	}
	// The zone-publishers rung cures it.
	root := w.root("pub01")
	w.ok("pkg", "-R", root, "unset-publisher", "contrib")
	w.ok("zoneadm", "-z", "pub01", "attach", "-u")
	if z := w.state().Zone("pub01"); z.Entire != "11-151054.0" {
		t.Errorf("entire %s", z.Entire)
	}
}

// gz-publishers: the install names an origin of a global publisher other
// than the first while there is one; stripping the global zone cures it.
func TestOmniOSGZPublishers(t *testing.T) {
	w := newOmniOS(t)
	w.toDetached("gzp01")
	r := w.expectCode(1, "zoneadm", "-z", "gzp01", "attach", "-u")
	if log := attachLog(t, r.out); !strings.Contains(log, "URL: 'http://pkg.zz-local.example/local/catalog/1/catalog.attrs'") {
		t.Errorf("log:\n%s", log)
	}
	w.ok("pkg", "unset-publisher", "extra.omnios", "local")
	w.ok("zoneadm", "-z", "gzp01", "attach", "-u")
	if s := w.state(); s.Zone("gzp01").Entire != s.GZ.Entire {
		t.Errorf("not updated: %+v", s.Zone("gzp01"))
	}
}

// The OmniOS client exits 9 where the solver finds no solution; OI's
// direct install is as it was.
func TestOmniOSExitConstrained(t *testing.T) {
	w := newOmniOS(t)
	w.toDetached("li01")
	w.expectCode(1, "zoneadm", "-z", "li01", "attach", "-u") // copies the global publishers
	r := w.expectCode(9, "pkg", "-R", w.root("li01"), "install", "--accept", "entire@11-151054.0")
	if !strings.Contains(r.err, "pkg install: No solution was found to satisfy constraints") {
		t.Errorf("install: %s", r)
	}
	w.expectCode(9, "pkg", "-R", w.root("li01"), "install", "-n", "entire@11-151054.0")
	oi := newScenario(t, 20000, `{"profile": "oi", "zones": [{"name": "z1", "state": "configured", "troubles": ["conflicts"]}]}`)
	oi.expectCode(1, "zoneadm", "-z", "z1", "attach", "-u")
	oi.ok("pkg", "-R", oi.root("z1"), "install", "-n", "entire@0.5.11-2020.0.1.19000")
}

// bhyve and lx: the empty attach hook ignores -u, prints nothing, and
// marks the zone installed.
func TestEmptyAttachHook(t *testing.T) {
	w := newOmniOS(t)
	for _, zone := range []string{"vm01", "lx01"} {
		w.toDetached(zone)
		before := w.state().Zone(zone)
		r := w.expectCode(0, "zoneadm", "-z", zone, "attach", "-u")
		if r.out != "" || r.err != "" {
			t.Errorf("%s: attach -u printed %s", zone, r)
		}
		after := w.state().Zone(zone)
		if after.State != "installed" || after.Entire != "" || before.ZBE != "" || after.ZBE != "" {
			t.Errorf("%s: after %+v", zone, after)
		}
		if w.state().Dataset("rpool/zones/"+zone+"/ROOT") != nil {
			t.Errorf("%s has a ROOT dataset", zone)
		}
	}
}

// sanity-fails: attach fails before any package work, with or without
// -u, and the image is as it was.
func TestSanityFails(t *testing.T) {
	w := newOmniOS(t)
	w.toDetached("san01")
	before := w.state().Zone("san01")
	for _, args := range [][]string{{"attach"}, {"attach", "-u"}} {
		r := w.expectCode(1, "zoneadm", append([]string{"-z", "san01"}, args...)...)
		if !strings.Contains(r.out, "ERROR:   Sanity Check: FAILED, couldn't determine variant.opensolaris.zone from image.\n                    Result: Attach Failed.") ||
			strings.Contains(r.out, "Updating non-global zone") {
			t.Errorf("%v: %s", args, r)
		}
		after := w.state().Zone("san01")
		if after.State != "configured" || !reflect.DeepEqual(after.Publishers, before.Publishers) || !reflect.DeepEqual(after.Packages, before.Packages) {
			t.Errorf("%v changed the zone: %+v", args, after)
		}
	}
}

// A sparse zone: a failed attach leaves the overlays unmounted, pkg
// refuses the image (exit 51) until they are back, by either way.
func TestSparseOverlays(t *testing.T) {
	w := newOmniOS(t)
	root := w.root("sp01")
	svc, fm := "rpool/zones/sp01/ROOT/zbe/svc", "rpool/zones/sp01/ROOT/zbe/fm"
	if z := w.state().Zone("sp01"); !z.Partial || len(z.Overlays) != 2 || z.Overlays[0].Mounted {
		t.Fatalf("installed sparse zone: %+v", z)
	}
	w.toDetached("sp01")
	for _, ds := range []string{svc, fm} {
		if got := w.ok("zfs", "list", "-H", "-o", "mountpoint,mounted,canmount", ds); !strings.HasSuffix(got, "\tyes\ton\n") {
			t.Errorf("detached %s: %q", ds, got)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "lib/svc", keyFile)); err != nil {
		t.Error(err)
	}
	w.ok("pkg", "-R", root, "list", "-H", "entire")

	w.expectCode(1, "zoneadm", "-z", "sp01", "attach", "-u") // gz-publishers
	for _, ds := range []string{svc, fm} {
		got := w.ok("zfs", "get", "-H", "-o", "value,source", "mountpoint", ds)
		if !strings.HasPrefix(got, root+"/") || !strings.Contains(got, "inherited from rpool/zones/sp01/ROOT/zbe") {
			t.Errorf("%s after the failed attach: %q", ds, got)
		}
		if got := w.ok("zfs", "list", "-H", "-o", "mounted,canmount", ds); got != "no\tnoauto\n" {
			t.Errorf("%s: %q", ds, got)
		}
	}
	keyErr := "pkg: Image is missing key file. Is everything mounted? 'lib/svc/.org.opensolaris,pkgkey'\n"
	for _, args := range [][]string{{"list", "-H"}, {"publisher", "-H", "-F", "tsv"}, {"install", "--accept", "entire@11-151054.0"}, {"update"}} {
		if r := w.expectCode(51, "pkg", append([]string{"-R", root}, args...)...); r.err != keyErr {
			t.Errorf("pkg %v: %s", args, r)
		}
	}
	// (a) mount -F zfs refuses a dataset whose mountpoint is not legacy.
	r := w.expectCode(1, "mount", "-F", "zfs", "-O", svc, root+"/lib/svc")
	if !strings.HasPrefix(r.err, "filesystem '"+svc+"' cannot be mounted using 'mount -F zfs'\nUse 'zfs set mountpoint=") {
		t.Errorf("mount -F zfs of an inherited mountpoint: %s", r)
	}
	w.ok("zfs", "set", "mountpoint=legacy", svc)
	w.ok("mount", "-F", "zfs", "-O", svc, root+"/lib/svc")
	// Still the fm one.
	if r := w.expectCode(51, "pkg", "-R", root, "list"); !strings.Contains(r.err, "'usr/lib/fm/.org.opensolaris,pkgkey'") {
		t.Errorf("one overlay back: %s", r)
	}
	// (b) a mountpoint of its own, then zfs mount -O: noauto may be
	// mounted by name, off may not.
	w.ok("zfs", "set", "mountpoint="+root+"/usr/lib/fm", fm)
	if got := w.ok("zfs", "list", "-H", "-o", "mounted", fm); got != "no\n" {
		t.Errorf("set mountpoint mounted a noauto dataset: %q", got)
	}
	w.ok("zfs", "set", "canmount=off", fm)
	if r := w.expectCode(1, "zfs", "mount", "-O", fm); r.err != "cannot mount '"+fm+"': 'canmount' property is set to 'off'\n" {
		t.Errorf("canmount=off: %s", r)
	}
	w.ok("zfs", "set", "canmount=noauto", fm)
	w.ok("zfs", "mount", "-O", fm)
	w.ok("pkg", "-R", root, "list", "-H", "entire")
	if !strings.Contains(w.ok("mount", "-p"), fm+" - "+root+"/usr/lib/fm zfs") {
		t.Error("mount -p lacks the fm overlay")
	}
	// umount: the zone root is busy while an overlay is mounted on it.
	w.expectCode(1, "umount", root)
	w.ok("umount", root+"/lib/svc")
	w.expectCode(51, "pkg", "-R", root, "list")
	w.ok("mount", "-F", "zfs", svc, root+"/lib/svc")

	// Cured, attach -u mounts the overlays itself, legacy and noauto.
	w.ok("pkg", "unset-publisher", "extra.omnios", "local")
	w.ok("zoneadm", "-z", "sp01", "attach", "-u")
	z := w.state().Zone("sp01")
	for _, o := range z.Overlays {
		d := w.state().Dataset(o.Dataset)
		if !o.Mounted || d.Mountpoint != "legacy" || d.MountpointSource == "local" || d.Canmount != "noauto" {
			t.Errorf("after attach: %+v %+v", o, d)
		}
	}
	w.ok("pkg", "-R", root, "list", "-H", "entire")
	// A halt and boot take the overlays along.
	w.ok("zoneadm", "-z", "sp01", "boot")
	w.ok("zoneadm", "-z", "sp01", "halt")
	if z := w.state().Zone("sp01"); z.Overlays[0].Mounted || z.Mounted {
		t.Errorf("halted: %+v", z)
	}
	w.ok("zoneadm", "-z", "sp01", "boot")
	if z := w.state().Zone("sp01"); !z.Overlays[0].Mounted || !z.Overlays[1].Mounted {
		t.Errorf("booted: %+v", z.Overlays)
	}
}

// image-create -f -z over a sparse root drops the partial image.
func TestSparseImageCreate(t *testing.T) {
	w := newOmniOS(t)
	if !w.state().Zone("ps01").Partial {
		t.Fatal("pkgsrc zone not partial")
	}
	w.ok("pkg", "image-create", "-f", "-z", "-p", "omnios=https://pkg.omnios.org/r151054/core/", w.root("ps01"))
	if w.state().Zone("ps01").Partial {
		t.Error("still partial after image-create")
	}
}

// The backup twin sorts first with the zonepath as mountpoint, is not
// mounted, and nothing of a night's work on the zone changes it.
func TestBackupTwin(t *testing.T) {
	w := newOmniOS(t)
	out := w.ok("zfs", "list", "-H", "-o", "name,mountpoint,mounted")
	zp := filepath.Join(w.dir, "zones", "tw01")
	twin := strings.Index(out, "backup/zones/tw01\t"+zp+"\tno\n")
	real := strings.Index(out, "rpool/zones/tw01\t"+zp+"\tyes\n")
	if twin < 0 || real < 0 || twin > real {
		t.Fatalf("zfs list:\n%s", out)
	}
	if got := w.ok("zfs", "get", "-H", "-o", "value", "mounted", "backup/zones/tw01"); got != "no\n" {
		t.Errorf("mounted %q", got)
	}
	twins := func(s *State) []DatasetState {
		var out []DatasetState
		for _, d := range s.Datasets {
			if strings.HasPrefix(d.Name, "backup/zones/tw01") {
				out = append(out, d)
			}
		}
		return out
	}
	before := twins(w.showJSON())
	if len(before) != 3 || len(before[0].Snapshots) != 2 || w.showJSON().Zone("tw01").BackupTwin != "backup/zones/tw01" {
		t.Fatalf("twin %+v", before)
	}
	w.ok("zoneadm", "-z", "tw01", "halt")
	w.ok("zfs", "snapshot", "-r", "rpool/zones/tw01@job")
	w.toDetached("tw01")
	w.ok("zoneadm", "-z", "tw01", "attach", "-u")
	w.ok("zfs", "destroy", "-r", "rpool/zones/tw01@job")
	if after := twins(w.showJSON()); !reflect.DeepEqual(after, before) {
		t.Errorf("twin changed:\n%+v\n%+v", before, after)
	}
}

// delegated: the dataset under the zonepath is in a recursive snapshot
// and its files come back with a rollback.
func TestDelegatedDataset(t *testing.T) {
	w := newOmniOS(t)
	ds := "rpool/zones/tw01/data"
	if w.state().Zone("tw01").Delegated != ds {
		t.Fatal("no delegated dataset")
	}
	w.ok("zfs", "snapshot", "-r", "rpool/zones/tw01@job")
	if !strings.Contains(w.ok("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", "rpool/zones/tw01"), ds+"@job\n") {
		t.Error("recursive snapshot without the delegated dataset")
	}
	f := filepath.Join(w.dir, dataDir, strings.ReplaceAll(ds, "/", "%"), "db/records.txt")
	was, _ := os.ReadFile(f)
	os.WriteFile(f, []byte("changed\n"), 0o644)
	w.ok("zfs", "rollback", ds+"@job")
	if now, _ := os.ReadFile(f); string(now) != string(was) || len(was) == 0 {
		t.Errorf("after rollback %q, want %q", now, was)
	}
}

// auto-snapshots: a snapshot after each attach; plain rollback fails with
// the two-line text, -r destroys them.
func TestAutoSnapshots(t *testing.T) {
	w := newOmniOS(t)
	zbe := "rpool/zones/as01/ROOT/zbe"
	w.ok("zfs", "snapshot", "-r", "rpool/zones/as01@job")
	w.toDetached("as01")
	w.expectCode(1, "zoneadm", "-z", "as01", "attach", "-u")
	w.expectCode(1, "zoneadm", "-z", "as01", "attach", "-u")
	snaps := strings.Fields(w.ok("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", zbe))
	if len(snaps) != 3 || !strings.HasPrefix(snaps[1], zbe+"@zfs-auto-snap_frequent-") {
		t.Fatalf("snapshots %v", snaps)
	}
	txg := strings.Fields(w.ok("zfs", "list", "-H", "-t", "snapshot", "-o", "createtxg", "-r", zbe))
	if !(txg[0] < txg[1] && txg[1] < txg[2]) {
		t.Errorf("createtxg %v", txg)
	}
	r := w.expectCode(1, "zfs", "rollback", zbe+"@job")
	want := "cannot rollback to '" + zbe + "@job': more recent snapshots or bookmarks exist\n" +
		"use '-r' to force deletion of the following snapshots and bookmarks:\n" + snaps[1] + "\n" + snaps[2] + "\n"
	if r.err != want {
		t.Errorf("rollback: %q, want %q", r.err, want)
	}
	w.ok("zfs", "rollback", "-r", zbe+"@job")
	if got := w.ok("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", zbe); got != zbe+"@job\n" {
		t.Errorf("after -r: %q", got)
	}
}

// be-clone: a newer snapshot with a clone stops rollback -r; -R destroys
// the clone.
func TestBEClone(t *testing.T) {
	w := newOmniOS(t)
	zbe := "rpool/zones/bc01/ROOT/zbe"
	w.ok("zfs", "snapshot", "-r", "rpool/zones/bc01@job")
	w.toDetached("bc01")
	w.expectCode(1, "zoneadm", "-z", "bc01", "attach", "-u")
	name := w.state().GZ.BEs[len(w.state().GZ.BEs)-1].Name
	if name != "omnios-r151054-backup-1" {
		t.Errorf("new BE %q", name)
	}
	clone := "rpool/zones/bc01/ROOT/zbe-1"
	if got := w.ok("zfs", "get", "-H", "-o", "value", "clones", zbe+"@"+name); got != clone+"\n" {
		t.Errorf("clones %q", got)
	}
	if got := w.ok("zfs", "list", "-H", "-t", "snapshot", "-o", "name,createtxg,clones", "-r", zbe); !strings.Contains(got, "@job\t") || !strings.Contains(got, "\t"+clone+"\n") {
		t.Errorf("list:\n%s", got)
	}
	if got := w.ok("zfs", "list", "-H", "-o", "origin", clone); got != zbe+"@"+name+"\n" {
		t.Errorf("origin %q", got)
	}
	r := w.expectCode(1, "zfs", "rollback", "-r", zbe+"@job")
	if want := "cannot rollback to '" + zbe + "@job': clones of previous snapshots exist\nuse '-R' to force deletion of the following clones and dependents:\n" + clone + "\n"; r.err != want {
		t.Errorf("rollback -r: %q", r.err)
	}
	r = w.expectCode(1, "zfs", "destroy", zbe+"@"+name)
	if !strings.HasPrefix(r.err, "cannot destroy '"+zbe+"@"+name+"': snapshot has dependent clones\nuse '-R'") {
		t.Errorf("destroy: %s", r)
	}
	// The clone's parentbe is the new BE: the zone's active zbe stays.
	if z := w.state().Zone("bc01"); z.ZBE != zbe {
		t.Errorf("zbe %s", z.ZBE)
	}
	w.ok("zfs", "rollback", "-R", zbe+"@job")
	if w.state().Dataset(clone) != nil {
		t.Error("clone survived -R")
	}
	// Once only.
	w.expectCode(1, "zoneadm", "-z", "bc01", "attach", "-u")
	if w.state().Dataset(clone) != nil {
		t.Error("a second clone")
	}
}

func TestExpectOmniOS(t *testing.T) {
	ladder := domain.DefaultLadder
	tr := func(names ...string) []Trouble {
		var out []Trouble
		for _, n := range names {
			out = append(out, Trouble{Name: n, CuredBy: CuredBy[n]})
		}
		return out
	}
	all := []string{domain.RungRemoveConflicts, domain.RungRecreateImage}
	s := &State{GZ: GZState{Publishers: []Publisher{{Name: "omnios"}, {Name: "extra.omnios"}, {Name: "local"}}}, Zones: []ZoneState{
		{Name: "vm", State: "running", Brand: BrandBhyve},
		{Name: "lx", State: "running", Brand: BrandLx},
		{Name: "san", State: "running", Brand: BrandIpkg, Troubles: tr(TroubleStaleImage), Faults: []string{FaultSanityFails}},
		{Name: "clone", State: "running", Brand: BrandIpkg, Troubles: tr(TroubleBrokenImage), Faults: []string{FaultBEClone}},
		{Name: "clone-ok", State: "running", Brand: BrandIpkg, Troubles: tr(TroubleStaleImage), Faults: []string{FaultBEClone}},
		{Name: "snaps", State: "running", Brand: BrandIpkg, Troubles: tr(TroubleStaleImage), Faults: []string{FaultAutoSnapshots, FaultDelegated}},
		{Name: "sparse", State: "running", Brand: BrandSparse, Troubles: tr(TroubleBrokenImage)},
		{Name: "sparse-conf", State: "running", Brand: BrandPkgsrc, Troubles: tr(TroubleConflicts)},
		{Name: "gz", State: "running", Brand: BrandLipkg, Troubles: tr(TroubleGZPublishers)},
	}}
	cases := []struct {
		zone  string
		allow []string
		want  Expectation
	}{
		{"vm", nil, Expectation{Result: "blocked"}},
		{"lx", all, Expectation{Result: "blocked"}},
		{"san", all, Expectation{Result: "rolled-back"}},
		{"clone", nil, Expectation{Result: "failed"}},
		{"clone", all, Expectation{Result: "upgraded", Rung: domain.RungRecreateImage}},
		{"clone-ok", nil, Expectation{Result: "upgraded", Rung: domain.RungImageUpdate}},
		{"snaps", nil, Expectation{Result: "upgraded", Rung: domain.RungImageUpdate}},
		{"sparse", all, Expectation{Result: "rolled-back"}},
		{"sparse-conf", all, Expectation{Result: "upgraded", Rung: domain.RungRemoveConflicts}},
		{"gz", nil, Expectation{Result: "upgraded", Rung: domain.RungGlobalPublishers, Alt: "attach-update"}},
	}
	for _, c := range cases {
		if got := s.Expect(c.zone, ladder, c.allow); got != c.want {
			t.Errorf("%s allow %v: got %+v, want %+v", c.zone, c.allow, got, c.want)
		}
	}
}

// An omnios fleet has every brand and fault, is the same for a seed, and
// more than half of it fails a plain attach -u.
func TestOmniOSFleet(t *testing.T) {
	w := newWorld(t, 20000, "--profile", "omnios", "--fleet", "36", "--seed", "4")
	s := w.showJSON()
	if s.Profile != ProfileOmniOS || len(s.Zones) != 36 {
		t.Fatalf("%s, %d zones", s.Profile, len(s.Zones))
	}
	brands, faults, troubles := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, z := range s.Zones {
		brands[z.Brand] = true
		for _, f := range z.Faults {
			faults[f] = true
		}
		for _, tr := range z.Troubles {
			troubles[tr.Name] = true
		}
		if !ipsBrand(z.Brand) && (len(z.Troubles) > 0 || len(z.Faults) > 0) {
			t.Errorf("%s %s zone with %v %v", z.Name, z.Brand, z.Troubles, z.Faults)
		}
	}
	for _, b := range brandsOf(ProfileOmniOS) {
		if !brands[b] {
			t.Errorf("brand %s nowhere", b)
		}
	}
	for _, f := range omniosFaults {
		if !faults[f] {
			t.Errorf("fault %s nowhere", f)
		}
	}
	for _, tr := range troublesOf(profiles[ProfileOmniOS]) {
		if !troubles[tr] {
			t.Errorf("trouble %s nowhere", tr)
		}
	}
	again := newWorld(t, 20000, "--profile", "omnios", "--fleet", "36", "--seed", "4").showJSON()
	sig := func(s *State) string {
		var b strings.Builder
		for _, z := range s.Zones {
			b.WriteString(z.Name + z.Brand + z.State + z.Entire + strings.Join(z.Faults, ","))
			for _, tr := range z.Troubles {
				b.WriteString(tr.Name)
			}
		}
		return b.String()
	}
	if sig(s) != sig(again) {
		t.Error("same seed, different fleets")
	}
	failed := 0
	for _, z := range s.Zones {
		w.toDetached(z.Name)
		r := w.run("zoneadm", "-z", z.Name, "attach", "-u")
		wantFail := len(z.Troubles) > 0 || slices.Contains(z.Faults, FaultLockedOnce) || slices.Contains(z.Faults, FaultSanityFails)
		if (r.code != 0) != wantFail {
			t.Errorf("%s (%s, %v, %v): %s", z.Name, z.Brand, z.Troubles, z.Faults, r)
		}
		if r.code != 0 {
			failed++
		}
	}
	if failed*2 <= len(s.Zones) {
		t.Errorf("only %d of %d failed", failed, len(s.Zones))
	}
}
