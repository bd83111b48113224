package sim

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A reboot: running zones come back installed, those with autoboot are
// booted again; detached zones keep their zbe mounted; legacy mounts and
// the locks of the dead tools are gone.
func TestReboot(t *testing.T) {
	w := newScenario(t, 1000, `{"zones": [
		{"name": "run-auto", "state": "running", "autoboot": true},
		{"name": "run-manual", "state": "running", "autoboot": false},
		{"name": "inst-auto", "state": "installed", "autoboot": true},
		{"name": "inst-mounted", "state": "installed", "autoboot": false},
		{"name": "detached", "state": "configured"},
		{"name": "no-boot", "state": "running", "autoboot": true, "faults": ["boot-fails"]},
		{"name": "hung", "state": "configured", "faults": ["hung-attach"]}]}`)
	w.ok("mount", "-F", "zfs", "rpool/zones/inst-mounted/ROOT/zbe", w.root("inst-mounted"))
	hung := w.start("zoneadm", "-z", "hung", "attach", "-u")
	w.waitHanging("hung")
	hung.Process.Kill()
	hung.Wait()

	if out, err := exec.Command(filepath.Join(binDir, "zonesim"), "reboot", "--world", w.dir).CombinedOutput(); err != nil {
		t.Fatalf("zonesim reboot: %v\n%s", err, out)
	}
	s := w.state()
	for _, c := range []struct {
		zone, state string
		mounted     bool
	}{
		{"run-auto", "running", true},
		{"run-manual", "installed", false},
		{"inst-auto", "running", true},
		{"inst-mounted", "installed", false},
		{"detached", "configured", true},
		{"no-boot", "installed", false},
		{"hung", "configured", true},
	} {
		z := s.Zone(c.zone)
		if z.State != c.state || z.Mounted != c.mounted {
			t.Errorf("%s: %s mounted=%v, want %s mounted=%v", c.zone, z.State, z.Mounted, c.state, c.mounted)
		}
		ents, _ := os.ReadDir(w.root(c.zone))
		if (len(ents) > 0) != c.mounted {
			t.Errorf("%s: %d entries in the zone root, mounted=%v", c.zone, len(ents), c.mounted)
		}
	}
	st, err := openStore(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	st.locked(false, func(wd *world) error {
		if len(wd.Locks) != 0 {
			t.Errorf("locks after reboot: %v", wd.Locks)
		}
		return nil
	})
	w.ok("zoneadm", "-z", "hung", "attach", "-u")
}
