package metrics

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parse reads a textfile back as the textfile collector does.
func parse(t testing.TB, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b)
	}
	return mfs
}

func readFile(t testing.TB, path string) map[string]*dto.MetricFamily {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, b)
}

// byLabel is a family's values by the value of its one label ("" for none).
func byLabel(t testing.TB, mfs map[string]*dto.MetricFamily, name string) map[string]float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no %s in %v", name, slices.Sorted(maps.Keys(mfs)))
	}
	out := map[string]float64{}
	for _, m := range mf.GetMetric() {
		key := ""
		if lp := m.GetLabel(); len(lp) == 1 {
			key = lp[0].GetValue()
		} else if len(lp) > 1 {
			t.Fatalf("%s has labels %v", name, lp)
		}
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			out[key] = m.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			out[key] = m.GetCounter().GetValue()
		case dto.MetricType_HISTOGRAM:
			out[key] = float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

func labelName(mf *dto.MetricFamily) string {
	if ms := mf.GetMetric(); len(ms) > 0 && len(ms[0].GetLabel()) > 0 {
		return ms[0].GetLabel()[0].GetName()
	}
	return ""
}

func TestWriteFileParsesBack(t *testing.T) {
	s := New()
	s.Tool("zoneadm", 2*time.Second, 0)
	s.Tool("zoneadm", 300*time.Second, 1)
	s.Tool("/usr/bin/pkg", 50*time.Millisecond, 4)
	s.Tool("zfs", 20*time.Millisecond, 0)
	s.AttachFailure("no-solution")
	s.AttachFailure("no-solution")
	s.AttachFailure("transport")
	s.AttachFailure("")
	s.Jobs(map[string]int{"queued": 3, "attach": 1, "done": 5, "rolled-back": 1},
		map[string]int{"done": 5, "rolled-back": 1},
		map[string]int{"attach-update": 3, "remove-conflicts": 2})
	s.Queue(true, true, 3, false)
	rep := time.Date(2026, 12, 1, 6, 30, 0, 500e6, time.UTC)
	s.Reported(rep)

	path := filepath.Join(t.TempDir(), "zoneup.prom")
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	mfs := readFile(t, path)

	want := map[string]struct {
		typ   dto.MetricType
		label string
		vals  map[string]float64
	}{
		"zoneup_jobs":             {dto.MetricType_GAUGE, "state", map[string]float64{"queued": 3, "attach": 1, "done": 5, "rolled-back": 1}},
		"zoneup_job_results":      {dto.MetricType_GAUGE, "result", map[string]float64{"done": 5, "rolled-back": 1}},
		"zoneup_upgrades_by_rung": {dto.MetricType_GAUGE, "rung", map[string]float64{"attach-update": 3, "remove-conflicts": 2}},
		"zoneup_tool_calls_total": {dto.MetricType_COUNTER, "tool", map[string]float64{"zoneadm": 2, "pkg": 1, "zfs": 1}},
		"zoneup_tool_failures_total": {dto.MetricType_COUNTER, "tool",
			map[string]float64{"zoneadm": 1, "pkg": 1, "zfs": 0}},
		"zoneup_tool_call_duration_seconds": {dto.MetricType_HISTOGRAM, "tool", map[string]float64{"zoneadm": 2, "pkg": 1, "zfs": 1}},
		"zoneup_attach_failures_total": {dto.MetricType_COUNTER, "class",
			map[string]float64{"no-solution": 2, "transport": 1, "locked": 0, "no-space": 0, "host": 0, "other": 1}},
		"zoneup_queue_paused":                  {dto.MetricType_GAUGE, "", map[string]float64{"": 1}},
		"zoneup_breaker_tripped":               {dto.MetricType_GAUGE, "", map[string]float64{"": 1}},
		"zoneup_breaker_count":                 {dto.MetricType_GAUGE, "", map[string]float64{"": 3}},
		"zoneup_window_open":                   {dto.MetricType_GAUGE, "", map[string]float64{"": 0}},
		"zoneup_last_report_timestamp_seconds": {dto.MetricType_GAUGE, "", map[string]float64{"": 1796106600.5}},
	}
	if got := slices.Sorted(maps.Keys(mfs)); !slices.Equal(got, slices.Sorted(maps.Keys(want))) {
		t.Errorf("families %v\nwant %v", got, slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		mf := mfs[name]
		if mf == nil {
			continue
		}
		if mf.GetType() != w.typ {
			t.Errorf("%s: type %v, want %v", name, mf.GetType(), w.typ)
		}
		if !strings.HasPrefix(name, "zoneup_") || len(mf.GetHelp()) < 10 {
			t.Errorf("%s: help %q", name, mf.GetHelp())
		}
		if w.label != "" && labelName(mf) != w.label {
			t.Errorf("%s: label %q, want %q", name, labelName(mf), w.label)
		}
		if got := byLabel(t, mfs, name); !maps.Equal(got, w.vals) {
			t.Errorf("%s = %v\nwant %v", name, got, w.vals)
		}
	}
	if got := time.Unix(0, int64(byLabel(t, mfs, "zoneup_last_report_timestamp_seconds")[""]*1e9)); got.Sub(rep).Abs() > time.Millisecond {
		t.Errorf("last report %v, want %v", got, rep)
	}

	// The histogram: its buckets span 0.01 s to 2 h, and the samples fell
	// where their durations say.
	var zoneadm *dto.Histogram
	for _, m := range mfs["zoneup_tool_call_duration_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() == "zoneadm" {
			zoneadm = m.GetHistogram()
		}
	}
	bs := slices.DeleteFunc(zoneadm.GetBucket(), func(b *dto.Bucket) bool { return math.IsInf(b.GetUpperBound(), 1) })
	if len(bs) < 10 || math.Abs(bs[0].GetUpperBound()-0.01) > 1e-9 || math.Abs(bs[len(bs)-1].GetUpperBound()-7200) > 1e-6 {
		t.Fatalf("buckets %v", bs)
	}
	if zoneadm.GetSampleSum() != 302 {
		t.Errorf("zoneadm duration sum %v, want 302", zoneadm.GetSampleSum())
	}
	for _, b := range bs {
		var n uint64
		if b.GetUpperBound() >= 2 {
			n++
		}
		if b.GetUpperBound() >= 300 {
			n++
		}
		if b.GetCumulativeCount() != n {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), n)
		}
	}
}

