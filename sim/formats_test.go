package sim

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const formatsScenario = `{"profile": %q, "zones": [
	{"name": "web01", "state": "running", "faults": ["svc-maintenance"]},
	{"name": "db01", "state": "installed", "used": 1567289344},
	{"name": "old", "state": "configured"},
	{"name": "plain", "state": "installed", "faults": ["not-dataset"]},
	{"name": "bad", "state": "installed", "faults": ["boot-fails"]}]}`

func TestZoneadmFormats(t *testing.T) {
	w := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "s11e"))
	out := w.ok("zoneadm", "list", "-cp")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"0:global:running:/::ipkg:shared",
		"1:web01:running:" + filepath.Join(w.dir, "zones/web01") + ":",
		"-:db01:installed:" + filepath.Join(w.dir, "zones/db01") + ":",
		"-:old:configured:",
	}
	for i, p := range want {
		if !strings.HasPrefix(lines[i], p) || !strings.HasSuffix(lines[i], ":ipkg:excl") && i > 0 {
			t.Errorf("line %d %q, want prefix %q", i, lines[i], p)
		}
	}
	if got := w.ok("zoneadm", "list"); got != "global\nweb01\n" {
		t.Errorf("zoneadm list: %q", got)
	}
	if got := w.ok("zoneadm", "-z", "db01", "list", "-p"); !strings.HasPrefix(got, "-:db01:installed:") {
		t.Errorf("-z db01 list -p: %q", got)
	}
	checks := []struct {
		code     int
		args     []string
		out, err string
	}{
		{1, []string{"-z", "nosuch", "list", "-p"}, "", "zoneadm: nosuch: No such zone configured\n"},
		{1, []string{"-z", "web01", "detach"}, "", "zoneadm: zone 'web01': detach operation is invalid for running zones.\n"},
		{1, []string{"-z", "old", "detach"}, "", "zoneadm: zone 'old': must be installed before detach.\n"},
		{1, []string{"-z", "db01", "attach"}, "", "zoneadm: zone 'db01': is already installed.\n"},
		{1, []string{"-z", "web01", "attach", "-u"}, "", "zoneadm: zone 'web01': attach operation is invalid for running zones.\n"},
		{0, []string{"-z", "db01", "halt"}, "", "zone 'db01': zone is already halted\n"},
		{0, []string{"-z", "web01", "boot"}, "", "zone 'web01': zone is already booted\n"},
		{1, []string{"-z", "bad", "boot"}, "", "zoneadm: zone 'bad': call to zoneadmd failed\n"},
		{1, []string{"-z", "global", "halt"}, "", "zoneadm: zone 'global': halt operation is invalid for the global zone.\n"},
		{1, []string{"-z", "SUNWdefault", "halt"}, "", "zoneadm: zone 'SUNWdefault': halt operation is invalid for zones starting with SUNW.\n"},
		{1, []string{"-z", "plain", "detach"}, msgNotDataset + "\n", ""},
	}
	for _, c := range checks {
		r := w.run("zoneadm", c.args...)
		if r.code != c.code || r.out != c.out || r.err != c.err {
			t.Errorf("zoneadm %s: %s\nwant exit %d, stdout %q, stderr %q", strings.Join(c.args, " "), r, c.code, c.out, c.err)
		}
	}
	if r := w.run("zoneadm", "-z", "db01", "list", "-x"); r.code != 2 {
		t.Errorf("unknown option: %s", r)
	}
	r := w.run("zoneadm", "list", "-cv")
	if !strings.HasPrefix(r.out, "  ID NAME             STATUS     PATH                           BRAND    IP    \n   0 global           running    /                              ipkg     shared\n") {
		t.Errorf("list -cv:\n%s", r.out)
	}
	// A halted zone's root is not mounted, and pkg says so.
	if strings.Contains(w.ok("mount", "-p"), w.root("db01")) {
		t.Error("installed halted zone root is mounted")
	}
	r = w.expectCode(1, "pkg", "-R", w.root("db01"), "list", "-H")
	if r.err != "pkg: No image rooted at '"+w.root("db01")+"'\n" {
		t.Errorf("pkg on an unmounted root: %q", r.err)
	}
	w.ok("mount", "-F", "zfs", "rpool/zones/db01/ROOT/zbe", w.root("db01"))
	mp := w.ok("mount", "-p")
	if !strings.Contains(mp, "rpool/zones/db01/ROOT/zbe - "+w.root("db01")+" zfs - no rw,") {
		t.Errorf("mount -p:\n%s", mp)
	}
	w.ok("pkg", "-R", w.root("db01"), "list", "-H", "entire")
	w.ok("umount", w.root("db01"))
	r = w.expectCode(1, "umount", w.root("db01"))
	if !strings.Contains(r.err, "not mounted") {
		t.Errorf("umount twice: %q", r.err)
	}
	// Detaching an installed zone mounts its zbe by its mountpoint.
	w.ok("zoneadm", "-z", "db01", "detach")
	zl := w.ok("zfs", "list", "-H", "-o", "name,mountpoint", "-r", "rpool/zones/db01")
	if zl != "rpool/zones/db01\t"+filepath.Join(w.dir, "zones/db01")+"\nrpool/zones/db01/ROOT\tlegacy\nrpool/zones/db01/ROOT/zbe\t"+w.root("db01")+"\n" {
		t.Errorf("zfs list after detach:\n%s", zl)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "zones/db01/SUNWdetached.xml")); err != nil {
		t.Error(err)
	}
	// The plain-folder zone is not a dataset.
	if strings.Contains(w.ok("zfs", "list", "-H", "-o", "name"), "plain") {
		t.Error("plain zone has a dataset")
	}
}

