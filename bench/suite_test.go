package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zoneup/persist"
	"zoneup/persist/storetest"
	"zoneup/sim"
)

// TestBenchmarkSuite is `make bench`: it measures every figure of
// docs/BENCHMARKS.md and writes the document (ZONEUP_BENCH_OUT). It runs
// only with ZONEUP_BENCH_SUITE=1; see doc.go for the settings.
func TestBenchmarkSuite(t *testing.T) {
	if os.Getenv("ZONEUP_BENCH_SUITE") != "1" {
		t.Skip("the benchmark suite runs with ZONEUP_BENCH_SUITE=1 (make bench)")
	}
	began := time.Now()
	s := settings(t)
	bin := binaries(t)
	tmp := t.TempDir()
	res := &Results{Machine: ThisMachine(tmp), Settings: s, Nights: map[int][]NightRun{}}
	script := os.Getenv("ZONEUP_BENCH_OPERATOR")
	if script == "" {
		script = "operator.sh"
	}
	if _, err := os.Stat(script); err != nil {
		res.OperatorErr = fmt.Sprintf("%s: %v", script, err)
	}

	// 1. Nights, repeat by repeat so that a slow moment of the machine
	// touches every configuration alike.
	for rep := 1; rep <= s.Repeats; rep++ {
		for _, c := range s.Concurrency {
			n := runNight(t, bin, tmp, s, c)
			t.Logf("repeat %d, concurrency %d: makespan %s, bound %s (%.3f), %d calls, %d pkg, %d upgraded, cpu %s",
				rep, c, secs(n.Night.Makespan), secs(n.Night.Bound), n.Night.Ratio(), n.Night.Calls, n.Night.PkgCalls, n.Count("upgraded"), n.CPU)
			res.Nights[c] = append(res.Nights[c], n)
		}
		if res.OperatorErr == "" {
			n, err := runOperator(t, bin, tmp, s, script)
			if err != nil {
				res.OperatorErr = err.Error()
				res.Operator = nil
				t.Logf("operator.sh: %v", err)
				continue
			}
			t.Logf("repeat %d, operator.sh: makespan %s, %d calls, %d pkg, %d upgraded", rep, secs(n.Night.Makespan),
				n.Night.Calls, n.Night.PkgCalls, n.Count("upgraded"))
			res.Operator = append(res.Operator, n)
		}
	}

	// 2. One transition.
	res.Put = measurePut(t, tmp, s)
	t.Logf("PutJob: median %.2f ms; %.0f/s alone, %.0f/s with %d goroutines", Median(msList(res.Put.Samples)),
		res.Put.Single, res.Put.Parallel, s.Goroutines)

	// 3. Scale.
	for _, n := range s.ScaleSizes {
		p := measureScale(t, bin, tmp, s, n)
		t.Logf("%d jobs: rss %.1f MiB, list --json %.0f ms, status %.1f ms, restart to first call %.0f ms", n,
			Median(p.RSSKiB)/1024, Median(msList(p.List)), Median(msList(p.Status)),
			MedianOf(p.Restarts, func(x Restart) float64 { return ms(x.ToFirstCall) }))
		res.Scale = append(res.Scale, p)
	}

	if f := os.Getenv("ZONEUP_BENCH_MICRO"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res.Micro = string(b)
	}
	res.Machine.LoadEnd = LoadAverage()
	res.Elapsed = time.Since(began)
	out := os.Getenv("ZONEUP_BENCH_OUT")
	if out == "" {
		out = filepath.Join("..", "docs", "BENCHMARKS.md")
	}
	var buf bytes.Buffer
	if err := res.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s in %s", out, res.Elapsed.Round(time.Second))
}

