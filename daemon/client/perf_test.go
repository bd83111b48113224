//go:build !race

package client_test

// Timing tests: the race detector slows everything down several times,
// so they only run without it.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
)

func TestJobsTenThousand(t *testing.T) {
	f := apitest.NewFake()
	for i := range 10000 {
		f.Put(api.Job{Zone: fmt.Sprintf("z%05d", i), ID: fmt.Sprint(i), State: "done", Terminal: true, Result: "upgraded",
			RemovedPackages: []string{"web/php-52"}, History: []api.Step{{Stage: "preflight", Outcome: "ok"}}})
	}
	c, _ := start(t, f)
	ctx := context.Background()
	best := time.Hour
	for range 3 {
		t0 := time.Now()
		jobs, err := c.Jobs(ctx)
		best = min(best, time.Since(t0))
		if err != nil || len(jobs) != 10000 || !strings.HasPrefix(jobs[9999].Zone, "z09999") {
			t.Fatalf("%v, %d jobs", err, len(jobs))
		}
	}
	t.Logf("10000 jobs decoded in %v", best)
	if best > 200*time.Millisecond {
		t.Errorf("10000 jobs took %v", best)
	}
}
