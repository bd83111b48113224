package daemon

import (
	"context"
	"slices"
	"testing"

	"zoneup/daemon/api"
	"zoneup/persist"
)

// ActiveJobs hands out the jobs that are not terminal, in enqueue order,
// as Jobs would show them.
func TestActiveJobs(t *testing.T) {
	e, _, _ := memEngine(t, []*persist.Job{
		{ID: "20261203T010000.000001Z-aaaaaa", Zone: "web01", State: "done", Result: "upgraded"},
		{ID: "20261203T010000.000002Z-bbbbbb", Zone: "web02", State: "attach"},
		{ID: "20261203T010000.000003Z-cccccc", Zone: "db01", State: "rolled-back", Result: "rolled-back"},
		{ID: "20261203T010000.000004Z-dddddd", Zone: "db02", State: "queued"},
	})
	var all, active []api.Job
	collect := func(into *[]api.Job) func(api.Job) error {
		return func(j api.Job) error { *into = append(*into, j); return nil }
	}
	if err := e.Jobs(context.Background(), collect(&all)); err != nil {
		t.Fatal(err)
	}
	if err := e.ActiveJobs(context.Background(), collect(&active)); err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, j := range active {
		zones = append(zones, j.Zone)
	}
	if !slices.Equal(zones, []string{"web02", "db02"}) {
		t.Fatalf("active jobs %q", zones)
	}
	if len(all) != 4 || !slices.EqualFunc(active, []api.Job{all[1], all[3]}, func(a, b api.Job) bool { return a.ID == b.ID && a.State == b.State }) {
		t.Errorf("active jobs differ from Jobs' view of them: %+v", active)
	}
}