func TestZfsFormats(t *testing.T) {
	w := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "s11e"))
	zbe := "rpool/zones/db01/ROOT/zbe"
	got := w.ok("zfs", "get", "-H", "-p", "-o", "name,property,value,source", "used,org.opensolaris.libbe:active,mountpoint", zbe)
	want := zbe + "\tused\t1567289344\t-\n" + zbe + "\torg.opensolaris.libbe:active\ton\tlocal\n" + zbe + "\tmountpoint\tlegacy\tinherited from rpool/zones/db01/ROOT\n"
	if got != want {
		t.Errorf("zfs get:\n%q\nwant\n%q", got, want)
	}
	avail := strings.Fields(w.ok("zfs", "get", "-Hp", "-o", "value", "available", "rpool"))
	if len(avail) != 1 || avail[0] == "-" {
		t.Errorf("available: %v", avail)
	}
	got = w.ok("zfs", "list", "-H", "-o", "name,org.opensolaris.libbe:parentbe,org.opensolaris.libbe:active", "-r", "-t", "filesystem", "rpool/zones/web01/ROOT")
	want = "rpool/zones/web01/ROOT\t-\t-\nrpool/zones/web01/ROOT/zbe\t" + profiles["s11e"].bes[1].UUID + "\ton\n"
	if got != want {
		t.Errorf("zbe listing:\n%q\nwant\n%q", got, want)
	}
	r := w.expectCode(1, "zfs", "list", "rpool/zones/nosuch")
	if r.err != "cannot open 'rpool/zones/nosuch': dataset does not exist\n" {
		t.Errorf("missing dataset: %q", r.err)
	}
	r = w.expectCode(2, "zfs", "list", "-p")
	if !strings.HasPrefix(r.err, "invalid option 'p'\nusage:") {
		t.Errorf("zfs list -p on s11e: %q", r.err)
	}
	w.expectCode(2, "zfs", "get", "-H", "nosuchprop", zbe)
	if got := w.ok("zfs", "list", "-o", "name,used", zbe); got != "NAME                        USED\n"+zbe+"  1.46G\n" {
		t.Errorf("zfs list with header:\n%s", got)
	}
	if got := w.ok("beadm", "list", "-H"); strings.Count(got, "\n") != 2 || !strings.Contains(got, ";NR;/;") {
		t.Errorf("beadm list -H:\n%s", got)
	}
	oi := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "oi"))
	if got := oi.ok("zfs", "list", "-Hp", "-o", "name,used", zbe); got != zbe+"\t1567289344\n" {
		t.Errorf("zfs list -Hp on oi: %q", got)
	}
}

