//go:build !race

package main

// Timing tests: the race detector slows everything down several times,
// so they only run without it.

import (
	"fmt"
	"testing"
	"time"

	"zoneup/daemon/api"
)

func TestListTenThousand(t *testing.T) {
	c := newCLI(t)
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	for i := range 10000 {
		c.f.Put(api.Job{Zone: fmt.Sprintf("zone%05d", i), ID: fmt.Sprintf("20240501T010000Z-%05d", i), State: "done", Terminal: true,
			Result: "upgraded", Rung: "image-update", Snapshot: fmt.Sprintf("rpool/zones/zone%05d@zoneup-x", i),
			RemovedPackages: []string{"web/php-52"}, Enqueued: t0, Started: t0, Ended: t0.Add(time.Minute),
			History: []api.Step{{Stage: "preflight", Started: "2024-05-01T01:00:00Z", Ended: "2024-05-01T01:00:01Z", Outcome: "ok"}}})
	}
	for _, args := range [][]string{{"list"}, {"list", "--json"}, {"list", "-p"}} {
		best := time.Hour
		var out string
		for range 3 {
			start := time.Now()
			var code int
			code, out, _ = c.run(args...)
			best = min(best, time.Since(start))
			if code != 0 {
				t.Fatalf("%q: exit %d", args, code)
			}
		}
		t.Logf("%q: %d bytes in %v", args, len(out), best)
		if best > 200*time.Millisecond {
			t.Errorf("%q of 10000 jobs took %v", args, best)
		}
	}
}
