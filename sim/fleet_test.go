package sim

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// pkgTexts are the reference's pkg failure texts (6.2) an attach log may hold.
var pkgTexts = []string{
	"pkg install: No solution was found to satisfy constraints",
	"pkg install: No matching version of entire can be installed:",
	"Errors were encountered while attempting to retrieve package or file data for\nthe requested operation.",
	"The image cannot be modified as it is currently in use by another package client",
}

// The seed's picture: a plain detach + attach -u over a generated fleet
// fails for more than half of the zones, each failure with a real pkg text
// in its attach log, and exactly the zones the show model predicts fail.
func TestFleetPicture(t *testing.T) {
	w := newWorld(t, 20000, "--fleet", "100", "--seed", "1")
	lines := strings.Split(strings.TrimSpace(w.ok("zoneadm", "list", "-cp")), "\n")
	if len(lines) != 101 {
		t.Fatalf("zoneadm list -cp: %d lines, want 101", len(lines))
	}
	for _, l := range lines {
		if f := strings.Split(l, ":"); len(f) != 7 {
			t.Errorf("not 7 fields: %q", l)
		}
	}
	if lines[0] != "0:global:running:/::ipkg:shared" {
		t.Errorf("first line %q", lines[0])
	}

	before := w.showJSON()
	seen := map[string]bool{}
	combos := 0
	for _, z := range before.Zones {
		for _, tr := range z.Troubles {
			seen[tr.Name] = true
			if tr.Cured {
				t.Errorf("%s: %s cured before anything was done", z.Name, tr.Name)
			}
		}
		if len(z.Troubles) >= 2 {
			combos++
		}
		for _, f := range z.Faults {
			if f != FaultLockedOnce && f != FaultSvcMaintenance {
				t.Errorf("%s: fault %s in a generated fleet", z.Name, f)
			}
		}
	}
	for tr := range CuredBy {
		if !seen[tr] {
			t.Errorf("trouble %s nowhere in the fleet", tr)
		}
	}
	if combos == 0 {
		t.Error("no zone has two or more troubles")
	}

	type outcome struct {
		ok  bool
		log string
		out string
	}
	got := make(map[string]outcome)
	var mu sync.Mutex
	// Buffered: a worker that fails the test (t.Fatal ends its goroutine)
	// must not leave the feeder blocked.
	work := make(chan ZoneState, len(before.Zones))
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for z := range work {
				switch z.State {
				case "running":
					w.ok("zoneadm", "-z", z.Name, "halt")
					fallthrough
				case "installed":
					w.ok("zoneadm", "-z", z.Name, "detach")
				}
				r := w.run("zoneadm", "-z", z.Name, "attach", "-u")
				o := outcome{ok: r.code == 0, out: r.out, log: attachLog(t, r.out)}
				mu.Lock()
				got[z.Name] = o
				mu.Unlock()
			}
		}()
	}
	for _, z := range before.Zones {
		work <- z
	}
	close(work)
	wg.Wait()

	failed := 0
	for _, z := range before.Zones {
		o := got[z.Name]
		wantFail := len(z.Troubles) > 0 || slices.Contains(z.Faults, FaultLockedOnce)
		if o.ok == wantFail {
			t.Errorf("%s (troubles %v, faults %v): attach -u ok=%v\n%s%s", z.Name, z.Troubles, z.Faults, o.ok, o.out, o.log)
		}
		if o.ok {
			if !strings.Contains(o.out, "Result: Attach Succeeded.") {
				t.Errorf("%s: success without the result line:\n%s", z.Name, o.out)
			}
			continue
		}
		failed++
		if !strings.Contains(o.out, "ERROR: Could not update attaching zone\n                    Result: Attach Failed.") {
			t.Errorf("%s: stdout of a failed attach -u:\n%s", z.Name, o.out)
		}
		if !slices.ContainsFunc(pkgTexts, func(s string) bool { return strings.Contains(o.log, s) }) {
			t.Errorf("%s: no pkg error text in the attach log:\n%s", z.Name, o.log)
		}
		for _, s := range pkgTexts {
			if strings.Contains(o.out, s) {
				t.Errorf("%s: pkg's error text %q on stdout: it belongs in the log only", z.Name, s)
			}
		}
	}
	t.Logf("%d of %d zones failed a plain attach -u", failed, len(before.Zones))
	if failed*2 <= len(before.Zones) {
		t.Errorf("only %d of %d zones failed", failed, len(before.Zones))
	}

	after := w.showJSON()
	for _, z := range after.Zones {
		want := "installed"
		if !got[z.Name].ok {
			want = "configured"
		}
		if z.State != want || !z.Mounted {
			t.Errorf("%s: %s mounted=%v after attach -u, want %s mounted", z.Name, z.State, z.Mounted, want)
		}
	}
	invs, err := ReadInvocations(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, inv := range invs {
		if inv.Seq != i+1 || !inv.Ended {
			t.Fatalf("invocation %d: %+v", i+1, inv)
		}
	}
}

// A fleet is the same for the same seed, and another seed gives another.
func TestFleetDeterministic(t *testing.T) {
	a := newWorld(t, 20000, "--fleet", "30", "--seed", "7").state()
	b := newWorld(t, 20000, "--fleet", "30", "--seed", "7").state()
	c := newWorld(t, 20000, "--fleet", "30", "--seed", "8").state()
	sig := func(s *State) string {
		var b strings.Builder
		for _, z := range s.Zones {
			b.WriteString(z.Name + z.State + z.Entire)
			for _, tr := range z.Troubles {
				b.WriteString(tr.Name)
			}
			b.WriteString(strings.Join(z.Faults, ","))
		}
		return b.String()
	}
	if sig(a) != sig(b) {
		t.Error("same seed, different fleets")
	}
	if sig(a) == sig(c) {
		t.Error("different seeds, same fleet")
	}
}
