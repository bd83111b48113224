package daemon

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/persist"
)

// Scenario tests: one story per trouble, per fault and for several
// combinations, each run by the engine against the real zonesim binary.

const fast = 20000 // ZONESIM_SPEED: a 300 s attach -u takes 15 ms

// oneZone is a scenario with zone z1 (and a bystander z2 that is never
// queued) on the given profile.
func oneZone(profile, z1 string) string {
	return fmt.Sprintf(`{"profile": %q, "seed": 5, "zones": [%s,
		{"name": "z2", "state": "running"}]}`, profile, z1)
}

// steps renders a job's history as "stage/rung:outcome" words.
func steps(j api.Job) string {
	var out []string
	for _, s := range j.History {
		w := s.Stage
		if s.Rung != "" {
			w += "/" + s.Rung
		}
		out = append(out, w+":"+s.Outcome)
	}
	return strings.Join(out, " ")
}

// run queues z1 with the given allowances and waits for its end.
func runZ1(t *testing.T, w *simWorld, kv map[string]string, allow ...string) (api.Job, simState, simState) {
	t.Helper()
	before := w.show()
	e := startEngine(t, kv)
	e.enqueue(allow, "z1")
	e.waitAll(60 * time.Second)
	j := e.job("z1")
	e.stop()
	return j, before, w.show()
}

func wantJob(t *testing.T, j api.Job, result, rung string) {
	t.Helper()
	if j.Result != result || j.Rung != rung {
		t.Fatalf("%s: result %q rung %q, want %q %q\nerror: %s\nhistory: %s", j.Zone, j.Result, j.Rung, result, rung, j.Error, steps(j))
	}
}

func TestScenarioCleanZoneUpgradesByPlainAttach(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running"}`))
	j, _, after := runZ1(t, w, nil)
	wantJob(t, j, "upgraded", domain.RungAttachUpdate)
	z := after.zone("z1")
	if z.State != "running" || z.Entire != "0.5.11-0.151.0.1" {
		t.Errorf("z1 is %s at entire@%s, want running at the global zone's release", z.State, z.Entire)
	}
	if want := z.Dataset + "@zoneup-" + j.ID; j.Snapshot != want || !slices.Contains(z.Snapshots, want) {
		t.Errorf("snapshot %q (zone has %v), want %q", j.Snapshot, z.Snapshots, want)
	}
	if got := steps(j); got != "preflight:ok halt:ok snapshot:ok detach:ok attach/attach-update:ok boot:ok verify:ok" {
		t.Errorf("history: %s", got)
	}
	if len(j.Warnings) != 0 {
		t.Errorf("warnings: %v", j.Warnings)
	}
}

func TestScenarioEachTroubleIsCuredByItsRung(t *testing.T) {
	cases := []struct {
		profile, trouble, extra string
		allow                   []string
		rung                    string
	}{
		{"s11e", "gz-publishers", "", nil, domain.RungGlobalPublishers},
		{"oi", "gz-publishers", "", nil, domain.RungGlobalPublishers},
		{"s11e", "zone-publishers", `, "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}`, nil, domain.RungZonePublishers},
		{"s11e", "too-old", `, "entire": "0.5.11-0.111"`, nil, domain.RungStepRelease},
		{"s11e", "stale-image", "", nil, domain.RungImageUpdate},
		{"oi", "stale-image", "", nil, domain.RungImageUpdate},
		{"s11e", "conflicts", `, "conflict_packages": ["web/server/apache-22", "web/php-52", "database/postgres-83"]`, []string{domain.RungRemoveConflicts}, domain.RungRemoveConflicts},
		{"s11e", "broken-image", "", []string{domain.RungRecreateImage}, domain.RungRecreateImage},
		{"oi", "broken-image", "", []string{domain.RungRecreateImage}, domain.RungRecreateImage},
	}
	for _, c := range cases {
		t.Run(c.profile+"/"+c.trouble, func(t *testing.T) {
			w := newScenario(t, fast, oneZone(c.profile, fmt.Sprintf(`{"name": "z1", "state": "installed", "troubles": [%q]%s}`, c.trouble, c.extra)))
			j, before, after := runZ1(t, w, nil, c.allow...)
			wantJob(t, j, "upgraded", c.rung)
			if z := after.zone("z1"); z.State != "running" || z.Entire != after.GZ.Entire {
				t.Errorf("z1 is %s at entire@%s", z.State, z.Entire)
			}
			if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
				t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
			}
		})
	}
}