// TestFreshSet: before anything happens, the label-less gauges and the
// attach classes are there at 0 and no job or tool label is.
func TestFreshSet(t *testing.T) {
	var buf bytes.Buffer
	if err := New().Write(&buf); err != nil {
		t.Fatal(err)
	}
	mfs := parse(t, buf.Bytes())
	for _, n := range []string{"zoneup_queue_paused", "zoneup_breaker_tripped", "zoneup_breaker_count", "zoneup_window_open", "zoneup_last_report_timestamp_seconds"} {
		if got := byLabel(t, mfs, n); !maps.Equal(got, map[string]float64{"": 0}) {
			t.Errorf("%s = %v", n, got)
		}
	}
	if got := byLabel(t, mfs, "zoneup_attach_failures_total"); len(got) != 6 || got["no-space"] != 0 {
		t.Errorf("attach failures %v", got)
	}
	for _, n := range []string{"zoneup_jobs", "zoneup_tool_calls_total"} {
		if mfs[n] != nil {
			t.Errorf("%s in a fresh set: %v", n, mfs[n])
		}
	}
	if !strings.Contains(buf.String(), "# HELP zoneup_window_open ") || !strings.Contains(buf.String(), "# TYPE zoneup_window_open gauge") {
		t.Errorf("no HELP/TYPE lines:\n%s", buf.String())
	}
}

// TestJobsSnapshot: each Jobs call replaces the whole snapshot; labels
// gone from it are gone from the file, a 0 stays as 0.
func TestJobsSnapshot(t *testing.T) {
	s := New()
	path := filepath.Join(t.TempDir(), "zoneup.prom")
	s.Jobs(map[string]int{"queued": 4, "attach": 2, "remediate": 1}, map[string]int{"failed": 1}, map[string]int{"image-update": 1})
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if got := byLabel(t, readFile(t, path), "zoneup_jobs"); !maps.Equal(got, map[string]float64{"queued": 4, "attach": 2, "remediate": 1}) {
		t.Fatalf("first snapshot %v", got)
	}
	s.Jobs(map[string]int{"queued": 0, "done": 7}, map[string]int{"done": 7}, nil)
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	mfs := readFile(t, path)
	if got := byLabel(t, mfs, "zoneup_jobs"); !maps.Equal(got, map[string]float64{"queued": 0, "done": 7}) {
		t.Errorf("second snapshot: jobs %v", got)
	}
	if got := byLabel(t, mfs, "zoneup_job_results"); !maps.Equal(got, map[string]float64{"done": 7}) {
		t.Errorf("second snapshot: results %v", got)
	}
	if mfs["zoneup_upgrades_by_rung"] != nil {
		t.Errorf("rungs after an empty snapshot: %v", mfs["zoneup_upgrades_by_rung"])
	}
	s.Queue(true, false, 0, true)
	s.Queue(false, false, 1, true)
	mfs = func() map[string]*dto.MetricFamily {
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatal(err)
		}
		return parse(t, buf.Bytes())
	}()
	for n, v := range map[string]float64{"zoneup_queue_paused": 0, "zoneup_breaker_tripped": 0, "zoneup_breaker_count": 1, "zoneup_window_open": 1} {
		if got := byLabel(t, mfs, n)[""]; got != v {
			t.Errorf("%s = %v, want %v", n, got, v)
		}
	}
}