// settings are the defaults of the full suite, overridden by the
// environment (doc.go).
func settings(t *testing.T) Settings {
	s := Settings{Zones: 40, Seed: 7, Speed: 2000, Repeats: 3, Profile: "s11e", Concurrency: []int{1, 2, 4, 8},
		Allow: "remove-conflicts,recreate-image", StageTimeout: "10m",
		Puts: 1000, Prefill: 300, Goroutines: 8, ParallelFor: 2 * time.Second,
		ScaleSizes: []int{1000, 10000}, ScaleZones: 4, ScaleSpeed: 20, ScaleLists: 5, ScaleStatus: 20}
	envInt := func(k string, p *int) {
		if v := os.Getenv(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				t.Fatalf("%s=%q: want a positive number", k, v)
			}
			*p = n
		}
	}
	envInts := func(k string, p *[]int) {
		if v := os.Getenv(k); v != "" {
			var xs []int
			for _, f := range strings.Split(v, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n <= 0 {
					t.Fatalf("%s=%q: want positive numbers, comma-separated", k, v)
				}
				xs = append(xs, n)
			}
			*p = xs
		}
	}
	envInt("ZONEUP_BENCH_ZONES", &s.Zones)
	envInt("ZONEUP_BENCH_SEED", &s.Seed)
	envInt("ZONEUP_BENCH_SPEED", &s.Speed)
	envInt("ZONEUP_BENCH_REPEATS", &s.Repeats)
	envInt("ZONEUP_BENCH_PUTS", &s.Puts)
	envInts("ZONEUP_BENCH_CONCURRENCY", &s.Concurrency)
	envInts("ZONEUP_BENCH_SCALE", &s.ScaleSizes)
	// zoneupd's default first retry wait (10 s), on the simulated clock.
	s.RetryBackoff = max(10*time.Second/time.Duration(s.Speed), time.Millisecond)
	s.Operator = "bench/operator.sh"
	if v := os.Getenv("ZONEUP_BENCH_OPERATOR"); v != "" {
		s.Operator = v
	}
	return s
}

// runNight is one night of zoneupd at concurrency c on a fresh world.
func runNight(t *testing.T, bin, tmp string, s Settings, c int) NightRun {
	t.Helper()
	dir, err := os.MkdirTemp(tmp, fmt.Sprintf("night-c%d-", c))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w := newWorld(t, bin, dir, s.Speed, s.Zones, s.Seed, s.Profile)
	d := startDaemon(t, bin, dir, w.env, "--concurrency", fmt.Sprint(c), "--allow", s.Allow,
		"--stage-timeout", s.StageTimeout, "--verify-timeout", s.StageTimeout, "--retry-backoff", s.RetryBackoff.String())
	names := w.names()

	t0 := time.Now()
	d.mustAdm(append([]string{"enqueue"}, names...)...)
	if out, code := d.adm("wait", "--timeout", "20m"); code != 0 && code != 1 {
		t.Fatalf("zoneupadm wait: exit %d\n%s\n%s", code, out, d.logTail())
	}
	wall := time.Since(t0)
	cpu, err := procCPU(d.pid())
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	jobs, err := d.c.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	run := NightRun{Concurrency: c, Wall: wall, CPU: cpu, Jobs: len(jobs), Results: map[string]string{}, Rungs: map[string]string{}}
	for _, j := range jobs {
		run.Results[j.Zone], run.Rungs[j.Zone] = j.Result, j.Rung
	}
	var jcs []JobCall
	for _, z := range names {
		lines, err := d.c.Log(ctx, z, 0)
		if err != nil {
			t.Fatalf("log %s: %v", z, err)
		}
		for _, l := range lines {
			if l.Kind == "tool" && strings.HasPrefix(l.Text, "$ ") {
				jcs = append(jcs, JobCall{Zone: z, Time: l.Time, Cmd: l.Text})
			}
		}
	}
	calls := w.calls() // before the shutdown: the night is over
	d.shutdown()
	run.Night = Analyze(NightInput{Calls: calls, Since: t0, Zones: names, Running: w.running(), Concurrency: c, JobCalls: jcs})
	return run
}