func TestScenarioConflictsRemovedInOneNonRecursiveUninstall(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running", "troubles": ["conflicts"],
		"conflict_packages": ["web/server/apache-22", "web/php-52", "database/postgres-83"]}`))
	j, _, _ := runZ1(t, w, nil, domain.RungRemoveConflicts)
	wantJob(t, j, "upgraded", domain.RungRemoveConflicts)
	slices.Sort(j.RemovedPackages)
	if fmt.Sprint(j.RemovedPackages) != "[database/postgres-83 web/php-52 web/server/apache-22]" {
		t.Errorf("removed_packages: %v", j.RemovedPackages)
	}
	var uninstalls []string
	for _, i := range readInvocations(t, w.dir) {
		if c := i.Cmd(); strings.Contains(c, " uninstall ") {
			uninstalls = append(uninstalls, c)
		}
	}
	if len(uninstalls) != 1 || strings.Contains(uninstalls[0], " -r ") {
		t.Errorf("uninstall calls: %q, want one, never -r", uninstalls)
	}
}

func TestScenarioDestructiveRungWithheldRollsBackExactly(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running", "troubles": ["conflicts"],
		"conflict_packages": ["web/server/apache-22", "web/php-52"]}`))
	root := filepath.Join(w.dir, "zones", "z1", "root")
	passwd, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil {
		t.Fatal(err)
	}
	j, before, after := runZ1(t, w, nil)
	wantJob(t, j, "rolled-back", "")
	if !strings.Contains(steps(j), "remediate/remove-conflicts:skipped") || !strings.Contains(steps(j), "rollback:ok") {
		t.Errorf("history: %s", steps(j))
	}
	b, a := before.zone("z1"), after.zone("z1")
	if a.State != "configured" {
		t.Errorf("z1 is %s after rollback, want configured (detached)", a.State)
	}
	if fmt.Sprint(a.Packages) != fmt.Sprint(b.Packages) || a.Entire != b.Entire || fmt.Sprint(a.Publishers) != fmt.Sprint(b.Publishers) {
		t.Errorf("package image not as before:\nbefore %v %v\nafter  %v %v", b.Entire, b.Packages, a.Entire, a.Packages)
	}
	// Detached, the zone BE stays mounted through its mountpoint, files in view.
	if !a.Mounted {
		t.Errorf("rolled-back zone BE is not mounted on the zone root")
	}
	if got, _ := os.ReadFile(filepath.Join(root, "etc", "passwd")); string(got) != string(passwd) {
		t.Errorf("etc/passwd differs after rollback")
	}
	if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

