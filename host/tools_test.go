package host

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"zoneup/domain"
)

// fakeExec answers argv (joined by spaces) from a table and records every
// call, with whether it was a change. An argv it does not know fails with
// exit 127, so a wrong argv fails the test that uses it.
type fakeExec struct {
	t       *testing.T
	answers map[string]Result
	calls   []string
	changes []bool
}

func newFake(t *testing.T) *fakeExec { return &fakeExec{t: t, answers: map[string]Result{}} }

func (f *fakeExec) on(argv string, code int, stdout, stderr string) *fakeExec {
	f.answers[argv] = Result{Code: code, Stdout: []byte(stdout), Stderr: []byte(stderr)}
	return f
}

func (f *fakeExec) Run(_ context.Context, change bool, argv ...string) Result {
	key := strings.Join(argv, " ")
	f.calls = append(f.calls, key)
	f.changes = append(f.changes, change)
	r, ok := f.answers[key]
	if !ok {
		f.t.Logf("fakeExec: unexpected argv %q", key)
		return Result{Argv: argv, Code: 127, Stderr: []byte("fake: unexpected argv")}
	}
	r.Argv = argv
	return r
}

func (f *fakeExec) wantCalls(t *testing.T, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(f.calls, want) {
		t.Fatalf("calls\n got  %q\n want %q", f.calls, want)
	}
}

var ctx = context.Background()

func TestZoneadmTools(t *testing.T) {
	f := newFake(t).
		on("zoneadm list -cp", 0, testdata(t, "zoneadm_list_cp_oi.txt"), "").
		on("zoneadm -z web01 list -p", 0, "3:web01:running:/zones/web01:8f14e45f-ceea-467f-a9e6-1a2b3c4d5e6f:ipkg:excl\n", "").
		on("zoneadm -z nosuch list -p", 1, "", testdata(t, "zoneadm_nosuch_oi.txt")).
		on("zoneadm -z web01 halt", 0, "", "").
		on("zoneadm -z web01 boot", 0, "", "zone 'web01': zone is already booted\n").
		on("zoneadm -z web01 detach", 1, "", testdata(t, "zoneadm_detach_running_oi.txt")).
		on("zoneadm -z busy detach", 1, "", "zoneadm: zone 'busy': another zoneadm may have an operation in progress.\n")
	tl := Tools{X: f}
	zones, err := tl.Zones(ctx)
	if err != nil || len(zones) != 5 || zones[4].Zonepath != "/zones/a:b" {
		t.Fatalf("%+v %v", zones, err)
	}
	z, err := tl.Zone(ctx, "web01")
	if err != nil || z.State != StateRunning || z.Root() != "/zones/web01/root" {
		t.Fatalf("%+v %v", z, err)
	}
	if _, err := tl.Zone(ctx, "nosuch"); !errors.Is(err, ErrNoSuchZone) || Code(err) != 1 {
		t.Fatalf("unknown zone: %v", err)
	}
	if err := tl.Halt(ctx, "web01"); err != nil {
		t.Fatal(err)
	}
	if err := tl.Boot(ctx, "web01"); err != nil {
		t.Fatal(err)
	}
	err = tl.Detach(ctx, "web01")
	if err == nil || errors.Is(err, ErrTransient) || !strings.HasSuffix(err.Error(), "detach operation is invalid for running zones.") {
		t.Fatalf("detach of a running zone: %v", err)
	}
	if err := tl.Detach(ctx, "busy"); !errors.Is(err, ErrTransient) {
		t.Fatalf("zone lock: %v", err)
	}
	if _, err := tl.Zone(ctx, ""); !errors.Is(err, domain.ErrBadZoneName) {
		t.Fatal(err)
	}
	if want := []bool{false, false, false, true, true, true, true}; !reflect.DeepEqual(f.changes, want) {
		t.Fatalf("change flags %v, want %v", f.changes, want)
	}
}

