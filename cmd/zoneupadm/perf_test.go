package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
)

// tenThousand fills the fake daemon with 10,000 finished jobs.
func tenThousand(c *cli) {
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	for i := range 10000 {
		c.f.Put(api.Job{Zone: fmt.Sprintf("zone%05d", i), ID: fmt.Sprintf("20240501T010000Z-%05d", i), State: "done", Terminal: true,
			Result: "upgraded", Rung: "image-update", Snapshot: fmt.Sprintf("rpool/zones/zone%05d@zoneup-x", i),
			RemovedPackages: []string{"web/php-52"}, Enqueued: t0, Started: t0, Ended: t0.Add(time.Minute),
			History: []api.Step{{Stage: "preflight", Started: "2024-05-01T01:00:00Z", Ended: "2024-05-01T01:00:01Z", Outcome: "ok"}}})
	}
}

// TestListTenThousand checks every form of list prints every job of a big
// database, in order; how fast is BenchmarkList10k's business.
func TestListTenThousand(t *testing.T) {
	c := newCLI(t)
	tenThousand(c)
	for _, args := range [][]string{{"list", "-H"}, {"list", "-p"}} {
		code, out, errs := c.run(args...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errs)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 10000 || !strings.HasPrefix(lines[0], "zone00000") || !strings.HasPrefix(lines[9999], "zone09999") {
			t.Errorf("%q: %d lines, first %q, last %q", args, len(lines), lines[0], lines[len(lines)-1])
		}
	}
}

// BenchmarkList10k times each form of list over 10,000 jobs, through the
// client and the API server (a fake daemon behind it).
func BenchmarkList10k(b *testing.B) {
	for _, args := range [][]string{{"list"}, {"list", "-p"}, {"list", "--json"}} {
		b.Run(strings.Join(args, "_"), func(b *testing.B) {
			c := newCLI(b)
			tenThousand(c)
			for b.Loop() {
				if code, _, errs := c.run(args...); code != 0 {
					b.Fatalf("%q: exit %d: %s", args, code, errs)
				}
			}
		})
	}
}