func TestScenarioRecreateImageRestoresConfiguration(t *testing.T) {
	w := newScenario(t, fast, oneZone("oi", `{"name": "z1", "state": "running", "troubles": ["broken-image"]}`))
	root := filepath.Join(w.dir, "zones", "z1", "root")
	want := map[string]string{}
	for _, f := range []string{"etc/passwd", "etc/shadow", "etc/hosts", "etc/nodename"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		want[f] = string(b)
	}
	j, _, _ := runZ1(t, w, nil, domain.RungRecreateImage)
	wantJob(t, j, "upgraded", domain.RungRecreateImage)
	for f, content := range want {
		got, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || string(got) != content {
			t.Errorf("%s not restored from the snapshot (err %v)", f, err)
		}
	}
	for _, f := range j.RestoredFiles {
		if _, err := os.Stat(filepath.Join(root, f+".zoneup-new")); err != nil {
			t.Errorf("restored %s but the replaced version is not kept: %v", f, err)
		}
	}
	creates := 0
	for _, i := range readInvocations(t, w.dir) {
		if strings.Contains(i.Cmd(), " image-create ") {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d image-create calls, want 1", creates)
	}
}

func TestScenarioCombinationClimbsCumulatively(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running",
		"troubles": ["gz-publishers", "too-old", "conflicts", "stale-image"], "entire": "0.5.11-0.117",
		"conflict_packages": ["web/server/apache-22", "developer/sunstudioexpress"]}`))
	j, before, after := runZ1(t, w, nil, domain.RungRemoveConflicts)
	wantJob(t, j, "upgraded", domain.RungRemoveConflicts)
	got := steps(j)
	for _, s := range []string{"attach/attach-update:failed", "remediate/global-publishers:ok", "attach/global-publishers:failed",
		"remediate/step-release:ok", "remediate/image-update:ok", "remediate/remove-conflicts:ok", "attach/remove-conflicts:ok"} {
		if !strings.Contains(got, s) {
			t.Errorf("history lacks %s: %s", s, got)
		}
	}
	if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers not restored: %v, before %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

func TestScenarioFaults(t *testing.T) {
	cases := []struct {
		name, zone   string
		kv           map[string]string
		result, rung string
		check        func(t *testing.T, j api.Job, after simState)
	}{
		{name: "image locked once is retried", zone: `{"name": "z1", "state": "running", "faults": ["locked-once"]}`,
			result: "upgraded", rung: domain.RungAttachUpdate},
		{name: "a rung's pkg call refused by the image lock is retried", zone: `{"name": "z1", "state": "running", "troubles": ["stale-image"], "faults": ["pkg-locked-once"]}`,
			result: "upgraded", rung: domain.RungImageUpdate},
		{name: "hung attach is killed at stage_timeout and the ladder climbs", zone: `{"name": "z1", "state": "running", "faults": ["hung-attach"]}`,
			kv: map[string]string{"stage_timeout": "2s"}, result: "upgraded", rung: domain.RungGlobalPublishers},
		{name: "no space blocks before anything changes", zone: `{"name": "z1", "state": "running", "faults": ["no-space"]}`,
			result: "blocked", check: func(t *testing.T, j api.Job, after simState) {
				if z := after.zone("z1"); z.State != "running" || len(z.Snapshots) != 0 {
					t.Errorf("blocked zone is %s with snapshots %v; want running, untouched", z.State, z.Snapshots)
				}
			}},
		{name: "snapshot out of space blocks and boots the zone again", zone: `{"name": "z1", "state": "running", "faults": ["no-space-snapshot"]}`,
			result: "blocked", check: func(t *testing.T, j api.Job, after simState) {
				if z := after.zone("z1"); z.State != "running" {
					t.Errorf("zone is %s, want running again", z.State)
				}
			}},
		{name: "zonepath not a dataset blocks", zone: `{"name": "z1", "state": "installed", "faults": ["not-dataset"]}`, result: "blocked"},
		{name: "incomplete zone blocks", zone: `{"name": "z1", "state": "incomplete"}`, result: "blocked"},
		{name: "first publisher unreachable rolls back without climbing", zone: `{"name": "z1", "state": "running", "faults": ["repo-down"]}`,
			result: "rolled-back", check: func(t *testing.T, j api.Job, after simState) {
				if strings.Contains(steps(j), "remediate") {
					t.Errorf("climbed the ladder on an unfixable cause: %s", steps(j))
				}
				if !strings.HasPrefix(j.Cause, "transport ") {
					t.Errorf("cause %q", j.Cause)
				}
			}},
		{name: "out of space during attach rolls back", zone: `{"name": "z1", "state": "running", "faults": ["no-space-attach"]}`,
			result: "rolled-back", check: func(t *testing.T, j api.Job, after simState) {
				if j.Cause != "no-space" {
					t.Errorf("cause %q, want no-space", j.Cause)
				}
			}},
		{name: "a boot that fails rolls back", zone: `{"name": "z1", "state": "running", "faults": ["boot-fails"]}`,
			result: "rolled-back", rung: domain.RungAttachUpdate},
		{name: "services in maintenance are a warning", zone: `{"name": "z1", "state": "running", "faults": ["svc-maintenance"]}`,
			result: "upgraded", rung: domain.RungAttachUpdate, check: func(t *testing.T, j api.Job, after simState) {
				if len(j.Warnings) == 0 {
					t.Errorf("no warning for svcs -x output")
				}
			}},
		{name: "a detached zone is upgraded and booted", zone: `{"name": "z1", "state": "configured"}`,
			result: "upgraded", rung: domain.RungAttachUpdate, check: func(t *testing.T, j api.Job, after simState) {
				if z := after.zone("z1"); z.State != "running" {
					t.Errorf("zone is %s, want running", z.State)
				}
			}},
		{name: "no boot leaves the upgraded zone installed", zone: `{"name": "z1", "state": "running"}`,
			kv: map[string]string{"boot_after": "false"}, result: "upgraded", rung: domain.RungAttachUpdate,
			check: func(t *testing.T, j api.Job, after simState) {
				if z := after.zone("z1"); z.State != "installed" {
					t.Errorf("zone is %s, want installed", z.State)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newScenario(t, fast, oneZone("s11e", c.zone))
			j, _, after := runZ1(t, w, c.kv)
			wantJob(t, j, c.result, c.rung)
			if c.check != nil {
				c.check(t, j, after)
			}
		})
	}
}

// The fleet: 40 seeded zones, remove-conflicts allowed for all and
// recreate-image for half; every outcome is the one zonesim's troubles
// allow, every rolled-back zone's packages are as before, and the global
// zone's publishers end as they began.
func TestFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet: not in -short")
	}
	w := newSimWorld(t, fast, "--fleet", "40", "--seed", "3")
	before, plan := w.show(), w.state()
	files := map[string]map[string]string{}
	for _, z := range before.Zones {
		files[z.Name] = w.zoneFiles(z)
	}
	e := startEngine(t, map[string]string{"concurrency": "4", "allow": domain.RungRemoveConflicts})
	var half, rest []string
	for i, z := range before.Zones {
		if i%2 == 0 {
			half = append(half, z.Name)
		} else {
			rest = append(rest, z.Name)
		}
	}
	e.enqueue([]string{domain.RungRecreateImage}, half...)
	e.enqueue(nil, rest...)
	jobs := e.waitAll(3 * time.Minute)
	e.stop()
	after := w.show()
	results, rolledBack := map[string]int{}, 0
	for _, j := range jobs {
		allow := []string{domain.RungRemoveConflicts}
		if slices.Contains(half, j.Zone) {
			allow = append(allow, domain.RungRecreateImage)
		}
		want := plan.Expect(j.Zone, domain.DefaultLadder, allow)
		results[j.Result]++
		if !want.Matches(j.Result, j.Rung) {
			t.Errorf("%s: %s/%s, want %s/%s (troubles %v)\n  %s\n  %s", j.Zone, j.Result, j.Rung, want.Result, want.Rung,
				before.zone(j.Zone).Troubles, steps(j), j.Error)
		}
		if j.Result == "rolled-back" {
			b, a := before.zone(j.Zone), after.zone(j.Zone)
			if fmt.Sprint(a.Packages) != fmt.Sprint(b.Packages) || a.Entire != b.Entire || fmt.Sprint(a.Publishers) != fmt.Sprint(b.Publishers) {
				t.Errorf("%s rolled back but its package image differs", j.Zone)
			}
			now := w.zoneFiles(a)
			if len(now) == 0 || !maps.Equal(now, files[j.Zone]) {
				t.Errorf("%s rolled back but its files differ (%d files before, %d after)", j.Zone, len(files[j.Zone]), len(now))
			}
			rolledBack++
		}
	}
	t.Logf("fleet of %d: %v", len(jobs), results)
	if rolledBack == 0 {
		t.Errorf("no zone was rolled back: the fleet does not test rollback")
	}
	if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

// tool runs one simulated tool in the world.
func (w *simWorld) tool(name string, args ...string) string {
	w.t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// zoneFiles hashes every file of the zone's active BE, wherever zonesim
// keeps it: on the zone root while mounted, in data/ otherwise. The
// snapshot folder and the package metadata are left out (the image is
// compared through show).
func (w *simWorld) zoneFiles(z simZone) map[string]string {
	w.t.Helper()
	return zoneFilesIn(w.dir, z.Name, z.ZBE, z.Mounted)
}

// zoneFilesIn hashes the regular files of zone's active BE in world: its
// root while mounted, else zonesim's data/ folder of the zone BE; the
// snapshot folder and the package metadata left out.
func zoneFilesIn(world, zone, zbe string, mounted bool) map[string]string {
	dir := filepath.Join(world, "zones", zone, "root")
	if !mounted {
		dir = filepath.Join(world, "data", strings.ReplaceAll(zbe, "/", "%"))
	}
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && (rel == ".zfs" || rel == "var/pkg") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		return nil
	})
	return out
}

// wrapPkg puts a bash script in front of zonesim's pkg: body runs first,
// with $SIM the simulator (run it as `exec -a pkg $SIM "$@"`).
func wrapPkg(t *testing.T, w *simWorld, body string) {
	t.Helper()
	link := filepath.Join(w.tools, "pkg")
	target, err := os.Readlink(link)
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/bash\nSIM=" + target + "\n" + body + "\nexec -a pkg $SIM \"$@\"\n"
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(link, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A rung that fails before it changes anything is owed no attach -u: the
// next rung follows at once. Here the zone image's publisher list cannot be
// read (a pkg wrapper refuses it), so zone-publishers fails before acting.
func TestScenarioRungFailingBeforeActingIsPassed(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running", "troubles": ["stale-image"]}`))
	root := filepath.Join(w.dir, "zones", "z1", "root")
	wrapPkg(t, w, fmt.Sprintf(`if [ "$1 $2 $3 $4" = "-R %s publisher -H" ]; then
	echo "pkg: simulated failure reading the publishers" >&2
	exit 1
fi`, root))
	j, _, _ := runZ1(t, w, nil)
	wantJob(t, j, "upgraded", domain.RungImageUpdate)
	got := steps(j)
	if !strings.Contains(got, "remediate/zone-publishers:failed remediate/step-release") || strings.Contains(got, "attach/zone-publishers") {
		t.Errorf("history: %s", got)
	}
}

