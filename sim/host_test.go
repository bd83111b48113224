package sim

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostWorld is a world made in process, for a Host.
func hostWorld(t *testing.T, sc *Scenario) Host {
	t.Helper()
	dir := t.TempDir() + "/w"
	if err := Init(dir, InitOptions{Scenario: sc}); err != nil {
		t.Fatal(err)
	}
	return Host{World: dir, Speed: 1e6}
}

func (h Host) try(t *testing.T, tool string, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := h.Run(context.Background(), tool, args, nil, &out, &errw)
	return code, out.String(), errw.String()
}

// A Host runs the tools in process on its own world, several worlds side
// by side, each call in the invocation log as a process's would be.
func TestHostRunsToolsInProcess(t *testing.T) {
	t.Parallel()
	a := hostWorld(t, &Scenario{Profile: ProfileS11E, Zones: []ScenarioZone{{Name: "a1", State: "installed"}}})
	b := hostWorld(t, &Scenario{Profile: ProfileOI, Zones: []ScenarioZone{{Name: "b1"}, {Name: "b2"}}})
	code, out, _ := a.try(t, "zoneadm", "list", "-cp")
	if code != 0 || !strings.Contains(out, ":a1:installed:") || strings.Contains(out, "b1") {
		t.Fatalf("world a: exit %d\n%s", code, out)
	}
	if code, out, _ = b.try(t, "zoneadm", "list", "-cp"); code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("world b: exit %d\n%s", code, out)
	}
	if code, _, errw := a.try(t, "zoneadm", "-z", "a1", "detach"); code != 0 {
		t.Fatalf("detach: exit %d: %s", code, errw)
	}
	if code, _, errw := a.try(t, "zoneadm", "-z", "nonesuch", "halt"); code == 0 || errw == "" {
		t.Fatalf("halt of no zone: exit %d %q", code, errw)
	}
	if code, _, _ := a.try(t, "rm", "-rf", "/"); code != 127 {
		t.Fatalf("not a tool: exit %d", code)
	}
	s, err := Load(a.World)
	if err != nil || s.Zone("a1").State != "configured" {
		t.Fatalf("a1 after detach: %v %+v", err, s.Zone("a1"))
	}
	inv, err := ReadInvocations(a.World)
	if err != nil || len(inv) != 3 {
		t.Fatalf("%d invocations (%v), want 3", len(inv), err)
	}
	if inv[1].Cmd() != "zoneadm -z a1 detach" || !inv[1].Ended || inv[1].Code != 0 || inv[2].Code == 0 {
		t.Errorf("invocations: %+v", inv)
	}
	// sendmail's message comes from stdin.
	var out2, errw bytes.Buffer
	if code := b.Run(context.Background(), "sendmail", []string{"-t"}, strings.NewReader("To: root\nSubject: hi\n\nbody\n"), &out2, &errw); code != 0 {
		t.Fatalf("sendmail: exit %d: %s", code, errw.String())
	}
	if m, err := ReadMail(b.World); err != nil || len(m) != 1 || m[0].Subject != "hi" {
		t.Fatalf("mail: %v %+v", err, m)
	}
}

// A hung attach returns when ctx ends: the call is killed as a process
// would be (no end record), its zoneadm lock is stale at once, and the
// zone is as the brand leaves it when killed (configured).
func TestHostHungAttachReturnsOnCancel(t *testing.T) {
	t.Parallel()
	h := hostWorld(t, &Scenario{Profile: ProfileS11E, Zones: []ScenarioZone{{Name: "h1", State: "configured", Faults: []string{FaultHungAttach}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var out, errw bytes.Buffer
	code := h.Run(ctx, "zoneadm", []string{"-z", "h1", "attach", "-u"}, nil, &out, &errw)
	if code != -1 || time.Since(start) > 5*time.Second {
		t.Fatalf("hung attach: exit %d after %s", code, time.Since(start))
	}
	inv, _ := ReadInvocations(h.World)
	if len(inv) != 1 || inv[0].Ended {
		t.Fatalf("invocations %+v, want one that never ended", inv)
	}
	// The lock of the killed call does not hold the next one.
	if code, _, errw := h.try(t, "zoneadm", "-z", "h1", "attach", "-u"); code != 0 {
		t.Fatalf("attach -u after the kill: exit %d: %s", code, errw)
	}
}

// Calls in process hold the zoneadm lock against each other as processes
// do: a second zoneadm on the zone meanwhile is refused.
func TestHostCallsLockEachOther(t *testing.T) {
	t.Parallel()
	h := hostWorld(t, &Scenario{Profile: ProfileS11E, Zones: []ScenarioZone{{Name: "l1", State: "configured"}}})
	h.Speed = 1000 // attach -u: 0.3 s
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if code, _, errw := h.try(t, "zoneadm", "-z", "l1", "attach", "-u"); code != 0 {
			t.Errorf("attach -u: exit %d: %s", code, errw)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		inv, _ := ReadInvocations(h.World)
		if len(inv) == 1 && time.Since(inv[0].Start) > 100*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("attach -u did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, _, errw := h.try(t, "zoneadm", "-z", "l1", "detach")
	wg.Wait()
	if code == 0 || !strings.Contains(errw, "zoneadm") {
		t.Fatalf("detach during attach: exit %d %q, want refused", code, errw)
	}
}