func TestPkgPublisherFormats(t *testing.T) {
	w := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "s11e"))
	got := w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	want := "solaris\ttrue\ttrue\ttrue\torigin\tonline\thttp://pkg.oracle.com/solaris/release/\n" +
		"opensolaris.org\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.opensolaris.org/release/\n" +
		"extra\ttrue\tfalse\tfalse\torigin\tonline\thttp://pkg.example.com/extra/\n"
	if got != want {
		t.Errorf("s11e tsv:\n%q\nwant\n%q", got, want)
	}
	got = w.ok("pkg", "-R", "/", "publisher")
	if !strings.HasPrefix(got, "PUBLISHER                             TYPE     STATUS   URI\nsolaris                  (preferred)  origin   online   http://pkg.oracle.com/solaris/release/\n") {
		t.Errorf("s11e default:\n%s", got)
	}
	r := w.expectCode(1, "pkg", "-R", "/", "unset-publisher", "solaris")
	if r.err != "pkg unset-publisher: The preferred publisher cannot be removed.\n" {
		t.Errorf("unset preferred: %q", r.err)
	}
	r = w.expectCode(3, "pkg", "-R", "/", "unset-publisher", "solaris", "extra")
	if !strings.Contains(r.err, "Removal failed for 'solaris'") {
		t.Errorf("partial unset: %q", r.err)
	}
	// S11E contacts a new publisher's origin even when it is disabled.
	r = w.expectCode(1, "pkg", "-R", "/", "set-publisher", "--disable", "-g", "http://pkg.example.com/extra/", "extra")
	if !strings.Contains(r.err, "URL: 'http://pkg.example.com/extra/") {
		t.Errorf("set-publisher of an unreachable one: %q", r.err)
	}
	w.ok("pkg", "-R", "/", "set-publisher", "--no-refresh", "--disable", "-g", "http://pkg.example.com/extra/", "extra")
	if got := tsvNames(w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")); strings.Join(got, ",") != "solaris,opensolaris.org,extra" {
		t.Errorf("publishers after re-adding: %v", got)
	}
	w.ok("pkg", "-R", "/", "set-publisher", "-P", "opensolaris.org")
	if got := tsvNames(w.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")); strings.Join(got, ",") != "opensolaris.org,solaris,extra" {
		t.Errorf("publishers after -P: %v", got)
	}
	detail := w.ok("pkg", "-R", "/", "publisher", "extra")
	if !strings.Contains(detail, "\n            Publisher: extra\n") || !strings.Contains(detail, "\n              Enabled: No\n") {
		t.Errorf("publisher detail:\n%s", detail)
	}

	oi := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "oi"))
	got = oi.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	want = "openindiana.org\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.openindiana.org/hipster/\t-\n" +
		"hipster-encumbered\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.openindiana.org/hipster-encumbered/\t-\n" +
		"extra\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.example.com/extra/\t-\n"
	if got != want {
		t.Errorf("oi tsv (ENABLED follows the origin):\n%q\nwant\n%q", got, want)
	}
	if d := oi.ok("pkg", "-R", "/", "publisher", "extra"); !strings.Contains(d, "              Enabled: No\n") {
		t.Errorf("oi detail of a disabled publisher:\n%s", d)
	}
	oi.ok("pkg", "-R", "/", "set-publisher", "--no-refresh", "--proxy", "http://proxy.example.com:3128",
		"-m", "http://mirror.example.com/hipster/", "openindiana.org")
	oi.ok("pkg", "-R", "/", "set-publisher", "-G", "*", "hipster-encumbered")
	got = oi.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	want = "openindiana.org\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.openindiana.org/hipster/\thttp://proxy.example.com:3128\n" +
		"openindiana.org\ttrue\tfalse\ttrue\tmirror\tonline\thttp://mirror.example.com/hipster/\t-\n" +
		"hipster-encumbered\ttrue\tfalse\ttrue\t\t\t\t\n" +
		"extra\ttrue\tfalse\ttrue\torigin\tonline\thttp://pkg.example.com/extra/\t-\n"
	if got != want {
		t.Errorf("oi tsv with a proxy, a mirror, no origin:\n%q\nwant\n%q", got, want)
	}
	if d := oi.ok("pkg", "-R", "/", "publisher", "openindiana.org"); !strings.Contains(d, "                Proxy: http://proxy.example.com:3128\n           Mirror URI: http://mirror.example.com/hipster/\n") {
		t.Errorf("oi detail with a proxy:\n%s", d)
	}
	// OI may unset its first publisher.
	oi.ok("pkg", "-R", "/", "unset-publisher", "openindiana.org")
	if got := tsvNames(oi.ok("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")); strings.Join(got, ",") != "hipster-encumbered,extra" {
		t.Errorf("after unsetting the first: %v", got)
	}
}

