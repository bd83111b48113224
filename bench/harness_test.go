package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"zoneup/daemon/client"
	"zoneup/internal/testbin"
	"zoneup/sim"
)

// The suite's processes: zonesim worlds, the real zoneupd and zoneupadm
// (the helpers of daemon/bench_test.go and daemon/crash_test.go, trimmed to
// what the suite needs, with each process's environment given explicitly).

// binaries is the folder with zonesim, zoneupd and zoneupadm
// (internal/testbin).
func binaries(t testing.TB) string { return testbin.Dir(t) }

// world is a zonesim world and the environment its tools need.
type world struct {
	t     testing.TB
	bin   string
	dir   string
	env   []string // ZONESIM_WORLD, ZONESIM_SPEED, the tools first on PATH
	zones []simZone
}

type simZone struct {
	Name  string `json:"name"`
	State string `json:"state"`
	Brand string `json:"brand"`
}

// newWorld makes a fleet's world under parent: zonesim init --fleet, then
// zonesim tools.
func newWorld(t testing.TB, bin, parent string, speed, fleet, seed int, profile string) *world {
	t.Helper()
	w := &world{t: t, bin: bin, dir: filepath.Join(parent, "world")}
	tools := filepath.Join(parent, "tools")
	w.zonesim("init", "--world", w.dir, "--profile", profile, "--fleet", fmt.Sprint(fleet), "--seed", fmt.Sprint(seed))
	w.zonesim("tools", "--bin", tools)
	w.env = append(os.Environ(), "ZONESIM_WORLD="+w.dir, "ZONESIM_SPEED="+fmt.Sprint(speed),
		"PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	var show struct {
		Zones []simZone `json:"zones"`
	}
	if err := json.Unmarshal([]byte(w.zonesim("show", "--world", w.dir, "--json")), &show); err != nil {
		t.Fatalf("zonesim show --json: %v", err)
	}
	w.zones = show.Zones
	return w
}

func (w *world) zonesim(args ...string) string {
	w.t.Helper()
	out, err := exec.Command(filepath.Join(w.bin, "zonesim"), args...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("zonesim %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (w *world) names() []string {
	var out []string
	for _, z := range w.zones {
		out = append(out, z.Name)
	}
	return out
}

func (w *world) running() []string {
	var out []string
	for _, z := range w.zones {
		if z.State == "running" {
			out = append(out, z.Name)
		}
	}
	return out
}

func (w *world) calls() []sim.Invocation {
	w.t.Helper()
	inv, err := sim.ReadInvocations(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	return inv
}

// killStrays kills the tools a killed zoneupd left running (as SMF kills a
// restarted service's contract), under the world's lock so that none is
// half way through writing the world (daemon/crash_test.go).
func (w *world) killStrays() {
	if f, err := os.Open(filepath.Join(w.dir, "lock")); err == nil {
		defer f.Close()
		for syscall.Flock(int(f.Fd()), syscall.LOCK_EX) == syscall.EINTR {
		}
	}
	ents, _ := os.ReadDir(filepath.Join(w.dir, "running"))
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// daemon is a real zoneupd.
type daemon struct {
	t        testing.TB
	bin      string
	args     []string
	env      []string
	sock, db string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	c        *client.Client
}

// startDaemon starts zoneupd on dir/db/zoneup.db with socket dir/s.
func startDaemon(t testing.TB, bin, dir string, env []string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, bin: bin, env: env, sock: filepath.Join(dir, "s"), db: filepath.Join(dir, "db", "zoneup.db"),
		logPath: filepath.Join(dir, "zoneupd.log")}
	d.args = append([]string{"--db-path", d.db, "--socket-path", d.sock, "--window", "always"}, extra...)
	d.c = client.New(d.sock)
	d.launch()
	t.Cleanup(func() {
		if d.alive() {
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	return d
}

// launch execs zoneupd and returns once its socket answers, with the time
// from the exec to then.
func (d *daemon) launch() time.Duration {
	d.t.Helper()
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	defer logf.Close()
	d.cmd = exec.Command(filepath.Join(d.bin, "zoneupd"), d.args...)
	d.cmd.Env = d.env
	d.cmd.Stderr = logf
	t0 := time.Now()
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.exited = make(chan struct{})
	go func(cmd *exec.Cmd, ch chan struct{}) { cmd.Wait(); close(ch) }(d.cmd, d.exited)
	deadline := t0.Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := d.c.Info(ctx)
		cancel()
		if err == nil {
			return time.Since(t0)
		}
		if !d.alive() {
			d.t.Fatalf("zoneupd exited at start: %v\n%s", d.cmd.ProcessState, d.logTail())
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("zoneupd does not answer on its socket: %v\n%s", err, d.logTail())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (d *daemon) alive() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// logTail is the end of zoneupd's service log, for failures.
func (d *daemon) logTail() string {
	b, _ := os.ReadFile(d.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// adm runs zoneupadm against the daemon: its output and exit code.
func (d *daemon) adm(args ...string) (string, int) {
	cmd := exec.Command(filepath.Join(d.bin, "zoneupadm"), append([]string{"--socket", d.sock}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out) + string(ee.Stderr), ee.ExitCode()
		}
		return err.Error(), -1
	}
	return string(out), 0
}

// mustAdm is adm that fails the test on a non-zero exit.
func (d *daemon) mustAdm(args ...string) string {
	d.t.Helper()
	out, code := d.adm(args...)
	if code != 0 {
		d.t.Fatalf("zoneupadm %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, d.logTail())
	}
	return out
}

// kill9 kills zoneupd with SIGKILL and waits for it to be gone.
func (d *daemon) kill9() {
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
}

// shutdown drains zoneupd and waits for its exit.
func (d *daemon) shutdown() {
	d.t.Helper()
	if out, code := d.adm("shutdown", "--wait"); code != 0 {
		d.t.Fatalf("shutdown: exit %d\n%s", code, out)
	}
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		d.t.Fatal("zoneupd did not exit after shutdown")
	}
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times (100 on Linux).
const clockTick = 100

// procCPU is a process's own utime+stime (/proc/PID/stat fields 14, 15).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count after its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q %q", pid, f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// rssKiB is a process's VmRSS (/proc/PID/status), in KiB.
func rssKiB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			return strconv.ParseFloat(f[1], 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}
