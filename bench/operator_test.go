package bench_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"zoneup/domain"
	"zoneup/sim"
)

// TestOperatorScript runs bench/operator.sh, the operator's plain
// sequential night, on a small simulated Solaris 11 Express fleet: its
// summary line parses and adds up, every zone has one result line with a
// result of upgraded, rolled-back or blocked, the results are what zonesim
// expects of the whole ladder, and the global zone's publishers end as
// they began.
func TestOperatorScript(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulated night (-short)")
	}
	for _, tool := range []string{"bash", "timeout", "awk", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	dir := t.TempDir()
	bin, tools, world := filepath.Join(dir, "zonesim"), filepath.Join(dir, "tools"), filepath.Join(dir, "w")
	if out, err := exec.Command("go", "build", "-o", bin, "zoneup/cmd/zonesim").CombinedOutput(); err != nil {
		t.Fatalf("go build zonesim: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"init", "--world", world, "--profile", "s11e", "--fleet", "8", "--seed", "3"},
		{"tools", "--bin", tools},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("zonesim %v: %v\n%s", args, err, out)
		}
	}
	before, err := sim.Load(world)
	if err != nil {
		t.Fatal(err)
	}

	allow := []string{domain.RungRemoveConflicts, domain.RungRecreateImage}
	cmd := exec.Command("bash", "operator.sh", "--allow", strings.Join(allow, ","))
	cmd.Env = append(os.Environ(), "ZONESIM_WORLD="+world, "ZONESIM_SPEED=5000",
		"PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "OPERATOR_LOGDIR="+filepath.Join(dir, "logs"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("operator.sh: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf(format+"\nstdout:\n%s\nstderr:\n%s", append(a, out, stderr.String())...)
	}

	summary := regexp.MustCompile(`^operator: zones (\d+) rescued (\d+) rolled_back (\d+) failed (\d+) seconds ([0-9.]+)$`)
	zoneLine := regexp.MustCompile(`^operator-zone: (\S+) (\S+) (\S+)$`)
	results := map[string][2]string{}
	var sums []int
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if m := zoneLine.FindStringSubmatch(l); m != nil {
			if _, dup := results[m[1]]; dup {
				fail("zone %s reported twice", m[1])
			}
			rung := m[3]
			if rung == "-" {
				rung = ""
			}
			results[m[1]] = [2]string{m[2], rung}
			continue
		}
		if m := summary.FindStringSubmatch(l); m != nil {
			for _, s := range m[1:5] {
				n, _ := strconv.Atoi(s)
				sums = append(sums, n)
			}
			if _, err := strconv.ParseFloat(m[5], 64); err != nil {
				fail("seconds %q: %v", m[5], err)
			}
			continue
		}
		fail("unexpected line %q", l)
	}
	if sums == nil {
		fail("no summary line")
	}
	count := map[string]int{}
	for zone, r := range results {
		switch r[0] {
		case "upgraded", "rolled-back", "blocked":
		default:
			t.Errorf("%s: result %q, want upgraded, rolled-back or blocked", zone, r[0])
		}
		count[r[0]]++
	}
	if got := []int{len(results), count["upgraded"], count["rolled-back"], count["failed"]}; !reflect.DeepEqual(got, sums) {
		t.Errorf("summary says zones/rescued/rolled_back/failed %v, the zone lines %v", sums, got)
	}
	if len(results) != len(before.Zones) {
		t.Errorf("%d zones reported, the fleet has %d", len(results), len(before.Zones))
	}

	// An operator who climbs the whole ladder rescues what zonesim
	// expects of it.
	ladder := domain.DefaultLadder
	for _, z := range before.Zones {
		want := before.Expect(z.Name, ladder, allow)
		if got, ok := results[z.Name]; !ok || !want.Matches(got[0], got[1]) {
			t.Errorf("%s: got %v, zonesim expects %+v", z.Name, got, want)
		}
	}

	after, err := sim.Load(world)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprintf("%+v", before.GZ.Publishers), fmt.Sprintf("%+v", after.GZ.Publishers); a != b {
		t.Errorf("global zone publishers after the night:\n%s\nbefore:\n%s", b, a)
	}
}
