package api

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// morning is a report with one zone per outcome, with the host states and
// next commands the daemon works out (daemon/report.go, tested there).
func morning() Report {
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	skipped := func(rung string) Step {
		return Step{Stage: "remediate", Rung: rung, Started: "2024-05-01T01:09:00Z", Ended: "2024-05-01T01:09:00Z", Outcome: "skipped"}
	}
	detached := "detached and out of service: back on its snapshot, not attached again"
	return Report{
		Generated: t0.Add(5 * time.Hour),
		Scope:     "the window of 2024-04-30 (22:00-06:00)",
		Summary:   map[string]int{"upgraded": 2, "rolled-back": 2, "failed": 1, "blocked": 1, "cancelled": 1}, Queued: 1,
		Paused: true,
		Reason: "circuit breaker: 3 jobs in a row ended rolled-back with the same cause: no-space",
		Jobs: []Job{
			{Zone: "web02", State: "done", Result: "upgraded", Rung: "attach-update", Snapshot: "rpool/zones/web02@zoneup-e",
				Started: t0, Ended: t0.Add(60 * time.Second), HostState: "running", Meaning: "running",
				Next: []string{"zfs destroy -r rpool/zones/web02@zoneup-e   (once you are satisfied with the upgrade)"}},
			{Zone: "web01", State: "done", Result: "upgraded", Rung: "remove-conflicts", Snapshot: "rpool/zones/web01@zoneup-a",
				RemovedPackages: []string{"web/server/apache-22"}, RestoredFiles: []string{"etc/passwd", "etc/shadow"},
				Warnings: []string{"svcs -x: smtp in maintenance"}, Started: t0, Ended: t0.Add(192 * time.Second),
				HostState: "running", Meaning: "running", Next: []string{"zoneupadm log web01   (look at the warnings first)"}},
			{Zone: "db01", State: "rolled-back", Result: "rolled-back", Snapshot: "rpool/zones/db01@zoneup-b",
				Error: "not rescued within policy", Allow: []string{"remove-conflicts"},
				History: []Step{skipped("remove-conflicts"), skipped("recreate-image")}, Started: t0, Ended: t0.Add(10 * time.Minute),
				HostState: "configured", Meaning: detached,
				Next: []string{"zoneupadm log db01", "zoneadm -z db01 attach   (back in service as it was)", "zoneadm -z db01 boot",
					"zoneupadm enqueue --allow recreate-image db01   (recreate-image withheld by policy)"}},
			{Zone: "db02", State: "rolled-back", Result: "rolled-back", Snapshot: "rpool/zones/db02@zoneup-c",
				Error: "no space left on rpool", Cause: "no-space", Next: []string{"zoneupadm log db02", "zoneupadm retry db02"}},
			{Zone: "app01", State: "failed", Result: "failed", Snapshot: "rpool/zones/app01@zoneup-d", Error: "zfs rollback: dataset is busy",
				Next: []string{"zoneupadm log app01"}},
			{Zone: "old01", State: "blocked", Result: "blocked", Error: "zone old01 is incomplete"},
			{Zone: "tmp01", State: "cancelled", Result: "cancelled"},
			{Zone: "web09", State: "queued", Waiting: "window 22:00-06:00 closed (opens at 22:00)"},
		},
	}
}

