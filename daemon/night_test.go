package daemon

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/sim"
)

// Tests of the night as an operator lives it: a report per night, forget,
// the attach log followed live, the metrics file and the mailed report.

// clock is a settable time for the engine.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// startEngineWithClock is startEngineAt on a fresh database with the
// engine's clock set before it starts.
func startEngineWithClock(t *testing.T, kv map[string]string, c *clock) *testEngine {
	t.Helper()
	db := filepath.Join(t.TempDir(), "zoneup.db")
	return startEngineAt(t, db, kv, func(e *Engine) { e.now = c.now })
}

func zonesOf(r api.Report) []string {
	var out []string
	for _, j := range r.Jobs {
		out = append(out, j.Zone)
	}
	slices.Sort(out)
	return out
}

// Two nights on one database: each morning's report has only that night's
// jobs, each zone once with the state the host gives it now; --all has
// both nights, --night the one asked for; forget drops the first night's
// finished jobs and keeps the rest.
func TestTwoNightsOneDatabase(t *testing.T) {
	newScenario(t, fast, `{"profile": "oi", "seed": 3, "zones": [
		{"name": "a1", "state": "running"}, {"name": "b1", "state": "running"},
		{"name": "c1", "state": "installed"}]}`)
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.Local)
	c := &clock{t: day.Add(23 * time.Hour)} // the first night, 23:00
	e := startEngineWithClock(t, map[string]string{"window": "22:00-06:00"}, c)
	e.enqueue(nil, "a1", "b1")
	e.waitAll(60 * time.Second)

	c.set(day.Add(31 * time.Hour)) // the next morning, 07:00
	r1, err := e.Report(context.Background(), api.ReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := zonesOf(r1); !slices.Equal(got, []string{"a1", "b1"}) || !strings.Contains(r1.Scope, "2026-11-30") {
		t.Fatalf("first morning: %v (%s)", got, r1.Scope)
	}
	for _, j := range r1.Jobs {
		if j.HostState != "running" || j.Meaning != "running" {
			t.Errorf("%s: host state %q %q", j.Zone, j.HostState, j.Meaning)
		}
	}

	c.set(day.Add(47 * time.Hour)) // the second night, 23:00
	e.enqueue(nil, "b1", "c1")
	e.waitAll(60 * time.Second)
	c.set(day.Add(55 * time.Hour)) // the second morning
	r2, err := e.Report(context.Background(), api.ReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got := zonesOf(r2); !slices.Equal(got, []string{"b1", "c1"}) || r2.Summary["upgraded"] != 2 {
		t.Fatalf("second morning: %v %v (%s)", got, r2.Summary, r2.Scope)
	}
	all, _ := e.Report(context.Background(), api.ReportRequest{All: true})
	if got := zonesOf(all); !slices.Equal(got, []string{"a1", "b1", "c1"}) {
		t.Fatalf("--all: %v", got)
	}
	first, _ := e.Report(context.Background(), api.ReportRequest{Night: "2026-11-30"})
	if got := zonesOf(first); !slices.Equal(got, []string{"a1", "b1"}) {
		t.Fatalf("--night 2026-11-30: %v", got)
	}

	res, err := e.Forget(context.Background(), api.ForgetRequest{Before: day.Add(36 * time.Hour)})
	if err != nil || len(res.Forgotten) != 2 {
		t.Fatalf("forget --before the second day's noon: %v %v", res, err)
	}
	left, _ := e.Report(context.Background(), api.ReportRequest{All: true})
	if got := zonesOf(left); !slices.Equal(got, []string{"b1", "c1"}) {
		t.Fatalf("after forget: %v", got)
	}
	for _, j := range left.Jobs {
		if j.Snapshot == "" {
			t.Errorf("%s lost its snapshot name", j.Zone)
		}
	}
}

// log -f prints the attach log's lines while zoneadm attach -u is still
// running: the brand writes the file as pkg goes, and zoneup follows it.
func TestLogFollowShowsTheAttachLogLive(t *testing.T) {
	w := newScenario(t, 100, `{"profile": "oi", "seed": 2, "zones": [{"name": "f1", "state": "installed"}]}`)
	d := startDaemon(t, t.TempDir())
	defer d.shutdown()
	d.mustAdm("enqueue", "f1")
	cmd := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", d.sock, "log", "-f", "f1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(60 * time.Second)
	seen := 0
	for sc.Scan() && time.Now().Before(deadline) {
		line := sc.Text()
		if !strings.Contains(line, "attach-log") || !strings.Contains(line, "Packages to update") && !strings.Contains(line, "Downloading") {
			continue
		}
		seen++
		// The attach is still running: its end is not in the invocation log.
		for _, i := range readInvocations(t, w.dir) {
			if strings.Contains(i.Cmd(), "attach -u") && i.Ended {
				t.Fatalf("attach -u had ended before its log line %q was shown", line)
			}
		}
		if !strings.Contains(line, "[attach-update]") {
			t.Errorf("the line does not say its rung: %q", line)
		}
		break
	}
	if seen == 0 {
		t.Fatal("no attach log progress line was shown while attach -u ran")
	}
	d.mustAdm("wait", "--timeout", "60s")
	// Each line of the attach log is in the stored log once (followed
	// live, not added again when attach -u ends).
	n := 0
	for _, l := range strings.Split(d.mustAdm("log", "f1"), "\n") {
		if strings.Contains(l, "attach-log") && strings.Contains(l, "Packages to update") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the attach log's progress line is in the log %d times", n)
	}
}

// The metrics file (parsed with Prometheus's own text parser) and the
// report mailed through the host's sendmail when the queue has emptied.
func TestMetricsFileAndMailedReport(t *testing.T) {
	w := newScenario(t, fast, `{"profile": "oi", "seed": 4, "zones": [
		{"name": "m1", "state": "running"}, {"name": "m2", "state": "running", "troubles": ["stale-image"]}]}`)
	prom := filepath.Join(t.TempDir(), "zoneup.prom")
	e := startEngine(t, map[string]string{"metrics_file": prom, "report_mail": "root@localhost"})
	e.enqueue(nil, "m1", "m2")
	e.waitAll(60 * time.Second)

	var mails []sim.Mail
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if mails, _ = sim.ReadMail(w.dir); len(mails) > 0 {
			break
		}
	}
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m := mails[0]
	if !slices.Contains(m.To, "root@localhost") || !strings.Contains(m.Subject, "2 upgraded") ||
		!strings.Contains(m.Body, "UPGRADED (2)") || !strings.Contains(m.Body, "  m2  saved by image-update") {
		t.Errorf("the mail: to %v, subject %q\n%s", m.To, m.Subject, m.Body)
	}

	var fams map[string]*dto.MetricFamily
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		// The file is rewritten shortly after each change: the last one
		// to wait for is the mail's.
		fams = readProm(t, prom)
		if value(fams, "zoneup_jobs", "state", "done") == 2 && value(fams, "zoneup_last_report_timestamp_seconds", "", "") > 0 {
			break
		}
	}
	checks := []struct {
		name, label, val string
		want             float64
	}{
		{"zoneup_jobs", "state", "done", 2},
		{"zoneup_job_results", "result", "upgraded", 2},
		{"zoneup_upgrades_by_rung", "rung", "image-update", 1},
		{"zoneup_upgrades_by_rung", "rung", "attach-update", 1},
		{"zoneup_attach_failures_total", "class", "no-solution", 1},
		{"zoneup_queue_paused", "", "", 0},
	}
	for _, c := range checks {
		if got := value(fams, c.name, c.label, c.val); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.val, got, c.want)
		}
	}
	if got := value(fams, "zoneup_tool_calls_total", "tool", "zoneadm"); got < 4 {
		t.Errorf("zoneadm calls counted: %v", got)
	}
	if got := value(fams, "zoneup_last_report_timestamp_seconds", "", ""); got == 0 {
		t.Error("the mailed report is not recorded")
	}
}

