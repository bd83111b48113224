package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
)

// Scenario tests on zonesim's omnios profile (reference section 10): real
// brands, sparse zones and their overlays, attach -u that copies the global
// publishers, failures no rung can fix, and a pool that lives through the
// night (backups, auto-snapshots, clones, delegated datasets).

// omnios is a scenario with the given zones and a bystander z9 that is
// never queued.
func omnios(zones ...string) string {
	return fmt.Sprintf(`{"profile": "omnios", "seed": 5, "zones": [%s,
		{"name": "z9", "state": "running"}]}`, strings.Join(zones, ",\n"))
}

// runZones queues zones with the given allowances and waits for their end.
func runZones(t *testing.T, w *simWorld, allow []string, zones ...string) map[string]api.Job {
	t.Helper()
	e := startEngine(t, nil)
	e.enqueue(allow, zones...)
	e.waitAll(60 * time.Second)
	out := map[string]api.Job{}
	for _, z := range zones {
		out[z] = e.job(z)
	}
	e.stop()
	return out
}

// callsOf is every tool call of the night whose command line names the
// zone or its zonepath (the global zone's calls are left out).
func callsOf(t *testing.T, w *simWorld, zone string) []string {
	t.Helper()
	var out []string
	for _, i := range readInvocations(t, w.dir) {
		c := i.Cmd()
		if strings.Contains(c, " "+zone+" ") || strings.HasSuffix(c, " "+zone) || strings.Contains(c, "/zones/"+zone) {
			out = append(out, c)
		}
	}
	return out
}

// changing reports whether a command line changes the host.
func changing(c string) bool {
	f := strings.Fields(c)
	if len(f) < 2 {
		return false
	}
	switch f[0] {
	case "zoneadm":
		return !slices.Contains(f, "list")
	case "zfs":
		return f[1] != "list" && f[1] != "get"
	case "mount":
		return f[1] != "-p"
	case "umount":
		return true
	case "pkg":
		for _, sub := range []string{"install", "uninstall", "update", "image-update", "image-create", "set-publisher", "unset-publisher", "refresh"} {
			if slices.Contains(f, sub) {
				return true
			}
		}
	}
	return false
}

func hasCall(calls []string, sub string) bool {
	return slices.ContainsFunc(calls, func(c string) bool { return strings.Contains(c, sub) })
}

func TestOmniOSSparseZoneSavedByZonePublishersAfterItsOverlaysAreRemounted(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "brand": "sparse", "troubles": ["zone-publishers"],
		"odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"], "enabled": true, "sticky": true}}`))
	before := w.show()
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "upgraded", domain.RungZonePublishers)
	calls := callsOf(t, w, "z1")
	// The failed attach left the overlays unmounted: they were mounted
	// again before the rung's first pkg call.
	mount := slices.IndexFunc(calls, func(c string) bool {
		return strings.HasPrefix(c, "mount -F zfs -O") || strings.HasPrefix(c, "zfs mount -O")
	})
	unset := slices.IndexFunc(calls, func(c string) bool { return strings.Contains(c, "unset-publisher contrib") })
	if mount < 0 || unset < 0 || mount > unset {
		t.Errorf("overlay mount at %d, unset-publisher at %d:\n%s", mount, unset, strings.Join(calls, "\n"))
	}
	// Not stripped: the attach log named no global publisher's origin.
	if !strings.Contains(steps(j), "remediate/global-publishers:skipped") {
		t.Errorf("history: %s", steps(j))
	}
	if after := w.show(); fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers changed: %v, before %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

func TestOmniOSBrokenSparseZoneIsRolledBackNeverRecreated(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "brand": "sparse", "troubles": ["broken-image"]}`))
	j := runZones(t, w, []string{domain.RungRemoveConflicts, domain.RungRecreateImage}, "z1")["z1"]
	wantJob(t, j, "rolled-back", "")
	i := slices.IndexFunc(j.History, func(s api.Step) bool { return s.Rung == domain.RungRecreateImage })
	if i < 0 || j.History[i].Outcome != "skipped" || !strings.Contains(j.History[i].Error, "never on a sparse zone") {
		t.Errorf("recreate-image step: %+v", j.History)
	}
	if !slices.ContainsFunc(j.Warnings, func(w string) bool { return strings.Contains(w, "recreate-image not run") }) {
		t.Errorf("the report does not say why: warnings %v", j.Warnings)
	}
	if calls := callsOf(t, w, "z1"); hasCall(calls, "image-create") {
		t.Errorf("image-create on a sparse zone:\n%s", strings.Join(calls, "\n"))
	}
}