func TestAttachUpdate(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "web01.attach_log.XyZ123") // not /var/tmp
	os.MkdirAll(filepath.Dir(logPath), 0o755)
	os.WriteFile(logPath, []byte(testdata(t, "sim_attach_lock01_oi.log")), 0o644)
	stdout := "Log File: " + logPath + "\n  Updating non-global zone: Output follows\nERROR: Could not update attaching zone\n                    Result: Attach Failed.\n"
	okLog := filepath.Join(dir, "ok.log")
	os.WriteFile(okLog, []byte("[x] Result: Attach Succeeded.\n"), 0o644)
	f := newFake(t).
		on("zoneadm -z web01 attach -u", 1, stdout, "").
		on("zoneadm -z good attach -u", 0, "Log File: "+okLog+"\n                    Result: Attach Succeeded.\n", "").
		on("zoneadm -z gone attach -u", 1, "", "zoneadm: gone: No such zone configured\n").
		on("zoneadm -z busy attach -u", 1, "", "zoneadm: zone 'busy': another zoneadm may have an operation in progress.\n").
		on("zoneadm -z nolog attach -u", 1, testdata(t, "attach_pkgfail_oi.stdout"), "")
	tl := Tools{X: f}

	res, err := tl.AttachUpdate(ctx, "web01")
	if res.LogFile != logPath || !strings.Contains(res.Log, "currently in use by another package client") || res.Stdout != stdout {
		t.Fatalf("%+v", res)
	}
	if res.Failure.Kind != FailLocked || !errors.Is(err, ErrTransient) || Code(err) != 1 {
		t.Fatalf("image locked: %+v %v", res.Failure, err)
	}
	if !strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("message %q", err)
	}

	res, err = tl.AttachUpdate(ctx, "good")
	if err != nil || res.Failure != (Failure{}) || res.Log == "" {
		t.Fatalf("success: %+v %v", res, err)
	}
	res, err = tl.AttachUpdate(ctx, "gone")
	if !errors.Is(err, ErrNoSuchZone) || res.Failure.Kind != FailOther || res.Failure.Line != "zoneadm: gone: No such zone configured" {
		t.Fatalf("gone: %+v %v", res, err)
	}
	res, err = tl.AttachUpdate(ctx, "busy")
	if !errors.Is(err, ErrTransient) || res.Failure.Kind != FailLocked {
		t.Fatalf("busy: %+v %v", res, err)
	}
	res, err = tl.AttachUpdate(ctx, "nolog")
	if err == nil || errors.Is(err, ErrTransient) || res.LogFile != "" || res.Log != "" || res.Failure.Kind != FailOther {
		t.Fatalf("no log: %+v %v", res, err)
	}
	for _, ch := range f.changes {
		if !ch {
			t.Fatal("attach -u run as a read")
		}
	}
}

