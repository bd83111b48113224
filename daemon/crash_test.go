package daemon

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"zoneup/daemon/api"
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
	allowAll := []string{RungRemoveConflicts, RungRecreateImage}

	// The uninterrupted night, for the expected outcomes and kill points.
	base := newSimWorld(t, speed, "--fleet", fmt.Sprint(fleet), "--seed", fmt.Sprint(seed))
	gzBefore := base.show().GZ.Publishers
	d := startDaemon(t, t.TempDir())
	zones := zoneNames(base.show())
	if out, err := d.adm(append([]string{"enqueue", "--allow", strings.Join(allowAll, ",")}, zones...)...); err != nil {
		t.Fatalf("enqueue: %v\n%s", err, out)
	}
	d.adm("wait", "--timeout", "120s")
	want := outcomes(d.report())
	d.shutdown()
	total := len(readInvocations(t, base.dir))
	t.Logf("uninterrupted: %d tool calls, outcomes %v", total, want)

	kills := 0
	rng := rand.New(rand.NewPCG(seed, 7))
	for runNo := 0; kills < 110 && runNo < 12; runNo++ {
		w := newSimWorld(t, speed, "--fleet", fmt.Sprint(fleet), "--seed", fmt.Sprint(seed))
		dir := t.TempDir()
		d := startDaemon(t, dir)
		if out, err := d.adm(append([]string{"enqueue", "--allow", strings.Join(allowAll, ",")}, zones...)...); err != nil {
			t.Fatalf("enqueue: %v\n%s", err, out)
		}
		for {
			inv := readInvocations(t, w.dir)
			next := len(inv) + 1 + rng.IntN(4+runNo)
			at := []string{"start", "end"}[rng.IntN(2)]
			setCrashPlan(t, w.dir, next, at)
			done := make(chan struct{})
			go func() { d.adm("wait", "--timeout", "60s"); close(done) }()
			select {
			case <-d.exited:
				kills++
				killStrays(w.dir)
				d.stderr.Close()
				d.launch(binaries(t))
				continue
			case <-done:
			}
			os.Remove(filepath.Join(w.dir, "crashplan"))
			break
		}
		got := outcomes(d.report())
		d.shutdown()
		for z, o := range want {
			if got[z] != o {
				t.Errorf("run %d: %s ended %q, uninterrupted %q", runNo, z, got[z], o)
			}
		}
		checkNothingTwice(t, w)
		if pubs := w.show().GZ.Publishers; fmt.Sprint(pubs) != fmt.Sprint(gzBefore) {
			t.Errorf("run %d: global publishers %v, before %v", runNo, pubs, gzBefore)
		}
		st, err := persist.Open(d.db, persist.Options{Timeout: time.Second})
		if err != nil {
			t.Fatalf("reopen db: %v", err)
		}
		if err := st.Check(); err != nil {
			t.Errorf("run %d: bbolt check: %v", runNo, err)
		}
		st.Close()
	}
	t.Logf("%d kill points", kills)
	if kills < 100 {
		t.Errorf("only %d kill points", kills)
	}
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
}

func zoneNames(s simState) []string {
	var out []string
	for _, z := range s.Zones {
		out = append(out, z.Name)
	}
	return out
}

func outcomes(r api.Report) map[string]string {
	m := map[string]string{}
	for _, j := range r.Jobs {
		m[j.Zone] = j.Result + "/" + j.Rung
	}
	return m
}

func setCrashPlan(t testing.TB, world string, seq int, at string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(world, "crashplan"), []byte(fmt.Sprintf("%d %s\n", seq, at)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// killStrays kills tool processes the crash left behind (the simulator's
// crash hook kills them already; this is belt and braces).
func killStrays(world string) {
	ents, _ := os.ReadDir(filepath.Join(world, "running"))
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