func TestReportGroupsAndNextCommands(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReport(&b, morning(), time.Now()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)

	// Sections in order, each listing its zones: upgraded zones with
	// warnings before the clean ones.
	order := []string{"covering the window of 2024-04-30 (22:00-06:00)", "UPGRADED WITH WARNINGS (1)", "  web01", "UPGRADED (1)", "  web02",
		"ROLLED BACK (2)", "  db01", "  db02", "FAILED (1)", "  app01",
		"BLOCKED (1)", "  old01", "CANCELLED (1)", "  tmp01", "STILL RUNNING OR QUEUED (1)", "  web09  queued"}
	at := 0
	for _, s := range order {
		i := strings.Index(out[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order", s)
		}
		at += i + len(s)
	}

	for _, want := range []string{
		"8 jobs: 2 upgraded, 2 rolled-back, 1 failed, 1 blocked, 1 cancelled, 1 queued\n",
		"queue paused: circuit breaker: 3 jobs in a row ended rolled-back with the same cause: no-space (zoneupadm resume)\n",
		// upgraded: the rung that saved it, its time, what changed
		"  web01  saved by remove-conflicts, 3m12s\n",
		"    removed packages: web/server/apache-22\n",
		"    restored files:   etc/passwd, etc/shadow\n",
		"    warnings:         svcs -x: smtp in maintenance\n",
		"    zone:             running\n",
		"    next:             zoneupadm log web01   (look at the warnings first)\n",
		"    next:             zfs destroy -r rpool/zones/web02@zoneup-e",
		// rolled back: what the zone is now, and every next command
		"    zone:             configured: detached and out of service",
		"    next:             zoneupadm log db01\n                      zoneadm -z db01 attach   (back in service as it was)\n" +
			"                      zoneadm -z db01 boot\n                      zoneupadm enqueue --allow recreate-image db01",
		"    next:             zoneupadm log db02\n                      zoneupadm retry db02\n",
		// a queued job says why it waits
		"    waiting:          window 22:00-06:00 closed (opens at 22:00)\n",
		// blocked: the reason, once for its group
		"  because zone old01 is incomplete (1)\n    old01\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out, "zfs destroy -r rpool/zones/web01") {
		t.Error("an upgraded zone with warnings is offered the snapshot's destruction")
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing blank in %q", l)
		}
	}
}

// Blocked zones are grouped by the reason that refused them, the most
// common first, the reason said once.
func TestReportGroupsBlockedByReason(t *testing.T) {
	brand := "brand bhyve is not upgraded: zoneup upgrades only ipkg, nlipkg, lipkg, sparse, pkgsrc zones"
	rep := Report{Generated: time.Now(), Summary: map[string]int{"blocked": 3}, Jobs: []Job{
		{Zone: "old01", State: "blocked", Result: "blocked", Error: "zone old01 is incomplete"},
		{Zone: "vm01", State: "blocked", Result: "blocked", Error: brand, Cause: "brand"},
		{Zone: "vm02", State: "blocked", Result: "blocked", Error: brand, Cause: "brand"},
	}}
	var b bytes.Buffer
	if err := WriteReport(&b, rep, time.Now()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := "BLOCKED (3): refused before anything changed; the zone is as it was\n" +
		"  because " + brand + " (2)\n    vm01\n      cause:            brand\n"
	if !strings.Contains(out, want) || strings.Count(out, brand) != 1 || !strings.Contains(out, "    vm02\n") ||
		strings.Index(out, "vm02") > strings.Index(out, "because zone old01 is incomplete (1)") {
		t.Errorf("report:\n%s\nwant it to contain:\n%s", out, want)
	}
}

func TestReportEmpty(t *testing.T) {
	var b bytes.Buffer
	WriteReport(&b, Report{Generated: time.Now(), Summary: map[string]int{}}, time.Now())
	if out := b.String(); !strings.Contains(out, ": 0 jobs\n") || strings.Contains(out, "paused") || strings.Count(out, "\n") != 1 {
		t.Errorf("empty report:\n%s", out)
	}
}

// TestReportCoversEveryResult: a result name without a section would drop
// its jobs from the report, one without a place in the header from the
// counts' order.
func TestReportCoversEveryResult(t *testing.T) {
	for _, r := range Results {
		if !slices.ContainsFunc(reportGroups, func(g struct{ result, title, note string }) bool { return g.result == r }) {
			t.Errorf("result %s has no section in reportGroups", r)
		}
		if !slices.Contains(summaryOrder, r) {
			t.Errorf("result %s is not in summaryOrder", r)
		}
	}
}
