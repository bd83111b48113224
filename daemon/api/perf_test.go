package api_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"zoneup/daemon/api"
)

// TestJobsStreamTenThousand checks the job list of a big database: every
// job, in order, one per line. How fast is BenchmarkJobsStream10k's.
func TestJobsStreamTenThousand(t *testing.T) {
	const n = 10000
	w := serve(t, manyJobs(n), api.ServerOptions{})
	status, body := w.do("GET", "/v1/jobs", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var jobs []api.Job
	if err := json.Unmarshal(body, &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != n || jobs[0].Zone != "zone00000" || jobs[n-1].Zone != "zone09999" {
		t.Fatalf("%d jobs, last %q", len(jobs), jobs[len(jobs)-1].Zone)
	}
	if lines := bytes.Count(body, []byte("\n")); lines != n+2 {
		t.Errorf("%d lines for %d jobs: want one job per line", lines, n)
	}
}

// BenchmarkJobsStream10k times GET /v1/jobs of 10,000 jobs, read whole.
func BenchmarkJobsStream10k(b *testing.B) {
	w := serve(b, manyJobs(10000), api.ServerOptions{})
	w.ok("GET", "/v1/info", "", nil) // connect first: time the list only
	for b.Loop() {
		if status, body := w.do("GET", "/v1/jobs", ""); status != 200 {
			b.Fatalf("status %d: %s", status, body)
		} else {
			b.SetBytes(int64(len(body)))
		}
	}
}
