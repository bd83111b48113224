package client_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
)

func tenThousand() *apitest.Fake {
	f := apitest.NewFake()
	for i := range 10000 {
		f.Put(api.Job{Zone: fmt.Sprintf("z%05d", i), ID: fmt.Sprint(i), State: "done", Terminal: true, Result: "upgraded",
			RemovedPackages: []string{"web/php-52"}, History: []api.Step{{Stage: "preflight", Outcome: "ok"}}})
	}
	return f
}

// TestJobsTenThousand checks Jobs decodes a big list whole and in order;
// how fast is BenchmarkJobs10k's.
func TestJobsTenThousand(t *testing.T) {
	c, _ := start(t, tenThousand())
	jobs, err := c.Jobs(context.Background())
	if err != nil || len(jobs) != 10000 || jobs[0].Zone != "z00000" || !strings.HasPrefix(jobs[9999].Zone, "z09999") ||
		len(jobs[9999].History) != 1 || jobs[9999].RemovedPackages[0] != "web/php-52" {
		t.Fatalf("%v, %d jobs", err, len(jobs))
	}
}

// BenchmarkJobs10k times fetching and decoding 10,000 jobs.
func BenchmarkJobs10k(b *testing.B) {
	c, _ := start(b, tenThousand())
	for b.Loop() {
		if _, err := c.Jobs(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