func readProm(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	return fams
}

// value is the value of the metric name whose label has val ("" for a
// metric without labels); -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name, label, val string) float64 {
	fam, ok := fams[name]
	if !ok {
		return -1
	}
	for _, m := range fam.GetMetric() {
		match := label == ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label && lp.GetValue() == val {
				match = true
			}
		}
		if !match {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		}
	}
	return -1
}

// Several jobs of one night need the global zone stripped: it is stripped
// once, kept while a job that may still need it is queued or running, and
// restored, exactly, before the last of them ends.
func TestGlobalZoneStrippedOncePerNight(t *testing.T) {
	w := newScenario(t, fast, `{"profile": "s11e", "seed": 6, "zones": [
		{"name": "g1", "state": "running", "troubles": ["gz-publishers"]},
		{"name": "g2", "state": "running", "troubles": ["gz-publishers"]},
		{"name": "g3", "state": "running", "troubles": ["gz-publishers"]},
		{"name": "g4", "state": "running", "troubles": ["gz-publishers"]}]}`)
	before := w.show()
	e := startEngine(t, map[string]string{"concurrency": "2"})
	e.enqueue(nil, "g1", "g2", "g3", "g4")
	jobs := e.waitAll(60 * time.Second)
	e.stop()
	var lastEnd time.Time
	for _, j := range jobs {
		if j.Result != "upgraded" || (j.Rung != domain.RungGlobalPublishers && j.Rung != domain.RungAttachUpdate) {
			t.Errorf("%s: %s/%s\n  %s", j.Zone, j.Result, j.Rung, steps(j))
		}
		if j.Ended.After(lastEnd) {
			lastEnd = j.Ended
		}
	}
	unsets, restores := 0, 0
	var lastRestore time.Time
	for _, i := range readInvocations(t, w.dir) {
		switch c := i.Cmd(); {
		case strings.HasPrefix(c, "pkg -R / unset-publisher"):
			unsets++
		case strings.HasPrefix(c, "pkg -R / set-publisher") && !strings.Contains(c, "--search-after"):
			restores++
			if i.End.After(lastRestore) {
				lastRestore = i.End
			}
		}
	}
	// Two publishers beside the first: one strip is two unsets, one
	// restore two set-publishers.
	if unsets != 2 || restores != 2 {
		t.Errorf("%d unset-publisher and %d set-publisher calls on the global zone, want 2 and 2 (one strip, one restore)", unsets, restores)
	}
	if !lastRestore.Before(lastEnd) {
		t.Errorf("restored at %v, after the last job ended at %v", lastRestore, lastEnd)
	}
	if after := w.show(); fmt.Sprint(after.GZ.Publishers) != fmt.Sprint(before.GZ.Publishers) {
		t.Errorf("global publishers after: %v, before: %v", after.GZ.Publishers, before.GZ.Publishers)
	}
}