func TestPkgFormats(t *testing.T) {
	w := newScenario(t, 20000, `{"profile": "s11e", "zones": [
		{"name": "z1", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22", "web/php-52"]}]}`)
	root := w.root("z1")
	got := w.ok("pkg", "-R", root, "list", "-H", "entire", "*php*")
	want := "entire                                        0.5.11-0.134    installed  -----\n" +
		"web/php-52                                    5.2.12-0.134    installed  -----\n"
	if got != want {
		t.Errorf("s11e list:\n%q\nwant\n%q", got, want)
	}
	if got := w.ok("pkg", "-R", root, "variant", "-H", "variant.opensolaris.zone"); got != "variant.opensolaris.zone nonglobal\n" {
		t.Errorf("variant: %q", got)
	}
	info := w.ok("pkg", "-R", root, "info", "entire")
	if !strings.Contains(info, "          FMRI: pkg://opensolaris.org/entire@0.5.11,5.11-0.134:20100302T021758Z\n") {
		t.Errorf("info:\n%s", info)
	}
	r := w.expectCode(4, "pkg", "-R", root, "install", "--accept", "entire@0.5.11-0.134")
	if r.out != "No updates necessary for this image.\n" {
		t.Errorf("install of what is there: %q", r.out)
	}
	r = w.expectCode(4, "pkg", "-R", root, "image-update")
	if r.out != "No updates available for this image.\n" {
		t.Errorf("image-update with nothing to do: %q", r.out)
	}
	w.expectCode(2, "pkg", "-R", root, "uninstall", "-r", "web/php-52")
	r = w.expectCode(1, "pkg", "-R", root, "uninstall", "nosuch")
	if !strings.Contains(r.err, "pkg uninstall: 'nosuch' matches no installed packages") {
		t.Errorf("uninstall of nothing: %q", r.err)
	}
	r = w.expectCode(1, "pkg", "-R", root, "install", "-nv", "nosuchpkg")
	if !strings.Contains(r.err, "pkg install: The following pattern(s) did not match any allowable packages.  Try\nusing a different matching pattern, or refreshing publisher information:\n\n\tnosuchpkg\n") {
		t.Errorf("install of an unknown package: %q", r.err)
	}
	r = w.expectCode(2, "pkg", "-R", root, "frobnicate")
	// The suffix appears once the zone's publisher is not first-ranked.
	w.ok("pkg", "-R", root, "set-publisher", "-P", "-g", "http://pkg.oracle.com/solaris/release/", "solaris")
	if got := w.ok("pkg", "-R", root, "list", "-H", "entire"); !strings.HasPrefix(got, "entire (opensolaris.org) ") {
		t.Errorf("list after another publisher went first: %q", got)
	}
	oi := newScenario(t, 20000, `{"profile": "oi", "zones": [{"name": "z1", "state": "running", "entire": "0.5.11-2019.0.0.18880"}]}`)
	if got := oi.ok("pkg", "-R", oi.root("z1"), "list", "-H", "entire"); got != "entire                                            0.5.11-2019.0.0.18880      i--\n" {
		t.Errorf("oi list: %q", got)
	}
}

func TestSMFTools(t *testing.T) {
	w := newScenario(t, 20000, fmt.Sprintf(formatsScenario, "s11e"))
	props := "config/window astring always\nconfig/concurrency count 2\nconfig/db_path astring /var/zoneup/zone\\ up.db\nstartd/duration astring contract\n"
	if err := os.WriteFile(filepath.Join(w.dir, "smf", sanitiseFMRI("svc:/application/zoneup:default")+".props"), []byte(props), 0o644); err != nil {
		t.Fatal(err)
	}
	fmri := "svc:/application/zoneup:default"
	if got := w.ok("svcprop", "-p", "config/db_path", fmri); got != "/var/zoneup/zone\\ up.db\n" {
		t.Errorf("one property: %q", got)
	}
	if got := w.ok("svcprop", "-p", "config", fmri); got != "config/window astring always\nconfig/concurrency count 2\nconfig/db_path astring /var/zoneup/zone\\ up.db\n" {
		t.Errorf("property group: %q", got)
	}
	r := w.expectCode(1, "svcprop", "-p", "config/nosuch", fmri)
	if r.err != "svcprop: Couldn't find property `config/nosuch' for instance `svc:/application/zoneup:default'.\n" {
		t.Errorf("missing property: %q", r.err)
	}
	if got := w.ok("svcs", "-H", "-o", "state", "svc:/system/zones:default"); got != "online\n" {
		t.Errorf("svcs in the global zone: %q", got)
	}
	if got := w.ok("zlogin", "web01", "svcs", "-H", "-o", "state", "svc:/milestone/multi-user-server:default"); got != "online\n" {
		t.Errorf("zlogin svcs: %q", got)
	}
	if got := w.ok("zlogin", "web01", "svcs", "-x"); !strings.HasPrefix(got, "svc:/network/http:apache22 (Apache 2.2 HTTP server)\n State: maintenance since ") {
		t.Errorf("svcs -x with a service in maintenance:\n%s", got)
	}
	r = w.expectCode(1, "zlogin", "db01", "svcs", "-x")
	if r.err != "zlogin: login allowed only to running zones (db01 is 'installed').\n" {
		t.Errorf("zlogin to a halted zone: %q", r.err)
	}
	w.ok("zoneadm", "-z", "db01", "boot")
	if got := w.ok("zlogin", "db01", "svcs", "-x"); got != "" {
		t.Errorf("svcs -x of a healthy zone: %q", got)
	}
}

func TestNoWorld(t *testing.T) {
	cmd := exec.Command(filepath.Join(toolsDir, "zoneadm"), "list", "-cp")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err == nil || string(out) != "zoneadm: ZONESIM_WORLD is not set (it names the zonesim world folder)\n" {
		t.Errorf("without ZONESIM_WORLD: %v %q", err, out)
	}
}
