package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"zoneup/sim"
)

var t0 = time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)

// call is a finished call from a to b seconds after t0.
func call(seq int, a, b float64, tool string, argv ...string) sim.Invocation {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return sim.Invocation{Seq: seq, Tool: tool, Argv: argv, Start: at(a), End: at(b), Ended: true}
}

func TestZoneOf(t *testing.T) {
	zones := []string{"z1", "z10", "web"}
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"-z", "z10", "attach", "-u"}, "z10"},
		{[]string{"web", "svcs", "-x"}, "web"},
		{[]string{"-R", "/w/zones/z1/root", "publisher"}, "z1"},
		{[]string{"snapshot", "-r", "rpool/zones/z10@zoneup-1"}, "z10"},
		{[]string{"list", "-r", "rpool/zones/z1/ROOT"}, "z1"},
		{[]string{"get", "-H", "available", "rpool/zones/web"}, "web"},
		{[]string{"-R", "/", "publisher", "-H", "-F", "tsv"}, ""},
		{[]string{"list", "-cp"}, ""},
		{[]string{"get", "-Hp", "-o", "value", "available", "rpool"}, ""},
	} {
		if got := ZoneOf(sim.Invocation{Argv: tc.argv}, zones); got != tc.want {
			t.Errorf("ZoneOf(%v) = %q, want %q", tc.argv, got, tc.want)
		}
	}
}

func TestAnalyzeJobLog(t *testing.T) {
	calls := []sim.Invocation{
		call(1, 0, 0.1, "zoneadm", "list", "-cp"), // the enqueue's: no job's
		call(2, 0.2, 0.3, "zoneadm", "-z", "a", "halt"),
		call(3, 0.2, 0.4, "zoneadm", "-z", "b", "halt"),
		call(4, 0.5, 0.6, "pkg", "-R", "/", "publisher", "-H", "-F", "tsv"), // b's
		call(5, 0.5, 2.5, "zoneadm", "-z", "a", "attach", "-u"),
		call(6, 0.7, 1.7, "zoneadm", "-z", "b", "attach", "-u"),
		call(7, 1.8, 2.0, "pkg", "-R", "/", "publisher", "-H", "-F", "tsv"), // b's
		call(8, 2.6, 3.0, "zoneadm", "-z", "a", "boot"),
	}
	n := Analyze(NightInput{Calls: calls, Zones: []string{"a", "b"}, Running: []string{"a", "b"}, Concurrency: 2,
		JobCalls: []JobCall{
			{Zone: "b", Time: t0.Add(490 * time.Millisecond), Cmd: "$ /usr/bin/pkg -R / publisher -H -F tsv"},
			{Zone: "b", Time: t0.Add(1790 * time.Millisecond), Cmd: "$ pkg -R / publisher -H -F tsv"},
		}})
	near := func(what string, got time.Duration, want float64) {
		t.Helper()
		if math.Abs(got.Seconds()-want) > 1e-9 {
			t.Errorf("%s = %v, want %gs", what, got, want)
		}
	}
	near("makespan", n.Makespan, 3.0)
	near("total", n.Total, 0.1+0.1+0.2+0.1+2+1+0.2+0.4)
	near("a", n.PerZone["a"], 0.1+2+0.4)
	near("b", n.PerZone["b"], 0.2+0.1+1+0.2)
	near("unattributed", n.Unattributed, 0.1)
	if n.LongestZone != "a" || n.Calls != 8 || n.PkgCalls != 2 || n.ByJobLog != 2 || n.Orphans != 1 {
		t.Errorf("longest %s, calls %d, pkg %d, by job log %d, orphans %d", n.LongestZone, n.Calls, n.PkgCalls, n.ByJobLog, n.Orphans)
	}
	near("bound", n.Bound, 2.5) // a, over the total 4.1 s / 2
	near("downtime a", n.Downtime["a"], 2.8)
	if len(n.NotBooted) != 1 || n.NotBooted[0] != "b" {
		t.Errorf("not booted: %v", n.NotBooted)
	}
	// Spans: a 0.2-3.0, b 0.2-2.0; slots idle 0-0.2 (2 slots) and 2.0-3.0 (1).
	near("idle", n.Idle, 0.4+1.0)
	near("tail", n.IdleTail, 1.0)
	near("gaps", n.Gaps, (2.8-2.5)+(1.8-1.5))
	if len(n.Launch) != 2 || n.LaunchMean() != 10*time.Millisecond {
		t.Errorf("launch times %v, want two of 10ms", n.Launch)
	}
	if k := n.Kinds["zoneadm attach"]; k != 2 {
		t.Errorf("zoneadm attach calls: %d", k)
	}
}