func TestZFSTools(t *testing.T) {
	nosuch := "cannot open 'rpool/zones/web01@zoneup-1': dataset does not exist\n"
	f := newFake(t).
		on("zfs list -H -t filesystem -o name,mountpoint,mounted", 0, testdata(t, "zfs_list_name_mountpoint_mounted_backup.txt"), "").
		on("zfs get -H -p -o value used rpool/zones/web01/ROOT/zbe", 0, "1567289344\n", "").
		on("zfs get -H -p -o value available rpool/nosuch", 1, "", "cannot open 'rpool/nosuch': dataset does not exist\n").
		on("zfs get -H -p -o value org.x:y rpool/zones/web01", 0, "-\n", "").
		on("zfs list -H -t snapshot -o name rpool/zones/web01@zoneup-1", 1, "", nosuch).
		on("zfs list -H -t snapshot -o name rpool/zones/web01@zoneup-2", 0, "rpool/zones/web01@zoneup-2\n", "").
		on("zfs list -H -t snapshot -o name rpool/zones/web01@zoneup-3", 1, "", "internal error: out of memory\n").
		on("zfs snapshot -r rpool/zones/web01@zoneup-2", 1, "", "cannot create snapshot 'rpool/zones/web01@zoneup-2': dataset already exists\n").
		on("zfs list -H -t snapshot -o name -r rpool/zones/web01", 0, testdata(t, "sim_zfs_list_snapshots_oi.txt"), "").
		on("zfs rollback rpool/zones/web01/ROOT/zbe@zoneup-test", 0, "", "").
		on("zfs destroy rpool/zones/web01@x", 0, "", "").
		on("zfs list -H -r -t filesystem,snapshot -o name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active rpool/zones/web01", 0, testdata(t, "sim_zfs_list_tree_s11e.txt"), "")
	tl := Tools{X: f}
	// The received backup has the same mountpoint, sorts first, and is not
	// mounted: it is never the zone's (reference 10.5).
	ds, err := tl.DatasetAt(ctx, "/zones/web01/")
	if err != nil || ds != "rpool/zones/web01" {
		t.Fatalf("%q %v", ds, err)
	}
	if _, err := tl.DatasetAt(ctx, "/zones/nosuch"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("plain folder: %v", err)
	}
	if n, err := tl.GetNumber(ctx, "rpool/zones/web01/ROOT/zbe", "used"); err != nil || n != 1567289344 {
		t.Fatalf("%d %v", n, err)
	}
	if _, err := tl.GetNumber(ctx, "rpool/nosuch", "available"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("%v", err)
	}
	if _, err := tl.GetNumber(ctx, "rpool/zones/web01", "org.x:y"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("unset property: %v", err)
	}
	if ok, err := tl.SnapshotExists(ctx, "rpool/zones/web01@zoneup-1"); ok || err != nil {
		t.Fatalf("missing snapshot: %v %v", ok, err)
	}
	if ok, err := tl.SnapshotExists(ctx, "rpool/zones/web01@zoneup-2"); !ok || err != nil {
		t.Fatalf("snapshot: %v %v", ok, err)
	}
	if _, err := tl.SnapshotExists(ctx, "rpool/zones/web01@zoneup-3"); err == nil {
		t.Fatal("a failing zfs list is not an answer")
	}
	if err := tl.Snapshot(ctx, "rpool/zones/web01@zoneup-2"); err == nil || errors.Is(err, ErrNotFound) || Code(err) != 1 {
		t.Fatalf("existing snapshot: %v", err)
	}
	snaps, err := tl.Snapshots(ctx, "rpool/zones/web01")
	if err != nil || len(snaps) != 4 || snaps[3] != "rpool/zones/web01/ROOT/zbe-1@zoneup-test" {
		t.Fatalf("%q %v", snaps, err)
	}
	if err := tl.Rollback(ctx, "rpool/zones/web01/ROOT/zbe@zoneup-test"); err != nil {
		t.Fatal(err)
	}
	if err := tl.Destroy(ctx, "rpool/zones/web01@x"); err != nil {
		t.Fatal(err)
	}
	rows, err := tl.ZoneBEs(ctx, "rpool/zones/web01")
	if err != nil || len(rows) != 6 || rows[1].Name != "rpool/zones/web01@zoneup-1" {
		t.Fatalf("%+v %v", rows, err)
	}
	// A snapshot of the zone BE is never a zone BE, whatever properties it
	// shows.
	rows[5].ParentBE, rows[5].Active = rows[4].ParentBE, "on"
	if zbe, err := PickActiveZBE(rows, "rpool/zones/web01", rows[4].ParentBE); err != nil || zbe != "rpool/zones/web01/ROOT/zbe" {
		t.Fatalf("%q %v", zbe, err)
	}
}

