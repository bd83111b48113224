package daemon

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/persist"
	"zoneup/sim"
)

// The crash suite kills the real zoneupd (SIGKILL, its running tools
// included) at stage boundaries and in the middle of tool calls, restarts
// it, and proves from the simulator's invocation log that nothing was lost
// or done twice.

// readInvocations is the simulator's invocation log, start and end paired.
func readInvocations(t testing.TB, world string) []sim.Invocation {
	t.Helper()
	inv, err := sim.ReadInvocations(world)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// daemonProc is a real zoneupd started by a test.
type daemonProc struct {
	t        testing.TB
	cmd      *exec.Cmd
	sock, db string
	exited   chan struct{}
	stderr   *os.File
	args     []string
}

func startDaemon(t testing.TB, dir string, extra ...string) *daemonProc {
	t.Helper()
	bin := binaries(t)
	d := &daemonProc{t: t, sock: filepath.Join(dir, "s"), db: filepath.Join(dir, "db", "zoneup.db")}
	d.args = append([]string{"--db-path", d.db, "--socket-path", d.sock, "--window", "always",
		"--stage-timeout", "20s", "--verify-timeout", "5s", "--retry-backoff", "20ms"}, extra...)
	d.launch(bin)
	return d
}

func (d *daemonProc) launch(bin string) {
	d.t.Helper()
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(d.db), "..", "zoneupd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.stderr = logf
	d.cmd = exec.Command(filepath.Join(bin, "zoneupd"), d.args...)
	d.cmd.Stderr = logf
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func() { d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := d.adm("list", "-H"); err == nil {
			return
		}
		select {
		case <-d.exited:
			d.t.Fatalf("zoneupd exited at start: %v", d.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatal("zoneupd does not answer on its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// adm runs zoneupadm against the daemon.
func (d *daemonProc) adm(args ...string) (string, error) {
	out, err := exec.Command(filepath.Join(binaries(d.t), "zoneupadm"), append([]string{"--socket", d.sock}, args...)...).CombinedOutput()
	return string(out), err
}

func (d *daemonProc) report() api.Report {
	d.t.Helper()
	out, err := d.adm("report", "--json")
	if err != nil {
		d.t.Fatalf("report: %v\n%s", err, out)
	}
	var r api.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		d.t.Fatalf("report --json: %v\n%s", err, out)
	}
	return r
}

// shutdown drains and waits for the exit.
func (d *daemonProc) shutdown() {
	d.t.Helper()
	if out, err := d.adm("shutdown", "--wait"); err != nil {
		d.t.Fatalf("shutdown: %v\n%s", err, out)
	}
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		d.t.Fatal("zoneupd did not exit after shutdown")
	}
	d.stderr.Close()
}

func TestCrashSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite: not in -short")
	}
	const fleet, seed, speed = 8, 11, 5000
	allowAll := []string{domain.RungRemoveConflicts, domain.RungRecreateImage}

	// The uninterrupted night, for the expected outcomes.
	base := newSimWorld(t, speed, "--fleet", fmt.Sprint(fleet), "--seed", fmt.Sprint(seed))
	plan := base.state()
	gzBefore := base.show().GZ.Publishers
	zones := zoneNames(base.show())
	check := func(label string, r api.Report) {
		t.Helper()
		for _, j := range r.Jobs {
			if want := plan.Expect(j.Zone, domain.DefaultLadder, allowAll); !want.Matches(j.Result, j.Rung) {
				t.Errorf("%s: %s ended %s/%s, want %s/%s (error: %s)\n  %s", label, j.Zone, j.Result, j.Rung, want.Result, want.Rung, j.Error, steps(j))
			}
		}
		if len(r.Jobs) != len(zones) {
			t.Errorf("%s: %d jobs for %d zones", label, len(r.Jobs), len(zones))
		}
	}
	d := startDaemon(t, t.TempDir())
	if out, err := d.adm(append([]string{"enqueue", "--allow", strings.Join(allowAll, ",")}, zones...)...); err != nil {
		t.Fatalf("enqueue: %v\n%s", err, out)
	}
	d.adm("wait", "--timeout", "120s")
	check("uninterrupted", d.report())
	d.shutdown()
	t.Logf("uninterrupted: %d tool calls", len(readInvocations(t, base.dir)))

	kills := 0
	killedIn := map[string]int{} // kind of tool call -> kill points in it
	rng := rand.New(rand.NewPCG(seed, 7))
	for runNo := 0; kills < 110 && runNo < 14; runNo++ {
		w := newSimWorld(t, speed, "--fleet", fmt.Sprint(fleet), "--seed", fmt.Sprint(seed))
		d := startDaemon(t, t.TempDir())
		if out, err := d.adm(append([]string{"enqueue", "--allow", strings.Join(allowAll, ",")}, zones...)...); err != nil {
			t.Fatalf("enqueue: %v\n%s", err, out)
		}
		for {
			next := len(readInvocations(t, w.dir)) + 1 + rng.IntN(4+2*runNo)
			at := []string{"start", "end"}[rng.IntN(2)]
			setCrashPlan(t, w.dir, next, at)
			if !d.waitOrCrash(w) {
				break // the plan named a call that never came
			}
			kills++
			for _, i := range readInvocations(t, w.dir) {
				if i.Seq == next {
					killedIn[i.Kind()+" ("+at+")"]++
				}
			}
			d.restart(w)
		}
		check(fmt.Sprintf("run %d", runNo), d.report())
		d.shutdown()
		checkNothingTwice(t, w)
		if pubs := w.show().GZ.Publishers; fmt.Sprint(pubs) != fmt.Sprint(gzBefore) {
			t.Errorf("run %d: global publishers %v, before %v", runNo, pubs, gzBefore)
		}
		checkDB(t, d.db)
	}
	t.Logf("%d kill points in %d kinds of tool call: %v", kills, len(killedIn), killedIn)
	if kills < 100 {
		t.Errorf("only %d kill points", kills)
	}
}

// checkDB runs bbolt's consistency check on a stopped daemon's database.
func checkDB(t *testing.T, db string) {
	t.Helper()
	st, err := persist.Open(db, persist.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("reopen %s: %v", db, err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Errorf("bbolt check of %s: %v", db, err)
	}
}

// waitOrCrash waits until every job is terminal or the crash plan killed
// the daemon, and reports whether it did. With the daemon alive the plan is
// disarmed.
func (d *daemonProc) waitOrCrash(w *simWorld) bool {
	d.t.Helper()
	_, code := d.admCode("wait", "--timeout", "60s")
	select {
	case <-d.exited:
	case <-time.After(2 * time.Second):
	}
	if d.cmd.ProcessState != nil {
		return true
	}
	os.Remove(filepath.Join(w.dir, "crashplan"))
	if code != 0 && code != 1 {
		d.t.Fatalf("wait exit %d with the daemon alive", code)
	}
	return false
}

// restart starts the daemon again after a crash, its stray tools killed.
func (d *daemonProc) restart(w *simWorld) {
	d.t.Helper()
	killStrays(w.dir)
	d.stderr.Close()
	d.launch(binaries(d.t))
}

// checkNothingTwice proves from the invocation log: one completed snapshot
// per job, and no completed uninstall or image-create repeated.
func checkNothingTwice(t *testing.T, w *simWorld) {
	t.Helper()
	seen := map[string]int{}
	for _, i := range readInvocations(t, w.dir) {
		if !i.Ended || i.Code != 0 {
			continue
		}
		c := i.Cmd()
		switch {
		case strings.HasPrefix(c, "zfs snapshot"), strings.Contains(c, " uninstall "), strings.Contains(c, " image-create "):
			seen[c]++
			if seen[c] > 1 {
				t.Errorf("completed twice: %s", c)
			}
		}
	}
	for _, z := range w.show().Zones {
		n := 0
		for _, s := range z.Snapshots {
			if strings.HasPrefix(s, z.Dataset+"@zoneup-") {
				n++
			}
		}
		if n > 1 {
			t.Errorf("%s has %d zoneup snapshots of its zonepath, want at most one: %v", z.Name, n, z.Snapshots)
		}
	}
}

func zoneNames(s simState) []string {
	var out []string
	for _, z := range s.Zones {
		out = append(out, z.Name)
	}
	return out
}

func setCrashPlan(t testing.TB, world string, seq int, at string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(world, "crashplan"), []byte(fmt.Sprintf("%d %s\n", seq, at)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// killStrays kills tool processes the crash left behind: the simulator's
// crash hook kills every registered tool, but one that the dead daemon had
// just started registers after it and lives on.
func killStrays(world string) {
	// Under the world's lock, as zonesim's own crash hook kills: a tool
	// the crash missed (it registered a moment later) is then waiting or
	// sleeping, never half way through writing the world.
	if f, err := os.Open(filepath.Join(world, "lock")); err == nil {
		defer f.Close()
		for syscall.Flock(int(f.Fd()), syscall.LOCK_EX) == syscall.EINTR {
		}
	}
	ents, _ := os.ReadDir(filepath.Join(world, "running"))
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestCrashInEveryKindOfCall kills the daemon inside each kind of call that
// changes the host, once as it starts and once right after it completed,
// on a night that climbs every rung and rolls two zones back.
func TestCrashInEveryKindOfCall(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite: not in -short")
	}
	const scenario = `{"profile": "s11e", "seed": 4, "zones": [
		{"name": "k1", "state": "running"},
		{"name": "k2", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22", "web/php-52"]},
		{"name": "k3", "state": "installed", "troubles": ["broken-image"]},
		{"name": "k4", "state": "running", "troubles": ["gz-publishers", "zone-publishers"],
		 "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}},
		{"name": "k5", "state": "running", "troubles": ["too-old", "stale-image"], "entire": "0.5.11-0.117"},
		{"name": "k6", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["database/postgres-83"]},
		{"name": "k7", "state": "running", "faults": ["boot-fails"]}]}`
	allowed := map[string][]string{"k2": {domain.RungRemoveConflicts, domain.RungRecreateImage}, "k3": {domain.RungRemoveConflicts, domain.RungRecreateImage}}
	points := []string{
		"zoneadm -z k1 halt", "zfs snapshot -r", "zoneadm -z k3 detach", "attach -u", "pkg -R / unset-publisher",
		"root unset-publisher", "root set-publisher -P", "install -v --accept entire@", "image-update",
		"uninstall -v", "image-create", "install -v --accept system/library", "pkg -R / set-publisher",
		"zoneadm -z k7 boot", "zfs rollback", "zlogin k1",
	}
	crashAtEachPoint(t, scenario, allowed, []string{"k1", "k4", "k5", "k6", "k7"}, points)
}

// crashAtEachPoint runs the scenario's night again and again, killing the
// daemon once as each kind of call named by points starts and once right
// after it completed (a point is a substring of the command line), and
// checks after every night that each zone ended as zonesim expects, that
// nothing was done twice, that the global publishers are as they began
// and that the database is sound. The zones of allowed are queued first
// with both destructive rungs allowed, then plain.
func crashAtEachPoint(t *testing.T, scenario string, allowed map[string][]string, plain []string, points []string) {
	t.Helper()
	var first []string
	for z := range allowed {
		first = append(first, z)
	}
	slices.Sort(first)
	var todo [][2]string
	for _, p := range points {
		todo = append(todo, [2]string{p, "start"}, [2]string{p, "end"})
	}
	killed := map[string]bool{}
	// A night passes the points in the order its calls come, which the
	// load of the machine shuffles: a point passed early waits for the
	// next night. Every night kills at least once or drops its point, so
	// there are at most as many nights as points.
	runNo, nights := 0, len(todo)
	for ; len(todo) > 0 && runNo < nights; runNo++ {
		w := newScenario(t, fast, scenario)
		plan := w.state()
		gzBefore := w.show().GZ.Publishers
		d := startDaemon(t, t.TempDir(), "--concurrency", "3")
		// Armed before the first job starts, so a whole night passes by it.
		if err := sim.SetCrashMatch(w.dir, todo[0][0], todo[0][1]); err != nil {
			t.Fatal(err)
		}
		if len(first) > 0 {
			d.mustAdm(append([]string{"enqueue", "--allow", "remove-conflicts,recreate-image"}, first...)...)
		}
		d.mustAdm(append([]string{"enqueue"}, plain...)...)
		kills := 0
		for len(todo) > 0 {
			p := todo[0]
			if err := sim.SetCrashMatch(w.dir, p[0], p[1]); err != nil {
				t.Fatal(err)
			}
			if !d.waitOrCrash(w) {
				break // the night ended before that call came: next run
			}
			killed[p[0]+" ("+p[1]+")"] = true
			kills++
			todo = todo[1:]
			d.restart(w)
		}
		if d.cmd.ProcessState == nil {
			d.admCode("wait", "--timeout", "60s")
		}
		r := d.report()
		d.shutdown()
		for _, j := range r.Jobs {
			if want := plan.Expect(j.Zone, domain.DefaultLadder, allowed[j.Zone]); !want.Matches(j.Result, j.Rung) {
				t.Errorf("run %d: %s ended %s/%s, want %s/%s\n  %s", runNo, j.Zone, j.Result, j.Rung, want.Result, want.Rung, steps(j))
			}
		}
		checkNothingTwice(t, w)
		if pubs := w.show().GZ.Publishers; fmt.Sprint(pubs) != fmt.Sprint(gzBefore) {
			t.Errorf("run %d: global publishers %v, before %v", runNo, pubs, gzBefore)
		}
		checkDB(t, d.db)
		if len(todo) > 0 && kills == 0 {
			// A whole night, armed from its start, never made that call.
			t.Errorf("never reached a call matching %q", todo[0][0])
			todo = todo[1:]
		}
	}
	t.Logf("killed inside %d kinds of call (start and end) in %d nights: %v", len(killed), runNo, killed)
	if len(todo) > 0 {
		t.Errorf("kill points not reached: %v", todo)
	}
}

// A host reboot while a job stands between halt and detach: the zones
// service boots the zone again (autoboot), and the resumed job halts it
// again before it detaches, with no second snapshot.
func TestRebootBetweenHaltAndDetach(t *testing.T) {
	w := newScenario(t, fast, `{"profile": "s11e", "seed": 4, "zones": [{"name": "b1", "state": "running", "autoboot": true}]}`)
	d := startDaemon(t, t.TempDir())
	if err := sim.SetCrashMatch(w.dir, "zfs snapshot -r", "end"); err != nil {
		t.Fatal(err)
	}
	d.mustAdm("enqueue", "b1")
	select {
	case <-d.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the crash plan did not fire")
	}
	killStrays(w.dir)
	w.zonesim("reboot", "--world", w.dir)
	if z := w.show().zone("b1"); z.State != "running" {
		t.Fatalf("after the reboot b1 is %s, want running (autoboot)", z.State)
	}
	d.restart(w)
	if _, code := d.admCode("wait", "--timeout", "60s", "b1"); code != 0 {
		out, _ := d.adm("status", "b1")
		t.Fatalf("b1 not upgraded after the reboot:\n%s", out)
	}
	d.shutdown()
	halts := 0
	for _, i := range readInvocations(t, w.dir) {
		if i.Cmd() == "zoneadm -z b1 halt" {
			halts++
		}
	}
	if halts != 2 {
		t.Errorf("%d halts of b1, want 2 (before the snapshot, and again after the reboot)", halts)
	}
	checkNothingTwice(t, w)
}

// TestCrashOmniOSSparse is the same on an OmniOS host with sparse zones:
// kills while the overlays are mounted again, during the attach of a
// sparse zone, and during a rollback that destroys auto-snapshots (-r).
func TestCrashOmniOSSparse(t *testing.T) {
	if testing.Short() {
		t.Skip("crash suite: not in -short")
	}
	const scenario = `{"profile": "omnios", "seed": 4, "zones": [
		{"name": "s1", "state": "running", "brand": "sparse", "troubles": ["zone-publishers"],
		 "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}},
		{"name": "s2", "state": "running", "brand": "sparse", "troubles": ["broken-image"], "faults": ["auto-snapshots"]},
		{"name": "s3", "state": "installed", "brand": "pkgsrc", "troubles": ["stale-image"]},
		{"name": "s4", "state": "running", "brand": "lipkg", "troubles": ["gz-publishers"]}]}`
	allowed := map[string][]string{"s2": {domain.RungRemoveConflicts, domain.RungRecreateImage}}
	points := []string{"attach -u", "mount -O", "zfs set mountpoint=", "unset-publisher contrib", "image-update",
		"pkg -R / unset-publisher", "pkg -R / set-publisher", "zfs rollback -r"}
	crashAtEachPoint(t, scenario, allowed, []string{"s1", "s3", "s4"}, points)
}
