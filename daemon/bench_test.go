package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/client"
	"zoneup/persist"
	"zoneup/persist/storetest"
	"zoneup/sim"
)

// Benchmarks for the targets of the mission (make bench runs each once):
// a night's makespan against what the host's tools allow, and the daemon
// with 10,000 jobs in its database (resident memory, list --json, back to
// work after kill -9). One fsync'd transition is persist's BenchmarkPutJob.

// BenchmarkMakespan runs a seeded fleet at concurrency 4 and compares the
// night's length with the bound the tools set: the larger of the longest
// zone's tool time and the total tool time divided by the concurrency.
func BenchmarkMakespan(b *testing.B) {
	const zones, concurrency, speed = 16, 4, 300
	for b.Loop() {
		w := newSimWorld(b, speed, "--fleet", fmt.Sprint(zones), "--seed", "21")
		var names []string
		for _, z := range w.show().Zones {
			names = append(names, z.Name)
		}
		d := startDaemon(b, b.TempDir(), "--concurrency", fmt.Sprint(concurrency), "--allow", "remove-conflicts,recreate-image",
			"--stage-timeout", "10m", "--verify-timeout", "10m")
		start := time.Now()
		if out, err := d.adm(append([]string{"enqueue"}, names...)...); err != nil {
			b.Fatalf("enqueue: %v\n%s", err, out)
		}
		d.adm("wait", "--timeout", "10m")
		makespan := time.Since(start)
		jobs, err := client.New(d.sock).Jobs(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		d.shutdown()
		perZone := map[string]time.Duration{}
		var total time.Duration
		// ZONEUP_BENCH_TRACE=FILE keeps the night's tool calls, one per
		// line: zone, start (ms after the enqueue began), length (ms), argv.
		if trace := os.Getenv("ZONEUP_BENCH_TRACE"); trace != "" {
			f, err := os.Create(trace)
			if err != nil {
				b.Fatal(err)
			}
			for _, i := range readInvocations(b, w.dir) {
				fmt.Fprintf(f, "%s\t%d\t%d\t%s %s\n", zoneOf(i, names), i.Start.Sub(start).Milliseconds(), i.End.Sub(i.Start).Milliseconds(), i.Tool, strings.Join(i.Argv, " "))
			}
			f.Close()
		}
		for _, i := range readInvocations(b, w.dir) {
			d := i.End.Sub(i.Start)
			total += d
			z := zoneOf(i, names)
			perZone[z] += d
		}
		// Where the night went beyond the tools: the time a job held its
		// slot outside its zone's own tool calls (global calls, zoneup's
		// own work, waits on the global publisher lock), and the slot time
		// no job held (the start, the tail).
		var spans time.Duration
		for _, j := range jobs {
			spans += j.Ended.Sub(j.Started)
		}
		b.ReportMetric((spans - (total - perZone[""])).Seconds(), "in-job-gaps-s")
		b.ReportMetric((time.Duration(concurrency)*makespan - spans).Seconds(), "idle-slot-s")
		b.ReportMetric(perZone[""].Seconds(), "global-tool-s")
		var longest time.Duration
		for z, d := range perZone {
			if z != "" && d > longest {
				longest = d
			}
		}
		bound := max(longest, total/concurrency)
		b.ReportMetric(makespan.Seconds(), "makespan-s")
		b.ReportMetric(bound.Seconds(), "tool-bound-s")
		b.ReportMetric(100*(makespan.Seconds()/bound.Seconds()-1), "%-over-bound")
	}
}

// zoneOf attributes a tool call to the zone it names (by -z, zlogin, or a
// path or dataset of the zone); "" for global calls.
func zoneOf(i sim.Invocation, zones []string) string {
	for _, a := range i.Argv {
		for _, z := range zones {
			if a == z || strings.Contains(a, "/zones/"+z+"/") || strings.HasSuffix(a, "/zones/"+z) || strings.Contains(a, "/"+z+"@") || strings.HasSuffix(a, "/"+z) {
				return z
			}
		}
	}
	return ""
}

// Benchmark10kJobs starts zoneupd on a database of 10,000 finished jobs and
// measures what an operator meets: list --json through zoneupadm, the
// daemon's resident memory, and how soon it answers again after kill -9.
func Benchmark10kJobs(b *testing.B) {
	dir := b.TempDir()
	db := filepath.Join(dir, "db", "zoneup.db")
	st, err := persist.Open(db, persist.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		j := storetest.Sample(fmt.Sprintf("20250301T%06d.000000Z-%06x", i, i), fmt.Sprintf("zone%d", i%500))
		if err := st.PutJob(j); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	newSimWorld(b, fast, "--fleet", "2", "--seed", "1")
	d := startDaemon(b, dir)
	defer d.shutdown()
	for b.Loop() {
		var best time.Duration
		for range 5 {
			t0 := time.Now()
			cmd := exec.Command(filepath.Join(binaries(b), "zoneupadm"), "--socket", d.sock, "list", "--json")
			out, err := cmd.Output()
			if err != nil || strings.Count(string(out), `"zone"`) != 10000 {
				b.Fatalf("list --json: %v, %d bytes", err, len(out))
			}
			if el := time.Since(t0); best == 0 || el < best {
				best = el
			}
		}
		b.ReportMetric(float64(best.Milliseconds()), "list-json-ms")
		b.ReportMetric(float64(rssKiB(b, d.cmd.Process.Pid))/1024, "rss-MiB")

		// kill -9, then back: socket answering and the jobs listed.
		d.cmd.Process.Signal(syscall.SIGKILL)
		<-d.exited
		t0 := time.Now()
		d.launch(binaries(b))
		c := client.New(d.sock)
		if _, err := c.Info(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "restart-ms")
	}
}

// rssKiB reads a process's resident set from /proc (Linux; 0 elsewhere).
func rssKiB(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// BenchmarkEnqueue10k queues 10,000 zones in one request on a real
// database: one `zoneadm list -cp` for all of them (counted by a stand-in
// zoneadm that prints the host's 10,000 zones) and one transaction for the
// new jobs. The queue is paused, so nothing starts.
func BenchmarkEnqueue10k(b *testing.B) {
	const n = 10000
	dir := b.TempDir()
	var list strings.Builder
	names := make([]string, n)
	list.WriteString("0:global:running:/::ipkg:shared\n")
	for i := range names {
		names[i] = fmt.Sprintf("zone%05d", i)
		fmt.Fprintf(&list, "-:%s:installed:/zones/%s:u-%d:ipkg:excl\n", names[i], names[i], i)
	}
	if err := os.WriteFile(filepath.Join(dir, "zones"), []byte(list.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	calls := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$*\" >> " + calls + "\nexec cat " + filepath.Join(dir, "zones") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "zoneadm"), []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	b.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.Remove(calls)
		e := startEngine(b, nil)
		if err := e.Pause(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		res, _ := e.Enqueue(context.Background(), api.EnqueueRequest{Zones: names})
		total += time.Since(t0)
		b.StopTimer()
		for _, r := range res {
			if r.ID == "" {
				b.Fatalf("%s refused: %s", r.Zone, r.Error)
			}
		}
		got, _ := os.ReadFile(calls)
		if c := strings.Count(string(got), "\n"); c != 1 {
			b.Fatalf("%d zoneadm calls for one request, want 1", c)
		}
		e.stop()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/enqueue10k")
}