// Where set-publisher puts a publisher it adds is not documented: this pkg
// puts a re-added one right after the first-ranked publisher, not last.
// The restore still ends with the recorded search order.
func TestScenarioRestoreKeepsTheSearchOrder(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "running", "troubles": ["gz-publishers"]}`))
	first := w.show().GZ.Publishers[0].Name
	wrapPkg(t, w, fmt.Sprintf(`if [ "$1 $2 $3" = "-R / set-publisher" ] && [[ " $* " == *" -g "* ]]; then
	(exec -a pkg $SIM "$@") || exit
	exec -a pkg $SIM -R / set-publisher --no-refresh --search-after=%s "${@: -1}"
fi`, first))
	j, before, after := runZ1(t, w, nil)
	wantJob(t, j, "upgraded", domain.RungGlobalPublishers)
	if len(before.GZ.Publishers) < 3 {
		t.Fatalf("the test needs three global publishers, has %v", before.GZ.Publishers)
	}
	if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

// A job an earlier zoneupd refused after the halt, before it booted the
// zone again (block_pending on disk, the state beside the machine), is
// moved onto the machine's boot-back state at the next start: the zone is
// booted again and the job ends blocked, with nothing else done.
func TestOldBlockPendingRecordBootsBack(t *testing.T) {
	w := newScenario(t, fast, oneZone("s11e", `{"name": "z1", "state": "installed"}`))
	db := filepath.Join(t.TempDir(), "zoneup.db")
	store, err := persist.Open(db, persist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	j := &persist.Job{ID: "20261202T010000.000000Z-0b10c1", Zone: "z1", State: string(fsm.Snapshot), Attempt: 1,
		Enqueued: now, Started: now, PriorState: "running", BlockPending: true,
		Error: "cannot create snapshot: out of space", Cause: "no-space",
		History: []persist.Step{{Stage: "snapshot", Started: now, Ended: now, Outcome: "failed", Error: "out of space"}}}
	if err := store.PutJob(j); err != nil {
		t.Fatal(err)
	}
	store.Close()
	before := len(readInvocations(t, w.dir))
	e := startEngineAt(t, db, nil)
	e.waitAll(30 * time.Second)
	got := e.job("z1")
	if got.State != "blocked" || got.Cause != "no-space" {
		t.Fatalf("job %s cause %q, want blocked no-space", got.State, got.Cause)
	}
	if z := w.show().zone("z1"); z.State != "running" {
		t.Errorf("z1 is %s, want running again", z.State)
	}
	var calls []string
	for _, c := range readInvocations(t, w.dir)[before:] {
		calls = append(calls, c.Tool+" "+strings.Join(c.Argv, " "))
	}
	if want := []string{"zoneadm -z z1 list -p", "zoneadm -z z1 boot"}; !slices.Equal(calls, want) {
		t.Errorf("calls %q, want %q", calls, want)
	}
}