// runOperator is the operator's script on a fresh world from the same seed.
func runOperator(t *testing.T, bin, tmp string, s Settings, script string) (NightRun, error) {
	t.Helper()
	dir, err := os.MkdirTemp(tmp, "night-operator-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w := newWorld(t, bin, dir, s.Speed, s.Zones, s.Seed, s.Profile)
	names := w.names()
	cmd := exec.Command("bash", append([]string{script, "--allow", s.Allow}, names...)...)
	cmd.Env = append(w.env, "OPERATOR_LOGDIR="+filepath.Join(dir, "oplog"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err = cmd.Run()
	wall := time.Since(t0)
	tail := stderr.String()
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	if err != nil {
		return NightRun{}, fmt.Errorf("%s: %v\n%s", script, err, tail)
	}
	run := NightRun{Concurrency: 0, Wall: wall, Results: map[string]string{}, Rungs: map[string]string{}, Jobs: len(names)}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 3 && f[0] == "operator-zone:":
			run.Results[f[1]] = f[2]
			if len(f) >= 4 && f[3] != "-" {
				run.Rungs[f[1]] = f[3]
			}
		case len(f) > 0 && f[0] == "operator:":
			run.Line = sc.Text()
		}
	}
	if run.Line == "" || len(run.Results) == 0 {
		return NightRun{}, fmt.Errorf("%s printed no operator: summary\n%s", script, tail)
	}
	run.Night = Analyze(NightInput{Calls: w.calls(), Zones: names, Running: w.running(), Concurrency: 1})
	return run, nil
}

// measurePut times fsync'd PutJob calls, alone and from many goroutines.
func measurePut(t *testing.T, tmp string, s Settings) PutFigures {
	t.Helper()
	dir, err := os.MkdirTemp(tmp, "put-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := persist.Open(filepath.Join(dir, "zoneup.db"), persist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var old []*persist.Job
	for i := range s.Prefill {
		old = append(old, storetest.Sample(jobID(i), fmt.Sprintf("z%d", i)))
	}
	if err := db.PutJobs(old); err != nil {
		t.Fatal(err)
	}
	var f PutFigures
	j := storetest.Sample("20250302T000000.000000Z-000001", "web1")
	for range s.Puts {
		j.Attempt++ // a new value each time, as a checkpoint's would be
		t0 := time.Now()
		if err := db.PutJob(j); err != nil {
			t.Fatal(err)
		}
		f.Samples = append(f.Samples, time.Since(t0))
	}
	f.Single = putFor(t, db, 1, s.ParallelFor)
	f.Parallel = putFor(t, db, s.Goroutines, s.ParallelFor)
	return f
}

// putFor has n goroutines each put its own job over and over for d, and
// returns the transitions per second they made together.
func putFor(t *testing.T, db *persist.DB, n int, d time.Duration) float64 {
	var count atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	deadline := time.Now().Add(d)
	t0 := time.Now()
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := storetest.Sample(fmt.Sprintf("20250303T%06d.000000Z-%06x", g, g), fmt.Sprintf("par%d", g))
			for time.Now().Before(deadline) {
				j.Attempt++
				if err := db.PutJob(j); err != nil {
					failed.Store(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return float64(count.Load()) / time.Since(t0).Seconds()
}

func jobID(i int) string { return fmt.Sprintf("20250301T%06d.000000Z-%06x", i, i) }

// measureScale starts zoneupd on a database of n finished jobs: list --json,
// status and VmRSS, then kill -9 and restart with jobs mid-stage.
func measureScale(t *testing.T, bin, tmp string, s Settings, n int) ScalePoint {
	t.Helper()
	p := ScalePoint{Jobs: n, MidStage: s.ScaleZones}
	dir, err := os.MkdirTemp(tmp, fmt.Sprintf("scale-%d-", n))
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	st, err := persist.Open(filepath.Join(dir, "db", "zoneup.db"), persist.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := st.PutJob(storetest.Sample(jobID(i), fmt.Sprintf("zone%d", i%500))); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	w := newWorld(t, bin, dir, s.ScaleSpeed, s.ScaleZones, s.Seed, s.Profile)
	defer w.killStrays()
	d := startDaemon(t, bin, dir, w.env, "--concurrency", fmt.Sprint(s.ScaleZones), "--allow", s.Allow,
		"--stage-timeout", s.StageTimeout, "--verify-timeout", s.StageTimeout, "--retry-backoff", "100ms")
	defer d.kill9()

	for range s.ScaleLists {
		t0 := time.Now()
		out := d.mustAdm("list", "--json")
		p.List = append(p.List, time.Since(t0))
		if got := strings.Count(out, `"zone"`); got != n {
			t.Fatalf("list --json: %d jobs, want %d", got, n)
		}
		rss, err := rssKiB(d.pid())
		if err != nil {
			t.Fatal(err)
		}
		p.RSSKiB = append(p.RSSKiB, rss)
	}
	for range s.ScaleStatus {
		t0 := time.Now()
		d.mustAdm("status", "zone7")
		p.Status = append(p.Status, time.Since(t0))
	}

	// Jobs mid-stage: every sim zone in its attach -u, then kill -9.
	names := w.names()
	since := time.Now()
	d.mustAdm(append([]string{"enqueue"}, names...)...)
	for range s.Repeats {
		if err := waitMidStage(d, w, names, since); err != nil {
			p.Err = err.Error()
			return p
		}
		tKill := time.Now()
		d.kill9()
		w.killStrays()
		tStart := time.Now()
		x := Restart{ToSocket: d.launch()}
		first, err := firstCallAfter(w, d.pid(), tStart, 30*time.Second)
		if err != nil {
			p.Err = err.Error()
			return p
		}
		x.ToFirstCall, x.KillToCall = first.Start.Sub(tStart), first.Start.Sub(tKill)
		x.FirstCall = first.Kind()
		x.ToFirstStep = firstStepAfter(d, names, tStart)
		p.Restarts = append(p.Restarts, x)
		since = tStart
	}
	return p
}

// waitMidStage waits until every zone's job that is not over has an attach
// -u running that started after since (at least one such job).
func waitMidStage(d *daemon, w *world, names []string, since time.Time) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		attaching := map[string]bool{}
		for _, i := range w.calls() {
			if i.Tool == "zoneadm" && !i.Ended && i.Start.After(since) && strings.Contains(strings.Join(i.Argv, " "), "attach -u") {
				attaching[ZoneOf(i, names)] = true
			}
		}
		mid, ready := 0, true
		for _, z := range names {
			j, err := d.c.Status(context.Background(), z)
			if err != nil {
				return fmt.Errorf("status %s: %v", z, err)
			}
			if j.Terminal {
				continue
			}
			if !attaching[z] {
				ready = false
				break
			}
			mid++
		}
		if ready && mid > 0 {
			return nil
		}
		if ready && mid == 0 {
			return fmt.Errorf("every sim zone's job ended before it could be killed mid-stage")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("the sim zones did not all reach attach -u within 2 minutes")
}

// firstCallAfter is the first tool call of process pid that started after
// t0 (a tool the killed daemon started a moment before may still write its
// start record later; it is not the new daemon's).
func firstCallAfter(w *world, pid int, t0 time.Time, timeout time.Duration) (sim.Invocation, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var first sim.Invocation
		for _, i := range w.calls() {
			if i.PPID == pid && i.Start.After(t0) && (first.Start.IsZero() || i.Start.Before(first.Start)) {
				first = i
			}
		}
		if !first.Start.IsZero() {
			return first, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return sim.Invocation{}, fmt.Errorf("no tool call within %s of the restart", timeout)
}

// firstStepAfter is the time from t0 to the start of the first stage (a
// new history step; status's stage_started, which has sub-second
// precision where the history's times have seconds) that began after t0,
// once there is one (0: none within 10 s).
func firstStepAfter(d *daemon, names []string, t0 time.Time) time.Duration {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var first time.Time
		for _, z := range names {
			j, err := d.c.Status(context.Background(), z)
			if err != nil {
				continue
			}
			if at := j.StageStarted; at.After(t0) && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
		if !first.IsZero() {
			return first.Sub(t0)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