func TestAnalyzeSpans(t *testing.T) {
	calls := []sim.Invocation{
		call(1, 0, 0.1, "zoneadm", "list", "-cp"),
		call(2, 0.2, 0.3, "zoneadm", "-z", "a", "detach"),
		call(3, 0.4, 0.5, "pkg", "-R", "/", "unset-publisher", "extra"),
		call(4, 0.6, 0.7, "zoneadm", "-z", "a", "attach", "-u"),
		call(5, 0.8, 0.9, "mount", "-p"),
		call(6, 1.0, 1.1, "zoneadm", "-z", "b", "attach", "-u"),
	}
	n := Analyze(NightInput{Calls: calls, Since: t0.Add(time.Millisecond), Zones: []string{"a", "b"}, Concurrency: 1})
	if n.Calls != 5 || n.BySpan != 1 || n.Orphans != 1 || n.ZoneCalls["a"] != 3 {
		t.Errorf("calls %d, by span %d, orphans %d, a's calls %d", n.Calls, n.BySpan, n.Orphans, n.ZoneCalls["a"])
	}
}

func TestStats(t *testing.T) {
	if m := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median %g", m)
	}
	if p := Percentile([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90); p != 9 {
		t.Errorf("p90 %g", p)
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing")
	}
}

// TestWrite renders a small result set: every section, the summary, and
// a missed target with its explanation.
func TestWrite(t *testing.T) {
	calls := []sim.Invocation{
		call(1, 0, 1, "zoneadm", "-z", "a", "halt"),
		call(2, 1, 2, "pkg", "-R", "/", "publisher"),
		call(3, 2, 3, "zoneadm", "-z", "a", "boot"),
	}
	night := func(c int) NightRun {
		return NightRun{Concurrency: c, Night: Analyze(NightInput{Calls: calls, Zones: []string{"a"}, Running: []string{"a"}, Concurrency: c}),
			Results: map[string]string{"a": "upgraded"}, Rungs: map[string]string{"a": "attach-update"}, Jobs: 1, CPU: 50 * time.Millisecond}
	}
	r := &Results{Machine: Machine{CPUs: 2, Date: t0}, Settings: Settings{Zones: 1, Repeats: 1, Speed: 4000, Concurrency: []int{1, 4},
		ScaleSizes: []int{1000, 10000}, Goroutines: 8, ParallelFor: time.Second},
		Nights:   map[int][]NightRun{1: {night(1)}, 4: {night(4)}},
		Operator: []NightRun{night(1)},
		Put:      PutFigures{Samples: []time.Duration{time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond}},
		Scale: []ScalePoint{
			{Jobs: 1000, RSSKiB: []float64{20000}, List: []time.Duration{40 * time.Millisecond}, Status: []time.Duration{time.Millisecond},
				Restarts: []Restart{{ToFirstCall: 100 * time.Millisecond}}},
			{Jobs: 10000, RSSKiB: []float64{50000}, List: []time.Duration{400 * time.Millisecond}, Status: []time.Duration{time.Millisecond},
				Restarts: []Restart{{ToFirstCall: 1500 * time.Millisecond}}},
		},
	}
	var b bytes.Buffer
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	doc := b.String()
	for _, want := range []string{"## Machine", "## Summary", "## 1. Night throughput", "## 2. Daemon overhead", "## 3. Scale",
		"## Missed targets", "> **Missed: one persisted transition", "> **Missed: 10,000 jobs: zoneupd resident memory",
		"> **Missed: speed-up over the operator's script", "median of 1 repeated runs"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(doc, "NaN") || strings.Contains(doc, "%!") {
		t.Errorf("document has a formatting error:\n%s", doc)
	}
}
