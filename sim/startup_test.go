package sim

import (
	"testing"
	"time"
)

// TestStartUpCost: every call pays its tool's start-up cost, scaled by
// ZONESIM_SPEED, inside the duration the invocation log records: a pkg
// publisher (a Python client loading its image) takes at least its 1.0 s
// scaled, a zfs list (a small C program) much less; beadm is Python on
// s11e only.
func TestStartUpCost(t *testing.T) {
	const speed = 10
	scaled := func(s float64) time.Duration { return time.Duration(s / speed * float64(time.Second)) }
	byCmd := func(w *testWorld) map[string]Invocation {
		invs, err := ReadInvocations(w.dir)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Invocation{}
		for _, inv := range invs {
			m[inv.Cmd()] = inv
		}
		return m
	}
	took := func(inv Invocation) time.Duration {
		if !inv.Ended {
			t.Fatalf("%s never ended", inv.Cmd())
		}
		if d := time.Duration(inv.DurMS) * time.Millisecond; d < inv.End.Sub(inv.Start)-time.Millisecond {
			t.Errorf("%s: dur_ms %v but start..end %v", inv.Cmd(), d, inv.End.Sub(inv.Start))
		}
		return inv.End.Sub(inv.Start)
	}

	w := newScenario(t, speed, `{"profile": "oi", "zones": [{"name": "web01"}]}`)
	w.ok("pkg", "publisher", "-H")
	w.ok("zfs", "list", "-H", "-o", "name")
	w.ok("beadm", "list", "-H")
	w.expectCode(2, "pkg") // a usage error still loads the client
	invs := byCmd(w)
	pkgCost := scaled(StartUpCost("pkg", "oi") + durReadOnly)
	pub, zfs := took(invs["pkg publisher -H"]), took(invs["zfs list -H -o name"])
	if pub < pkgCost {
		t.Errorf("pkg publisher took %v, less than its scaled cost %v", pub, pkgCost)
	}
	if zfs >= pub/3 || zfs < scaled(StartUpCost("zfs", "oi")+durReadOnly) {
		t.Errorf("zfs list took %v, pkg publisher %v: want at least %v and much less than pkg", zfs, pub,
			scaled(StartUpCost("zfs", "oi")+durReadOnly))
	}
	if d := took(invs["pkg"]); d < scaled(StartUpCost("pkg", "oi")) {
		t.Errorf("pkg with no subcommand took %v, less than the start-up cost", d)
	}
	if be := took(invs["beadm list -H"]); be >= pub/3 {
		t.Errorf("beadm list on oi took %v, pkg publisher %v: C beadm should be cheap", be, pub)
	}

	s := newScenario(t, speed, `{"profile": "s11e", "zones": [{"name": "web01"}]}`)
	s.ok("beadm", "list", "-H")
	if be := took(byCmd(s)["beadm list -H"]); be < scaled(StartUpCost("beadm", "s11e")+durReadOnly) {
		t.Errorf("beadm list on s11e took %v, less than Python beadm's scaled cost", be)
	}
}
