package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"zoneup/sim"
)

// TestCleanZoneCallsNoMoreThanOperator: zones with nothing to rescue cost
// zoneupd no more tool calls than the operator's script spends on them
// (issue 11: "a job with nothing to rescue makes no more calls than the
// operator's script does for it"), for one zone and, per zone, for three
// (the night's host-wide reads shared). Both run on a fresh world from the
// same scenario: running zones whose plain attach -u succeeds.
func TestCleanZoneCallsNoMoreThanOperator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binaries (-short)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not on PATH")
	}
	bin := binaries(t)
	const scenario = `{"profile": "s11e", "seed": 5, "zones": [
		{"name": "web01", "state": "running"}, {"name": "web02", "state": "running"},
		{"name": "web03", "state": "running"}, {"name": "db01", "state": "running"}]}`
	lines := func(calls []sim.Invocation) string {
		var out []string
		for _, c := range calls {
			out = append(out, c.Tool+" "+strings.Join(c.Argv, " "))
		}
		return strings.Join(out, "\n  ")
	}
	for _, zones := range [][]string{{"web01"}, {"web01", "web02", "web03"}} {
		op := scenarioWorld(t, bin, t.TempDir(), scenario)
		cmd := exec.Command("bash", append([]string{"operator.sh"}, zones...)...)
		cmd.Env = append(op.env, "OPERATOR_LOGDIR="+filepath.Join(t.TempDir(), "oplog"))
		if out, err := cmd.CombinedOutput(); err != nil || strings.Count(string(out), "operator-zone: ") != len(zones) || strings.Count(string(out), " upgraded attach-update") != len(zones) {
			t.Fatalf("operator.sh %v: %v\n%s", zones, err, out)
		}
		opCalls := op.calls()

		dir := t.TempDir()
		zw := scenarioWorld(t, bin, dir, scenario)
		d := startDaemon(t, bin, dir, zw.env, "--concurrency", "1", "--retry-backoff", "5ms")
		d.mustAdm(append([]string{"enqueue"}, zones...)...)
		d.mustAdm("wait", "--timeout", "60s")
		if out := d.mustAdm("list", "-H", "-o", "zone,result"); strings.Count(out, "upgraded") != len(zones) {
			t.Fatalf("not every zone upgraded:\n%s", out)
		}
		d.shutdown()
		zCalls := zw.calls()

		t.Logf("%d zones: operator.sh %d calls, zoneupd %d", len(zones), len(opCalls), len(zCalls))
		if len(zCalls) > len(opCalls) {
			t.Errorf("%d zones with nothing to rescue: zoneupd made %d calls, the operator's script %d\nzoneupd:\n  %s\noperator.sh:\n  %s",
				len(zones), len(zCalls), len(opCalls), lines(zCalls), lines(opCalls))
		}
	}
}

// scenarioWorld is newWorld for a scenario file.
func scenarioWorld(t *testing.T, bin, parent, scenario string) *world {
	t.Helper()
	f := filepath.Join(parent, "scenario.json")
	if err := os.WriteFile(f, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, bin: bin, dir: filepath.Join(parent, "world")}
	tools := filepath.Join(parent, "tools")
	w.zonesim("init", "--world", w.dir, "--scenario", f)
	w.zonesim("tools", "--bin", tools)
	w.env = append(os.Environ(), "ZONESIM_WORLD="+w.dir, "ZONESIM_SPEED=5000",
		"PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	return w
}
