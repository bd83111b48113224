package daemon

import (
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/persist"
)

// What the morning report says a person runs next, and what the zone's
// state means, for each outcome.
func TestNextCommands(t *testing.T) {
	skipped := func(rung string) api.Step { return api.Step{Stage: "remediate", Rung: rung, Outcome: "skipped"} }
	cases := []struct {
		name string
		j    api.Job
		want []string // each a prefix of one command, in order
		not  string
	}{
		{"upgraded, clean", api.Job{Zone: "web02", Result: "upgraded", Snapshot: "rpool/zones/web02@zoneup-e", HostState: "running"},
			[]string{"zfs destroy -r rpool/zones/web02@zoneup-e"}, ""},
		{"upgraded, warnings: look first, keep the snapshot", api.Job{Zone: "web01", Result: "upgraded", Snapshot: "s@zoneup-a",
			Warnings: []string{"svcs -x: smtp"}, HostState: "running"}, []string{"zoneupadm log web01"}, "zfs destroy"},
		{"upgraded, not booted", api.Job{Zone: "nb", Result: "upgraded", Snapshot: "s@zoneup-n", HostState: "installed", NoBoot: true},
			[]string{"zoneadm -z nb boot", "zfs destroy -r s@zoneup-n"}, ""},
		{"rolled back, a rung withheld", api.Job{Zone: "db01", Result: "rolled-back", Allow: []string{domain.RungRemoveConflicts},
			History: []api.Step{skipped(domain.RungRemoveConflicts), skipped(domain.RungRecreateImage)}, HostState: "configured"},
			[]string{"zoneupadm log db01", "zoneadm -z db01 attach", "zoneadm -z db01 boot", "zoneupadm enqueue --allow recreate-image db01"}, "--allow remove-conflicts"},
		{"rolled back for a host cause", api.Job{Zone: "db02", Result: "rolled-back", Cause: "no-space"},
			[]string{"zoneupadm log db02", "zoneupadm retry db02"}, "zfs destroy"},
		{"failed", api.Job{Zone: "app01", Result: "failed", Snapshot: "rpool/zones/app01@zoneup-d"},
			[]string{"zoneupadm log app01", "zfs list -H -r -o name rpool/zones/app01   (then for each dataset, deepest first: zfs rollback DATASET@zoneup-d)"}, ""},
		{"blocked", api.Job{Zone: "old01", Result: "blocked"}, []string{"zoneupadm retry old01"}, ""},
		{"running", api.Job{Zone: "r", State: "attach"}, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := nextCommands(c.j)
			if len(got) != len(c.want) {
				t.Fatalf("%q, want %q", got, c.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Fatalf("%q, want %q", got, c.want)
				}
			}
			if c.not != "" && slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, c.not) }) {
				t.Fatalf("%q has %q", got, c.not)
			}
		})
	}
}

func TestMeaning(t *testing.T) {
	states := map[string]string{"a": "running", "b": "installed", "c": "configured"}
	cases := []struct {
		j           persist.Job
		state, mean string
	}{
		{persist.Job{Zone: "a", Result: "upgraded"}, "running", "running"},
		{persist.Job{Zone: "b", Result: "upgraded", NoBoot: true}, "installed", "installed and not booted (queued with --no-boot"},
		{persist.Job{Zone: "c", Result: "rolled-back"}, "configured", "detached and out of service"},
		{persist.Job{Zone: "gone", Result: "blocked"}, "absent", "not configured on this host"},
	}
	for _, c := range cases {
		st, m := meaning(&c.j, states)
		if st != c.state || !strings.HasPrefix(m, c.mean) {
			t.Errorf("%s: %q %q, want %q %q", c.j.Zone, st, m, c.state, c.mean)
		}
	}
	if st, m := meaning(&persist.Job{Zone: "a"}, nil); st != "" || m != "" {
		t.Errorf("no host answer: %q %q", st, m)
	}
}

// The last window and the window of a night, across midnight.
func TestWindowLastAndOn(t *testing.T) {
	w, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	loc := time.Local
	morning := time.Date(2026, 12, 2, 7, 30, 0, 0, loc)
	from, to := w.Last(morning)
	if !from.Equal(time.Date(2026, 12, 1, 22, 0, 0, 0, loc)) || !to.Equal(time.Date(2026, 12, 2, 6, 0, 0, 0, loc)) {
		t.Errorf("last window at 07:30: %v - %v", from, to)
	}
	if from, _ := w.Last(time.Date(2026, 12, 2, 23, 0, 0, 0, loc)); !from.Equal(time.Date(2026, 12, 2, 22, 0, 0, 0, loc)) {
		t.Errorf("last window at 23:00 (open): %v", from)
	}
	if from, to := w.On(time.Date(2026, 12, 1, 0, 0, 0, 0, loc)); !from.Equal(time.Date(2026, 12, 1, 22, 0, 0, 0, loc)) || to.Sub(from) != 8*time.Hour {
		t.Errorf("the night of 2026-12-01: %v - %v", from, to)
	}
}