func TestOmniOSBhyveAndLxZonesBlockedWithNoChangingCall(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "vm1", "state": "running", "brand": "bhyve"}`,
		`{"name": "lx1", "state": "installed", "brand": "lx"}`))
	before := w.show()
	jobs := runZones(t, w, nil, "vm1", "lx1")
	for _, z := range []string{"vm1", "lx1"} {
		j := jobs[z]
		wantJob(t, j, "blocked", "")
		brand := map[string]string{"vm1": "bhyve", "lx1": "lx"}[z]
		if !strings.Contains(j.Error, "brand "+brand) || !strings.Contains(j.Error, "sparse") {
			t.Errorf("%s: error %q does not name its brand and the brands upgraded", z, j.Error)
		}
		for _, c := range callsOf(t, w, z) {
			if changing(c) {
				t.Errorf("%s: changing call %q", z, c)
			}
		}
		if a, b := w.show().zone(z), before.zone(z); a.State != b.State {
			t.Errorf("%s is %s, was %s", z, a.State, b.State)
		}
	}
}

func TestOmniOSSanityFailureRollsBackWithoutClimbing(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "faults": ["sanity-fails"], "troubles": ["conflicts"]}`))
	j := runZones(t, w, []string{domain.RungRemoveConflicts, domain.RungRecreateImage}, "z1")["z1"]
	wantJob(t, j, "rolled-back", "")
	if j.Cause != "host" || !strings.Contains(j.Error, "Sanity Check: FAILED") {
		t.Errorf("cause %q, error %q", j.Cause, j.Error)
	}
	if got := steps(j); strings.Contains(got, "remediate") {
		t.Errorf("climbed the ladder: %s", got)
	}
	calls := callsOf(t, w, "z1")
	if hasCall(calls, " uninstall ") || hasCall(calls, "image-create") {
		t.Errorf("a destructive rung ran:\n%s", strings.Join(calls, "\n"))
	}
}

func TestOmniOSBackupTwinIsNeverTouched(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "faults": ["backup-twin"]}`))
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "upgraded", domain.RungAttachUpdate)
	if !strings.HasPrefix(j.Snapshot, "rpool/") {
		t.Errorf("snapshot %s: not of the mounted dataset", j.Snapshot)
	}
	for _, i := range readInvocations(t, w.dir) {
		if strings.Contains(i.Cmd(), "backup/") {
			t.Errorf("a call names the backup: %s", i.Cmd())
		}
	}
}

func TestOmniOSRollbackAfterAutoSnapshotsDestroysAndNamesThem(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "faults": ["auto-snapshots"], "troubles": ["broken-image"]}`))
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "rolled-back", "")
	if !slices.ContainsFunc(j.Warnings, func(w string) bool { return strings.Contains(w, "zfs-auto-snap") }) {
		t.Errorf("the destroyed snapshots are not named: %v", j.Warnings)
	}
	calls := callsOf(t, w, "z1")
	if !hasCall(calls, "zfs rollback -r ") || hasCall(calls, "zfs rollback -R") {
		t.Errorf("rollback calls:\n%s", strings.Join(calls, "\n"))
	}
	if z := w.show().zone("z1"); z.State != "configured" {
		t.Errorf("z1 is %s after the rollback", z.State)
	}
}

func TestOmniOSRollbackStoppedByACloneFailsCleanly(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "faults": ["be-clone"], "troubles": ["broken-image"]}`))
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "failed", "")
	if !strings.Contains(j.Error, "cloned to") || !strings.Contains(j.Error, "zfs rollback -r") {
		t.Errorf("error %q names neither the clone nor the next command", j.Error)
	}
	calls := callsOf(t, w, "z1")
	if hasCall(calls, "zfs rollback") {
		t.Errorf("something was rolled back:\n%s", strings.Join(calls, "\n"))
	}
	if z := w.show().zone("z1"); z.State != "configured" {
		t.Errorf("z1 is %s, want detached (configured)", z.State)
	}
}

func TestOmniOSDelegatedDatasetIsLeftAlone(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "running", "faults": ["delegated"], "troubles": ["broken-image"]}`))
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "rolled-back", "")
	ds, _, _ := strings.Cut(j.Snapshot, "@")
	if !slices.ContainsFunc(j.Warnings, func(w string) bool { return strings.Contains(w, "delegated dataset "+ds+"/data") }) {
		t.Errorf("the delegated dataset is not named: %v", j.Warnings)
	}
	if calls := callsOf(t, w, "z1"); hasCall(calls, "zfs rollback "+ds+"/data@") || hasCall(calls, "zfs rollback -r "+ds+"/data@") {
		t.Errorf("the delegated dataset was rolled back:\n%s", strings.Join(calls, "\n"))
	}
}