func TestActiveZBE(t *testing.T) {
	libbe := "zfs list -H -r -t filesystem,snapshot -o name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active rpool/zones/web01"
	f := newFake(t).
		on("beadm list -H", 0, testdata(t, "beadm_list_H_oi.txt"), "").
		on(libbe, 0, testdata(t, "zfs_list_libbe_oi.txt"), "").
		on("mount -p", 0, testdata(t, "mount_p_oi.txt"), "")
	tl := Tools{X: f}
	running := Zone{Name: "web01", State: StateRunning, Zonepath: "/zones/web01"}
	if zbe, err := tl.ActiveZBE(ctx, running, "rpool/zones/web01"); err != nil || zbe != "rpool/zones/web01/ROOT/zbe" {
		t.Fatalf("%q %v", zbe, err)
	}
	f.wantCalls(t, "beadm list -H", libbe)
	f.calls = nil
	detached := running
	detached.State = StateConfigured
	if zbe, err := tl.ActiveZBE(ctx, detached, "rpool/zones/web01"); err != nil || zbe != "rpool/zones/web01/ROOT/zbe" {
		t.Fatalf("%q %v", zbe, err)
	}
	f.wantCalls(t, "mount -p")
	other := Zone{Name: "db01", State: StateConfigured, Zonepath: "/zones/db01"}
	if _, err := tl.ActiveZBE(ctx, other, "rpool/zones/db01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("nothing mounted: %v", err)
	}
	f.on("beadm list -H", 0, "a;u;R;;1;static;1\n", "")
	if _, err := tl.ActiveZBE(ctx, running, "rpool/zones/web01"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "global zone boot environment") {
		t.Fatalf("no active GZ BE: %v", err)
	}
}

func TestMountTools(t *testing.T) {
	f := newFake(t).
		on("mount -p", 0, "rpool/a - /z/root zfs - no rw\nrpool/b - /z/root zfs - no ro\nswap - /tmp tmpfs - no -\n", "").
		on("mount -F zfs rpool/zones/web01/ROOT/zbe /zones/web01/root", 0, "", "").
		on("umount /zones/web01/root", 1, "", "umount: /zones/web01/root busy\n")
	tl := Tools{X: f}
	m, ok, err := tl.MountedAt(ctx, "/z/root/")
	if err != nil || !ok || m.Special != "rpool/b" {
		t.Fatalf("last line wins: %+v %v %v", m, ok, err)
	}
	if _, ok, err := tl.MountedAt(ctx, "/z"); ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	if err := tl.MountZFS(ctx, "rpool/zones/web01/ROOT/zbe", "/zones/web01/root"); err != nil {
		t.Fatal(err)
	}
	if err := tl.Umount(ctx, "/zones/web01/root"); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Fatal(err)
	}
}