// TestWriteFileAtomic: a reader that keeps opening the file while writers
// keep replacing it (with snapshots of different sizes) always finds a
// whole, parseable exposition with every family, never a partial one, and
// no temporary file is left behind.
func TestWriteFileAtomic(t *testing.T) {
	s := New()
	dir := t.TempDir()
	path := filepath.Join(dir, "zoneup.prom")
	s.Jobs(map[string]int{"queued": 1}, map[string]int{"done": 1}, map[string]int{"attach-update": 1})
	s.Tool("zoneadm", time.Second, 1)
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	families := len(readFile(t, path))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Big and small snapshots in turn, so that a torn file
				// would show.
				m := map[string]int{}
				for k := range 1 + (i*7+g)%200 {
					m["state-"+strings.Repeat("x", k%13)+string(rune('a'+k%26))+string(rune('a'+k/26))] = k
				}
				s.Jobs(m, map[string]int{"done": i}, map[string]int{"attach-update": i})
				s.Tool("zoneadm", time.Duration(i)*time.Millisecond, i%2)
				if err := s.WriteFile(path); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	deadline := time.Now().Add(700 * time.Millisecond)
	reads := 0
	var bad string
	for bad == "" && time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err != nil {
			bad = err.Error()
			break
		}
		p := expfmt.NewTextParser(model.LegacyValidation)
		mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
		switch {
		case err != nil:
			bad = fmt.Sprintf("read %d: %v", reads, err)
		case len(mfs) != families || !bytes.HasSuffix(b, []byte("\n")):
			bad = fmt.Sprintf("read %d: %d families, want %d; last bytes %q", reads, len(mfs), families, b[max(0, len(b)-40):])
		}
		reads++
	}
	close(stop)
	wg.Wait()
	if bad != "" {
		t.Fatal(bad)
	}
	if reads < 10 {
		t.Fatalf("only %d reads", reads)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "zoneup.prom" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v", names)
	}
}

// TestWriteFileError: a folder that does not exist is an error, and the
// file is not half written anywhere.
func TestWriteFileError(t *testing.T) {
	if err := New().WriteFile(filepath.Join(t.TempDir(), "nope", "zoneup.prom")); err == nil {
		t.Fatal("no error for a missing folder")
	}
}

// TestConcurrent: setters and writes from many goroutines (run with
// -race); the counts add up at the end.
func TestConcurrent(t *testing.T) {
	s := New()
	path := filepath.Join(t.TempDir(), "zoneup.prom")
	const workers, rounds = 4, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				s.Tool("pkg", time.Millisecond, i%4)
				s.AttachFailure(AttachClasses[i%len(AttachClasses)])
				s.Jobs(map[string]int{"queued": i, "done": w}, map[string]int{"done": w}, map[string]int{"attach-update": w})
				s.Queue(i%2 == 0, i%3 == 0, i, i%5 == 0)
				s.Reported(time.Unix(int64(i), 0))
				if i%20 == 0 {
					if err := s.WriteFile(path); err != nil {
						t.Error(err)
					}
					var buf bytes.Buffer
					if err := s.Write(&buf); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := s.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	mfs := readFile(t, path)
	if got := byLabel(t, mfs, "zoneup_tool_calls_total")["pkg"]; got != workers*rounds {
		t.Errorf("pkg calls %v, want %d", got, workers*rounds)
	}
	if got := byLabel(t, mfs, "zoneup_tool_failures_total")["pkg"]; got != workers*rounds*3/4 {
		t.Errorf("pkg failures %v, want %d", got, workers*rounds*3/4)
	}
	var sum float64
	for _, v := range byLabel(t, mfs, "zoneup_attach_failures_total") {
		sum += v
	}
	if sum != workers*rounds {
		t.Errorf("attach failures %v, want %d", sum, workers*rounds)
	}
	if got := byLabel(t, mfs, "zoneup_jobs"); len(got) != 2 || got["queued"] != rounds-1 {
		t.Errorf("jobs %v", got)
	}
}