// The global zone's disabled publisher (Publisher enabled: No, two origins
// in an unsorted order, a property) comes back exactly after a strip.
func TestOmniOSGlobalPublishersRestoredExactly(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "installed", "troubles": ["gz-publishers"]}`,
		`{"name": "z2", "state": "installed", "troubles": ["stale-image"]}`))
	before := w.show()
	jobs := runZones(t, w, nil, "z1", "z2")
	wantJob(t, jobs["z1"], "upgraded", domain.RungGlobalPublishers)
	wantJob(t, jobs["z2"], "upgraded", domain.RungImageUpdate)
	if got := steps(jobs["z2"]); !strings.Contains(got, "remediate/global-publishers:skipped") {
		t.Errorf("z2 (a failure on no global publisher) stripped the global zone: %s", got)
	}
	after := w.show()
	if fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after:\n  %+v\nbefore:\n  %+v", after.GZ.Publishers, before.GZ.Publishers)
	}
	var disabled *simPublisher
	for i, p := range after.GZ.Publishers {
		if !p.Enabled {
			disabled = &after.GZ.Publishers[i]
		}
	}
	if disabled == nil || len(disabled.Origins) < 2 || len(disabled.Properties) == 0 {
		t.Fatalf("the scenario lacks a disabled publisher with two origins and a property: %+v", after.GZ.Publishers)
	}
}

// The fleet on the omnios profile: every brand and fault, every zone as
// zonesim expects, the global publishers as they began.
func TestFleetOmniOS(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet: not in -short")
	}
	w := newSimWorld(t, fast, "--profile", "omnios", "--fleet", "32", "--seed", "8")
	before, plan := w.show(), w.state()
	present := map[string]bool{}
	for _, z := range before.Zones {
		present[z.Brand] = true
		for _, f := range z.Faults {
			present[f] = true
		}
	}
	for _, want := range []string{"ipkg", "lipkg", "sparse", "pkgsrc", "bhyve", "lx",
		"sanity-fails", "backup-twin", "auto-snapshots", "be-clone", "delegated"} {
		if !present[want] {
			t.Errorf("the fleet has no %s zone", want)
		}
	}
	allow := []string{domain.RungRemoveConflicts, domain.RungRecreateImage}
	e := startEngine(t, map[string]string{"concurrency": "4"})
	e.enqueue(allow, zoneNames(before)...)
	jobs := e.waitAll(3 * time.Minute)
	e.stop()
	results := map[string]int{}
	for _, j := range jobs {
		results[j.Result]++
		if want := plan.Expect(j.Zone, domain.DefaultLadder, allow); !want.Matches(j.Result, j.Rung) {
			z := before.zone(j.Zone)
			t.Errorf("%s (%s, troubles %v, faults %v): %s/%s, want %s/%s\n  %s\n  %s", j.Zone, z.Brand, z.Troubles, z.Faults,
				j.Result, j.Rung, want.Result, want.Rung, steps(j), j.Error)
		}
	}
	t.Logf("omnios fleet of %d: %v", len(jobs), results)
	if after := w.show(); fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}

// A client whose `pkg publisher NAME` says under neither label whether a
// publisher is enabled: the global zone is not stripped (the tsv's word
// cannot be trusted, reference 6.4a), the rung is skipped with the reason,
// and the global zone is left exactly as it was.
func TestOmniOSNoEnabledLineNoStrip(t *testing.T) {
	w := newScenario(t, fast, omnios(`{"name": "z1", "state": "installed", "troubles": ["gz-publishers"]}`))
	wrapPkg(t, w, `if [ "$1 $2 $3" = "-R / publisher" ] && [ $# -eq 4 ]; then
	(exec -a pkg $SIM "$@") | grep -v 'enabled:'
	exit ${PIPESTATUS[0]}
fi`)
	before := w.show()
	j := runZones(t, w, nil, "z1")["z1"]
	wantJob(t, j, "rolled-back", "")
	i := slices.IndexFunc(j.History, func(s api.Step) bool { return s.Rung == domain.RungGlobalPublishers && s.Stage == "remediate" })
	if i < 0 || j.History[i].Outcome != "skipped" || !strings.Contains(j.History[i].Error, "does not say whether the publisher is enabled") {
		t.Errorf("global-publishers step: %+v", j.History)
	}
	for _, c := range readInvocations(t, w.dir) {
		if cmd := c.Cmd(); strings.HasPrefix(cmd, "pkg -R / unset-publisher") || strings.HasPrefix(cmd, "pkg -R / set-publisher") {
			t.Errorf("the global zone was changed: %s", cmd)
		}
	}
	if after := w.show(); fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers changed")
	}
}
