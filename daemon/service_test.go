package daemon

import (
	"context"
	"errors"
	"fmt"
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

// Jobs hands out every job in order while the store reads ahead; an error
// of fn, or the end of ctx, stops the walk and is returned.
func TestJobsReadAhead(t *testing.T) {
	var jobs []*persist.Job
	for i := range 3*jobsAhead + 5 {
		jobs = append(jobs, &persist.Job{ID: fmt.Sprintf("20261203T010000.%06dZ-aaaaaa", i), Zone: fmt.Sprintf("z%d", i%7), State: "done", Result: "upgraded"})
	}
	e, _, _ := memEngine(t, jobs)
	ctx := context.Background()
	var ids []string
	if err := e.Jobs(ctx, func(j api.Job) error { ids = append(ids, j.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(jobs) || !slices.IsSorted(ids) {
		t.Fatalf("%d jobs, in order: %v", len(ids), slices.IsSorted(ids))
	}

	boom := errors.New("client gone")
	n := 0
	if err := e.Jobs(ctx, func(api.Job) error {
		if n++; n == 3 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) || n != 3 {
		t.Errorf("fn failing at the third job: %v after %d", err, n)
	}

	cctx, cancel := context.WithCancel(ctx)
	n = 0
	err := e.Jobs(cctx, func(api.Job) error {
		if n++; n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 2 {
		t.Errorf("ctx ended at the second job: %v after %d", err, n)
	}
}