func TestPkgTools(t *testing.T) {
	const zr = "/zones/web01/root"
	f := newFake(t).
		on("pkg -R / publisher -H -F tsv", 0, testdata(t, "sim_pkg_publisher_tsv_oi.txt"), "")
	for _, name := range []string{"openindiana.org", "hipster-encumbered", "extra"} {
		block := ""
		for _, b := range strings.Split(testdata(t, "sim_pkg_publisher_info_oi.txt"), "\n\n") {
			if strings.Contains(b, "Publisher: "+name+"\n") {
				block = b
			}
		}
		f.on("pkg -R / publisher "+name, 0, "\n"+block+"\n", "")
	}
	f.on("pkg -R "+zr+" publisher -H -F tsv", 1, "", "pkg: No image rooted at '"+zr+"'\n").
		on("pkg -R / publisher nosuch", 1, "", "pkg publisher: Unknown publisher 'nosuch'.\n").
		on("pkg -R "+zr+" unset-publisher a b", 3, "", "Removal failed for 'a': The preferred publisher cannot be removed.\n").
		on("pkg -R "+zr+" install -v --accept entire@0.5.11-0.134", 4, "No updates necessary for this image.\n", "").
		on("pkg -R "+zr+" install -v --accept system/library", 7, "", testdata(t, "pkg_locked_oi.txt")).
		on("pkg -R "+zr+" uninstall -v web/php-52 web/server/apache-22", 0, "", "").
		on("pkg -R "+zr+" image-update -v", 2, "", "pkg: unknown subcommand 'image-update'\n\nUsage:\n        pkg [options] command [cmd_options] [operands]\n").
		on("pkg -R "+zr+" update -v", 4, "No updates available for this image.\n", "").
		on("pkg image-create -f -z -p solaris=http://pkg.oracle.com/solaris/release/ "+zr, 0, "", "").
		on("pkg -R "+zr+" list -H", 0, testdata(t, "sim_pkg_list_H_s11e.txt"), "").
		on("pkg -R "+zr+" list -H entire", 0, testdata(t, "sim_pkg_list_H_entire_s11e.txt"), "").
		on("pkg -R /new list -H", 1, "", "pkg list: no packages installed\n").
		on("pkg -R /new list -H entire", 1, "", "pkg list: no packages matching 'entire' installed\n").
		on("pkg -R /quiet list -H entire", 1, "", "").
		on("pkg -R /quiet image-update -v", 2, "", "Usage:\n        pkg [options] command [cmd_options] [operands]\n").
		on("pkg -R /quiet update -v", 0, "", "").
		on("pkg -R / set-publisher --no-refresh -g http://pkg.example.com/extra/ --disable --sticky extra", 0, "", "")
	tl := Tools{X: f}

	pubs, err := tl.ReadPublishers(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	want := []Publisher{
		{Name: "openindiana.org", Origins: []string{"http://pkg.openindiana.org/hipster/"}, Enabled: true, Sticky: true},
		{Name: "hipster-encumbered", Origins: []string{"http://pkg.openindiana.org/hipster-encumbered/"}, Enabled: true, Sticky: true},
		{Name: "extra", Origins: []string{"http://pkg.example.com/extra/"}, Enabled: false, Sticky: true}, // the tsv said true (6.4a)
	}
	if !reflect.DeepEqual(pubs, want) {
		t.Fatalf("got  %+v\nwant %+v", pubs, want)
	}
	if _, err := tl.Publishers(ctx, zr); !errors.Is(err, ErrNoImage) {
		t.Fatalf("no image: %v", err)
	}
	if _, err := tl.PublisherInfo(ctx, "/", "nosuch"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown publisher: %v", err)
	}
	if err := tl.UnsetPublisher(ctx, zr, "a", "b"); Code(err) != 3 {
		t.Fatalf("partial: %v", err)
	}
	n := len(f.calls)
	if err := tl.UnsetPublisher(ctx, zr); err != nil || len(f.calls) != n {
		t.Fatal("no names ran something")
	}
	if nothing, err := tl.Install(ctx, zr, "entire@0.5.11-0.134"); !nothing || err != nil {
		t.Fatalf("exit 4: %v %v", nothing, err)
	}
	if _, err := tl.Install(ctx, zr, "system/library"); !errors.Is(err, ErrTransient) || Code(err) != 7 {
		t.Fatalf("locked: %v", err)
	}
	if nothing, err := tl.Uninstall(ctx, zr, "web/php-52", "web/server/apache-22"); nothing || err != nil {
		t.Fatalf("%v %v", nothing, err)
	}
	if nothing, err := tl.ImageUpdate(ctx, zr); !nothing || err != nil {
		t.Fatalf("update fallback: %v %v", nothing, err)
	}
	if err := tl.ImageCreate(ctx, zr, "solaris", "http://pkg.oracle.com/solaris/release/"); err != nil {
		t.Fatal(err)
	}
	pkgs, err := tl.List(ctx, zr)
	if err != nil || len(pkgs) != 13 || pkgs[2].Stem != "library/libevent" || pkgs[2].Publisher != "pending" {
		t.Fatalf("%+v %v", pkgs, err)
	}
	if v, err := tl.EntireVersion(ctx, zr); v != "0.5.11-0.134" || err != nil {
		t.Fatalf("%q %v", v, err)
	}
	if _, err := tl.List(ctx, "/new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty image: %v", err)
	}
	if _, err := tl.EntireVersion(ctx, "/new"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no entire: %v", err)
	}
	// The reference gives exit 1 for a pattern that matches nothing, and
	// exit 2 for a usage error, in no fixed words.
	if _, err := tl.EntireVersion(ctx, "/quiet"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no entire, no words: %v", err)
	}
	if nothing, err := tl.ImageUpdate(ctx, "/quiet"); nothing || err != nil {
		t.Fatalf("update fallback on a bare usage error: %v %v", nothing, err)
	}
	off, on := false, true
	if err := tl.SetPublisher(ctx, "/", SetPublisherArgs{Name: "extra", AddOrigins: []string{"http://pkg.example.com/extra/"}, Enable: &off, Sticky: &on, NoRefresh: true}); err != nil {
		t.Fatal(err)
	}
	calls := len(f.calls)
	// Refused without running anything.
	for _, err := range []error{
		tl.SetPublisher(ctx, "/", SetPublisherArgs{Name: "-P"}),
		tl.SetPublisher(ctx, "", SetPublisherArgs{Name: "x"}),
		tl.ImageCreate(ctx, "/", "solaris", "http://x/"),
		tl.ImageCreate(ctx, "zones/web01/root", "solaris", "http://x/"),
		tl.ImageCreate(ctx, zr, "", "http://x/"),
		tl.UnsetPublisher(ctx, "", "x"),
	} {
		if err == nil {
			t.Error("a bad call was not refused")
		}
	}
	if _, err := tl.Uninstall(ctx, "", "x"); err == nil {
		t.Error("uninstall without a root")
	}
	if len(f.calls) != calls {
		t.Fatalf("refused calls ran: %q", f.calls[calls:])
	}
	for i, c := range f.calls {
		if strings.HasPrefix(c, "pkg ") && !strings.HasPrefix(c, "pkg -R ") && !strings.HasPrefix(c, "pkg image-create ") {
			t.Errorf("call %d without -R: %q", i, c)
		}
		if strings.Contains(c, " uninstall -r") || strings.Contains(c, " uninstall -v -r") {
			t.Errorf("recursive uninstall: %q", c)
		}
	}
}

