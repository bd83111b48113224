package sim

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// start runs a tool in the background, as a daemon would.
func (w *testWorld) start(tool string, args ...string) *exec.Cmd {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(toolsDir, tool), args...)
	cmd.Env = w.env()
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return cmd
}

// waitStarted waits until n invocations have started.
func (w *testWorld) waitStarted(n int) []Invocation {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		invs, err := ReadInvocations(w.dir)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(invs) >= n {
			return invs
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d invocations started, waited for %d", len(invs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHanging waits until a zone's hung-attach fault is spent: its attach
// has decided to hang and saved that, so killing it leaves the next attach
// free to proceed.
func (w *testWorld) waitHanging(zone string) {
	w.t.Helper()
	st, err := openStore(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		spent := false
		st.locked(false, func(wd *world) error {
			spent = wd.zone(zone).Consumed[FaultHungAttach]
			return nil
		})
		if spent {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: the attach never hung", zone)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// The crash hook fires at the named call and point: the daemon (the
// parent), every other live tool of the world and the call itself die;
// at "start" nothing changed, at "end" the change and its end record are
// in.
func TestCrashHook(t *testing.T) {
	for _, at := range []string{CrashAtStart, CrashAtEnd} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			w := newScenario(t, 1000, `{"zones": [
				{"name": "z1", "state": "installed"},
				{"name": "z2", "state": "configured", "faults": ["hung-attach"]}]}`)
			hung := w.start("zoneadm", "-z", "z2", "attach", "-u")
			w.waitHanging("z2")
			if err := SetCrashPlan(w.dir, 2, at); err != nil {
				t.Fatal(err)
			}
			daemon := exec.Command("sh", "-c", "zfs snapshot -r rpool/zones/z1@c; echo survived; sleep 30")
			daemon.Env = w.env()
			out, err := daemon.Output()
			if !killedBySIGKILL(err) || strings.Contains(string(out), "survived") {
				t.Fatalf("the parent was not killed: %v %q", err, out)
			}
			if err := hung.Wait(); !killedBySIGKILL(err) {
				t.Errorf("the other tool was not killed: %v", err)
			}
			if _, err := os.Stat(filepath.Join(w.dir, "crashplan")); !os.IsNotExist(err) {
				t.Errorf("crashplan still there: %v", err)
			}
			invs, err := ReadInvocations(w.dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(invs) != 2 || invs[0].Ended || invs[1].Cmd() != "zfs snapshot -r rpool/zones/z1@c" {
				t.Fatalf("invocations %+v", invs)
			}
			if invs[1].Ended != (at == CrashAtEnd) || at == CrashAtEnd && invs[1].Code != 0 {
				t.Errorf("crash at %s: the call's end record %+v", at, invs[1])
			}
			if n := len(w.state().Zone("z1").Snapshots); (n > 0) != (at == CrashAtEnd) {
				t.Errorf("crash at %s: %d snapshots", at, n)
			}
			// The dead tools' locks do not hold: the hung attach is used up
			// and the zone attaches now.
			if r := w.run("zoneadm", "-z", "z2", "attach", "-u"); r.code != 0 {
				t.Errorf("attach after the crash: %s", r)
			}
			// A plan for another call does not fire.
			SetCrashPlan(w.dir, 99, CrashAtStart)
			w.ok("zoneadm", "list", "-cp")
		})
	}
}
