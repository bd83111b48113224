package daemon

import (
	"testing"

	"zoneup/host"
)

// The run's facts are learned from the calls' results and forgotten by
// the changes that could make them stale.
func TestJobFacts(t *testing.T) {
	f := &jobFacts{jobID: "J", names: func() (string, string, string, string) {
		return "web01", "/zones/web01/root", "rpool/zones/web01/ROOT/zbe", "rpool/zones/web01"
	}}
	okRes := func(out string) host.Result { return host.Result{Stdout: []byte(out)} }
	fail := func(code int, stderr string) host.Result {
		return host.Result{Code: code, Stderr: []byte(stderr), Err: &host.ExecError{Code: code}}
	}
	read := func(res host.Result, argv ...string) { f.observe(false, argv, res) }
	change := func(res host.Result, argv ...string) { f.observe(true, argv, res) }
	state := func() string {
		z, ok := f.zoneLine()
		if !ok {
			return "?"
		}
		return z.State
	}

	read(okRes("3:web01:running:/zones/web01:uuid:ipkg:shared\n"), "zoneadm", "-z", "web01", "list", "-p")
	if state() != "running" {
		t.Fatalf("after list -p: %s", state())
	}
	change(host.Result{}, "zoneadm", "-z", "web01", "halt")
	change(host.Result{}, "zfs", "snapshot", "-r", "rpool/zones/web01@zoneup-J")
	change(host.Result{}, "pkg", "-R", "/zones/web01/root", "image-update")
	if exists, known := f.snapshotKnown(); state() != "installed" || !exists || !known {
		t.Fatalf("after halt, snapshot, pkg: %s, snapshot %v %v", state(), exists, known)
	}
	change(host.Result{}, "zoneadm", "-z", "web01", "detach")
	if state() != "configured" || !f.root() {
		t.Fatalf("after detach: %s, root mounted %v", state(), f.root())
	}
	f.mountedOverlays()
	change(fail(1, "ERROR: no solution"), "zoneadm", "-z", "web01", "attach", "-u")
	if state() != "configured" || f.root() || f.overlaysMounted() {
		t.Fatalf("after a failed attach -u: %s, root %v, overlays %v", state(), f.root(), f.overlaysMounted())
	}
	change(host.Result{}, "mount", "-F", "zfs", "rpool/zones/web01/ROOT/zbe", "/zones/web01/root")
	if !f.root() {
		t.Fatal("mount -F zfs of the zone BE on the root is not known")
	}
	change(host.Result{Code: -1, Err: &host.ExecError{Code: -1}}, "zoneadm", "-z", "web01", "attach", "-u")
	if state() != "?" {
		t.Fatalf("after a killed attach -u the zone is %s, want unknown", state())
	}
	read(fail(1, "zoneadm: zone 'web01': No such zone configured\n"), "zoneadm", "-z", "web01", "list", "-p")
	read(okRes("rpool/zones/web01/ROOT/zbe - /zones/web01/root zfs - no rw\n"), "mount", "-p")
	if state() != "?" || !f.root() {
		t.Fatalf("after a failed list and mount -p: %s, root %v", state(), f.root())
	}
	change(host.Result{}, "zfs", "set", "mountpoint=/zones/web01/root/lib/svc", "rpool/zones/web01/ROOT/zbe/svc")
	if f.root() {
		t.Error("a zfs set kept the root mounted")
	}
	change(host.Result{}, "zfs", "destroy", "rpool/zones/web01@x")
	if _, known := f.snapshotKnown(); known {
		t.Error("a zfs destroy kept the snapshot known")
	}
	read(fail(1, "cannot open 'rpool/zones/web01@zoneup-J': dataset does not exist\n"), "zfs", "list", "-H", "-t", "snapshot", "-o", "name", "rpool/zones/web01@zoneup-J")
	if exists, known := f.snapshotKnown(); exists || !known {
		t.Errorf("missing snapshot: %v %v", exists, known)
	}
	read(okRes("rpool/zones/web01\t-\t-\nrpool/zones/web01@zoneup-J\t-\t-\n"), "zfs", "list", "-H", "-r", "-t", "filesystem,snapshot",
		"-o", "name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active", "rpool/zones/web01")
	if exists, known := f.snapshotKnown(); !exists || !known {
		t.Errorf("snapshot in the tree: %v %v", exists, known)
	}
	read(okRes("3:web01:running:/zones/web01:uuid:ipkg:shared\n"), "zoneadm", "-z", "web01", "list", "-p")
	change(host.Result{}, "zoneadm", "-z", "web01", "uninstall", "-F")
	change(host.Result{}, "beadm", "activate", "x")
	if state() != "?" || f.root() {
		t.Errorf("a call the rules do not know kept facts: %s, root %v", state(), f.root())
	}
	var none *jobFacts
	if _, ok := none.zoneLine(); ok || none.root() || none.overlaysMounted() {
		t.Error("a nil jobFacts knows something")
	}
}

// The zone image's entire: learned from pkg list or told by the attach
// stage, kept by publisher changes and by the zone BE mounted on the
// root, forgotten by a package change, an attach or another mount.
func TestJobFactsZoneEntire(t *testing.T) {
	f := &jobFacts{jobID: "J", names: func() (string, string, string, string) {
		return "web01", "/zones/web01/root", "rpool/zones/web01/ROOT/zbe", "rpool/zones/web01"
	}}
	entire := func() string {
		v, ok := f.zoneEntire()
		if !ok {
			return "?"
		}
		return v
	}
	read := func(out string, argv ...string) { f.observe(false, argv, host.Result{Stdout: []byte(out)}) }
	change := func(argv ...string) { f.observe(true, argv, host.Result{}) }

	read("entire                                        0.5.11-0.134    installed  -----\n", "pkg", "-R", "/zones/web01/root", "list", "-H", "entire")
	if entire() != "0.5.11-0.134" {
		t.Fatalf("after pkg list -H entire: %s", entire())
	}
	read("entire 0.5.11-0.151.0.1 i--\n", "pkg", "-R", "/", "list", "-H", "entire") // the global zone's
	change("pkg", "-R", "/", "set-publisher", "-G", "*", "-g", "http://x/", "solaris")
	change("pkg", "-R", "/zones/web01/root", "set-publisher", "-P", "-g", "http://x/", "solaris")
	change("pkg", "-R", "/zones/web01/root", "unset-publisher", "extra")
	change("mount", "-F", "zfs", "rpool/zones/web01/ROOT/zbe", "/zones/web01/root")
	change("zfs", "snapshot", "-r", "rpool/zones/web01@zoneup-J")
	if entire() != "0.5.11-0.134" {
		t.Fatalf("after publisher changes, the zone BE's mount and a snapshot: %s", entire())
	}
	for _, c := range [][]string{
		{"pkg", "-R", "/zones/web01/root", "install", "entire@0.5.11-0.134"},
		{"pkg", "-R", "/zones/web01/root", "image-update"},
		{"zoneadm", "-z", "web01", "attach", "-u"},
		{"zfs", "rollback", "rpool/zones/web01/ROOT/zbe@zoneup-J"},
		{"mount", "-F", "lofs", "/export/x", "/zones/web01/root"},
		{"zlogin", "web01", "touch", "/x"},
	} {
		f.sawZoneEntire("0.5.11-0.111")
		change(c...)
		if entire() != "?" {
			t.Errorf("after %v the zone's entire is still known: %s", c, entire())
		}
	}
	var nilFacts *jobFacts
	nilFacts.sawZoneEntire("1")
	if _, ok := nilFacts.zoneEntire(); ok {
		t.Error("a nil jobFacts knows the zone's entire")
	}
}