func TestSetPublisherArgv(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name string
		a    SetPublisherArgs
		root string
		want string
	}{
		{"name only", SetPublisherArgs{Name: "solaris"}, "/", "pkg -R / set-publisher solaris"},
		{"step release", SetPublisherArgs{Name: "opensolaris.org", Preferred: true, SetOrigin: "http://pkg.opensolaris.org/release/"}, "/z/root",
			"pkg -R /z/root set-publisher -P -O http://pkg.opensolaris.org/release/ opensolaris.org"},
		{"everything, in order", SetPublisherArgs{Name: "site", Preferred: true, SetOrigin: "http://o/", AddOrigins: []string{"http://g1/", "http://g2/"},
			AddMirrors: []string{"http://m1/"}, Enable: &yes, Sticky: &no, SSLKey: "/k", SSLCert: "/c", Proxy: "http://p:3128", NoRefresh: true}, "/",
			"pkg -R / set-publisher --no-refresh -P -O http://o/ -g http://g1/ -g http://g2/ -m http://m1/ --enable --non-sticky -k /k -c /c --proxy http://p:3128 site"},
		{"restore a disabled one", SetPublisherArgs{Name: "extra", AddOrigins: []string{"http://e/"}, Enable: &no, Sticky: &yes, NoRefresh: true}, "/",
			"pkg -R / set-publisher --no-refresh -g http://e/ --disable --sticky extra"},
		{"search order", SetPublisherArgs{Name: "extra", SearchAfter: "opensolaris.org", NoRefresh: true}, "/",
			"pkg -R / set-publisher --no-refresh --search-after=opensolaris.org extra"},
		{"properties back, in name order", SetPublisherArgs{Name: "local", AddOrigins: []string{"http://z/", "http://a/"}, Enable: &no, NoRefresh: true,
			SetProperties: map[string]string{"signature-policy": "ignore", "a-prop": "1"}}, "/",
			"pkg -R / set-publisher --no-refresh -g http://z/ -g http://a/ --disable --set-property a-prop=1 --set-property signature-policy=ignore local"},
	}
	for _, tc := range tests {
		if got := strings.Join(tc.a.Argv(tc.root), " "); got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
	}
}

