package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/api"
	"zoneup/daemon/client"
)

// Integration tests: the real bin/zoneupd and bin/zoneupadm against zonesim.

// admCode runs zoneupadm and returns its output and exit code.
func (d *daemonProc) admCode(args ...string) (string, int) {
	d.t.Helper()
	out, err := d.adm(args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	}
	d.t.Fatalf("zoneupadm %v: %v", args, err)
	return "", -1
}

func (d *daemonProc) mustAdm(args ...string) string {
	d.t.Helper()
	out, code := d.admCode(args...)
	if code != 0 {
		d.t.Fatalf("zoneupadm %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (d *daemonProc) client() *client.Client { return client.New(d.sock) }

const fleetOf4 = `{"profile": "s11e", "seed": 9, "zones": [
	{"name": "a1", "state": "running"},
	{"name": "a2", "state": "installed", "troubles": ["stale-image"]},
	{"name": "a3", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22"]},
	{"name": "a4", "state": "running"}]}`

func TestCLIVerbs(t *testing.T) {
	w := newScenario(t, fast, fleetOf4)
	d := startDaemon(t, t.TempDir(), "--concurrency", "1")
	defer d.shutdown()

	// Refusals, each with its own message, nothing queued.
	for _, c := range []struct{ zone, msg string }{
		{"global", "global zone"}, {"SUNWdefault", "reserved"}, {"bad name", "not a valid zone name"}, {"nosuch", "no such zone"},
	} {
		out, code := d.admCode("enqueue", c.zone)
		if code == 0 || !strings.Contains(out, c.msg) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("enqueue %q: exit %d, %q; want one line mentioning %q", c.zone, code, out, c.msg)
		}
	}
	if out := d.mustAdm("list", "-H"); strings.TrimSpace(out) != "" {
		t.Errorf("refused zones were queued: %q", out)
	}

	d.mustAdm("pause")
	d.mustAdm("enqueue", "a1", "a2", "a3", "a4")
	if out, code := d.admCode("enqueue", "a1"); code == 0 || !strings.Contains(out, "a1") {
		t.Errorf("second enqueue of a1: exit %d %q", code, out)
	}
	// Paused: nothing starts; wait says so and exits 4, or, told to wait
	// through the pause, times out with 2.
	if out, code := d.admCode("wait", "--timeout", "20s"); code != 4 || !strings.Contains(out, "paused by the operator") {
		t.Errorf("wait on a paused queue: exit %d, want 4: %s", code, out)
	}
	if _, code := d.admCode("wait", "--through-pause", "--timeout", "300ms"); code != 2 {
		t.Errorf("wait --through-pause on a paused queue: exit %d, want 2", code)
	}
	if out := d.mustAdm("list", "-H", "-o", "zone,waiting"); !strings.Contains(out, "a1  queue paused by the operator (zoneupadm resume)") {
		t.Errorf("list -o zone,waiting: %q", out)
	}
	if out := d.mustAdm("list", "-p", "-o", "zone,state"); out != "a1:queued\na2:queued\na3:queued\na4:queued\n" {
		t.Errorf("list -p: %q", out)
	}
	// Cancel a queued job: dropped.
	d.mustAdm("cancel", "a4")
	if out := d.mustAdm("status", "a4", "--json"); !strings.Contains(out, `"state": "cancelled"`) && !strings.Contains(out, `"state":"cancelled"`) {
		t.Errorf("a4 after cancel: %s", out)
	}
	d.mustAdm("resume")
	if _, code := d.admCode("wait", "--timeout", "60s", "a1", "a2"); code != 0 {
		t.Errorf("wait a1 a2: exit %d, want 0 (both upgraded)", code)
	}
	// a3 needs remove-conflicts, which policy withholds: rolled back, wait says 1.
	if _, code := d.admCode("wait", "--timeout", "60s"); code != 1 {
		t.Errorf("wait all: exit %d, want 1 (a3 rolled back, a4 cancelled)", code)
	}
	st := d.mustAdm("status", "a3")
	for _, s := range []string{"rolled-back", "remove-conflicts", "skipped"} {
		if !strings.Contains(st, s) {
			t.Errorf("status a3 lacks %q:\n%s", s, st)
		}
	}
	// retry: a new attempt of the same job, with its id, history and
	// snapshot (no second zfs snapshot); policy still withholds the rung.
	before, _ := d.client().Status(context.Background(), "a3")
	d.mustAdm("retry", "a3")
	if _, code := d.admCode("wait", "--timeout", "60s", "a3"); code != 1 {
		t.Errorf("retried a3: wait exit %d, want 1 (rolled back again)", code)
	}
	after, _ := d.client().Status(context.Background(), "a3")
	if after.ID != before.ID || after.Snapshot != before.Snapshot || after.Attempt != 2 || len(after.History) <= len(before.History) {
		t.Errorf("retry: id %s->%s snapshot %s->%s attempt %d history %d->%d", before.ID, after.ID,
			before.Snapshot, after.Snapshot, after.Attempt, len(before.History), len(after.History))
	}
	snaps := 0
	for _, i := range readInvocations(t, w.dir) {
		if strings.HasPrefix(i.Cmd(), "zfs snapshot -r") && strings.Contains(i.Cmd(), "/a3@") {
			snaps++
		}
	}
	if snaps != 1 {
		t.Errorf("%d snapshots of a3 after a retry, want 1", snaps)
	}
	if out, code := d.admCode("retry", "a1"); code == 0 || !strings.Contains(out, "enqueue") {
		t.Errorf("retry of an upgraded zone: exit %d %q; want a refusal pointing to enqueue", code, out)
	}
	// A new job for the zone, this time with the rung allowed.
	out := d.mustAdm("enqueue", "--allow", "remove-conflicts", "a3")
	if !strings.Contains(out, "a3") {
		t.Errorf("enqueue a3: %q", out)
	}
	if _, code := d.admCode("wait", "--timeout", "60s", "a3"); code != 0 {
		t.Errorf("a3 with remove-conflicts: not upgraded")
	}
	rep := d.mustAdm("report")
	for _, s := range []string{"a1", "a2", "a3", "a4", "image-update", "remove-conflicts", "web/server/apache-22"} {
		if !strings.Contains(rep, s) {
			t.Errorf("report lacks %q:\n%s", s, rep)
		}
	}
	if out := d.mustAdm("log", "a2"); !strings.Contains(out, "attach -u") || !strings.Contains(out, "image-update") {
		t.Errorf("log a2 lacks the tool runs:\n%s", out)
	}
}

func TestCancelRunningJobRollsBack(t *testing.T) {
	newScenario(t, 500, `{"profile": "s11e", "seed": 2, "zones": [{"name": "c1", "state": "running", "troubles": ["stale-image"]}]}`)
	d := startDaemon(t, t.TempDir())
	defer d.shutdown()
	d.mustAdm("enqueue", "c1")
	// Wait until the job is past its snapshot, then cancel.
	c := d.client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		j, err := c.Status(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if j.Snapshot != "" || j.Terminal {
			break
		}
		if _, err := c.Changes(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	d.mustAdm("cancel", "c1")
	if _, code := d.admCode("wait", "--timeout", "60s", "c1"); code != 1 {
		t.Errorf("wait after cancel: exit %d, want 1", code)
	}
	out := d.mustAdm("status", "c1")
	if !strings.Contains(out, "cancelled") || !strings.Contains(out, "rollback") {
		t.Errorf("cancelled running job:\n%s", out)
	}
}

func TestWindowClosedKeepsJobsQueued(t *testing.T) {
	newScenario(t, fast, `{"profile": "s11e", "seed": 2, "zones": [{"name": "n1", "state": "running"}]}`)
	now := time.Now()
	win := fmt.Sprintf("%s-%s", now.Add(2*time.Hour).Format("15:04"), now.Add(3*time.Hour).Format("15:04"))
	d := startDaemon(t, t.TempDir(), "--window", win)
	defer d.shutdown()
	d.mustAdm("enqueue", "n1")
	if _, code := d.admCode("wait", "--timeout", "500ms"); code != 2 {
		t.Errorf("wait with the window closed: exit %d, want 2", code)
	}
	if out := d.mustAdm("list", "-p", "-o", "zone,state"); out != "n1:queued\n" {
		t.Errorf("list: %q", out)
	}
}

func TestCircuitBreaker(t *testing.T) {
	t.Run("trips on three unfixable in a row", func(t *testing.T) {
		newScenario(t, fast, `{"profile": "s11e", "seed": 2, "zones": [
			{"name": "r1", "state": "running", "faults": ["repo-down"]},
			{"name": "r2", "state": "running", "faults": ["repo-down"]},
			{"name": "r3", "state": "running", "faults": ["repo-down"]},
			{"name": "r4", "state": "running"}]}`)
		d := startDaemon(t, t.TempDir(), "--concurrency", "1")
		defer d.shutdown()
		d.mustAdm("enqueue", "r1", "r2", "r3", "r4")
		d.admCode("wait", "--timeout", "60s", "r1", "r2", "r3")
		info, err := d.client().Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !info.Paused || !strings.Contains(info.Reason, "circuit breaker") {
			t.Fatalf("queue not paused by the breaker: %+v", info)
		}
		if rep := d.mustAdm("report"); !strings.Contains(rep, "circuit breaker") {
			t.Errorf("report does not say why the queue is paused:\n%s", rep)
		}
		if out := d.mustAdm("list", "-p", "-o", "zone,state"); !strings.Contains(out, "r4:queued") {
			t.Errorf("r4 should still be queued: %q", out)
		}
		d.mustAdm("resume")
		if _, code := d.admCode("wait", "--timeout", "60s", "r4"); code != 0 {
			t.Errorf("r4 after resume: not upgraded")
		}
	})
	t.Run("the count survives a restart", func(t *testing.T) {
		newScenario(t, fast, `{"profile": "s11e", "seed": 2, "zones": [
			{"name": "r1", "state": "running", "faults": ["repo-down"]},
			{"name": "r2", "state": "running", "faults": ["repo-down"]},
			{"name": "r3", "state": "running", "faults": ["repo-down"]},
			{"name": "r4", "state": "running"}]}`)
		dir := t.TempDir()
		d := startDaemon(t, dir, "--concurrency", "1")
		d.mustAdm("enqueue", "r1", "r2")
		d.admCode("wait", "--timeout", "60s")
		d.shutdown()
		d = startDaemon(t, dir, "--concurrency", "1")
		defer d.shutdown()
		d.mustAdm("enqueue", "r3", "r4")
		d.admCode("wait", "--timeout", "60s", "r3")
		if out := d.mustAdm("list", "-p", "-o", "zone,state"); !strings.Contains(out, "r3:rolled-back") || !strings.Contains(out, "r4:queued") {
			t.Errorf("the third failure after a restart did not trip the breaker: %q", out)
		}
	})
	t.Run("policy rollbacks never count", func(t *testing.T) {
		newScenario(t, fast, `{"profile": "s11e", "seed": 2, "zones": [
			{"name": "p1", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22"]},
			{"name": "p2", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22"]},
			{"name": "p3", "state": "running", "troubles": ["conflicts"], "conflict_packages": ["web/server/apache-22"]},
			{"name": "p4", "state": "running"}]}`)
		d := startDaemon(t, t.TempDir(), "--concurrency", "1")
		defer d.shutdown()
		d.mustAdm("enqueue", "p1", "p2", "p3", "p4")
		if _, code := d.admCode("wait", "--timeout", "90s", "p4"); code != 0 {
			t.Errorf("p4 did not run after three policy rollbacks")
		}
	})
}

// An unauthorised peer is refused: the engine's control socket with
// injected credentials.
func TestUnauthorisedPeerRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	cfg, err := ParseConfig(map[string]string{"db_path": filepath.Join(dir, "db"), "socket_path": sock})
	if err != nil {
		t.Fatal(err)
	}
	uid := 1000
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- Run(ctx, Options{Config: cfg, Log: zerolog.Nop(), Ready: func() { close(ready) },
			Creds: func(net.Conn) (api.Cred, error) { return api.Cred{UID: uid, GID: 1000}, nil }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	if _, err := client.New(sock).Info(context.Background()); !errors.Is(err, api.ErrForbidden) {
		t.Errorf("uid 1000: %v, want forbidden", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(sock)
}

// log -f follows a running job through the long poll and ends when the job
// is terminal and its last lines are out.
func TestLogFollow(t *testing.T) {
	newScenario(t, 2000, `{"profile": "s11e", "seed": 2, "zones": [{"name": "f1", "state": "running", "troubles": ["stale-image"]}]}`)
	d := startDaemon(t, t.TempDir())
	defer d.shutdown()
	d.mustAdm("enqueue", "f1")
	done := make(chan struct{})
	var out string
	var err error
	go func() { out, err = d.adm("log", "-f", "f1"); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("log -f did not end after the job did")
	}
	if err != nil {
		t.Fatalf("log -f: %v\n%s", err, out)
	}
	for _, s := range []string{"zoneadm -z f1 attach -u", "image-update", "verify -> done"} {
		if !strings.Contains(out, s) {
			t.Errorf("log -f lacks %q:\n%s", s, out)
		}
	}
	if j, _ := d.client().Status(context.Background(), "f1"); !j.Terminal {
		t.Errorf("log -f ended while the job is %s", j.State)
	}
}
