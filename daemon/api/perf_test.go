//go:build !race

package api_test

// Timing tests: the race detector slows everything down several times,
// so they only run without it.

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"zoneup/daemon/api"
)

func TestJobsStreamTenThousand(t *testing.T) {
	const n = 10000
	w := serve(t, manyJobs(n), api.ServerOptions{})
	w.ok("GET", "/v1/info", "", nil) // connect first: time the list only
	// The best of three: the machine running the tests is often busy
	// with other packages' tests, and the best run is what the code costs.
	best := time.Hour
	var body []byte
	for range 3 {
		t0 := time.Now()
		var status int
		status, body = w.do("GET", "/v1/jobs", "")
		best = min(best, time.Since(t0))
		if status != 200 {
			t.Fatalf("status %d", status)
		}
	}
	var jobs []api.Job
	if err := json.Unmarshal(body, &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != n || jobs[n-1].Zone != "zone09999" {
		t.Fatalf("%d jobs, last %q", len(jobs), jobs[len(jobs)-1].Zone)
	}
	if lines := bytes.Count(body, []byte("\n")); lines != n+2 {
		t.Errorf("%d lines for %d jobs: want one job per line", lines, n)
	}
	t.Logf("%d jobs, %d bytes in %v", n, len(body), best)
	if best > 200*time.Millisecond {
		t.Errorf("listing %d jobs took %v", n, best)
	}
}