func TestZloginTools(t *testing.T) {
	const fmri = "svc:/milestone/multi-user-server:default"
	f := newFake(t).
		on("zlogin web01 svcs -H -o state "+fmri, 0, "offline*\n", "").
		on("zlogin db01 svcs -H -o state "+fmri, 1, "", "zlogin: login allowed only to running zones (db01 is 'installed').\n").
		on("zlogin web01 svcs -x", 0, "\nsvc:/network/http:apache22 (Apache 2.2 HTTP server)\n State: maintenance\n", "").
		on("zlogin quiet svcs -H -o state "+fmri, 0, "", "").
		on("svcprop -p config/window svc:/application/zoneup:default", 0, "always\n", "")
	tl := Tools{X: f}
	if s, err := tl.SvcState(ctx, "web01", fmri); s != "offline" || err != nil {
		t.Fatalf("%q %v", s, err)
	}
	if _, err := tl.SvcState(ctx, "db01", fmri); err == nil || !strings.Contains(err.Error(), "login allowed only to running zones") {
		t.Fatal(err)
	}
	if _, err := tl.SvcState(ctx, "quiet", fmri); err == nil {
		t.Fatal("empty output is not a state")
	}
	if out, err := tl.SvcsX(ctx, "web01"); err != nil || !strings.HasPrefix(out, "svc:/network/http:apache22") || strings.HasSuffix(out, "\n") {
		t.Fatalf("%q %v", out, err)
	}
	if b, err := tl.Svcprop(ctx, "-p", "config/window", "svc:/application/zoneup:default"); string(b) != "always\n" || err != nil {
		t.Fatalf("%q %v", b, err)
	}
}

// A Tools without an Executor runs through a default Runner.
func TestZeroTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Tools{}.Zones(ctx)
	if err == nil || Code(err) != -1 {
		t.Fatalf("%v", err)
	}
}

func TestActiveZBEOfAnotherDataset(t *testing.T) {
	f := newFake(t).on("mount -p", 0, "rpool/zones/other/ROOT/zbe - /zones/web01/root zfs - no rw\n", "")
	z := Zone{Name: "web01", State: StateConfigured, Zonepath: "/zones/web01"}
	if zbe, err := (Tools{X: f}).ActiveZBE(ctx, z, "rpool/zones/web01"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("%q %v", zbe, err)
	}
}

// GetNumbers asks for several numbers in one zfs get and keeps only the
// pairs asked for.
func TestGetNumbers(t *testing.T) {
	out := "rpool/zones/web01\tavailable\t161061273600\nrpool/zones/web01\tused\t99\n" +
		"rpool/zones/web01/ROOT/zbe\tavailable\t161061273600\nrpool/zones/web01/ROOT/zbe\tused\t1567289344\n"
	f := newFake(t).on("zfs get -H -p -o name,property,value available,used rpool/zones/web01 rpool/zones/web01/ROOT/zbe", 0, out, "")
	got, err := Tools{X: f}.GetNumbers(ctx, map[[2]string]bool{{"rpool/zones/web01/ROOT/zbe", "used"}: true, {"rpool/zones/web01", "available"}: true})
	if err != nil || len(got) != 2 || got[[2]string{"rpool/zones/web01/ROOT/zbe", "used"}] != 1567289344 || got[[2]string{"rpool/zones/web01", "available"}] != 161061273600 {
		t.Fatalf("%v %v", got, err)
	}
	f2 := newFake(t).on("zfs get -H -p -o name,property,value used rpool/x", 0, "rpool/x\tused\t-\n", "")
	if _, err := (Tools{X: f2}).GetNumbers(ctx, map[[2]string]bool{{"rpool/x", "used"}: true}); err == nil {
		t.Error("a value that is not a number was taken")
	}
}
