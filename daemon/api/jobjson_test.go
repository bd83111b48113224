package api

import (
	"encoding/json"
	"testing"
	"time"
)

func sampleJobs() []Job {
	t0 := time.Date(2026, 12, 1, 23, 4, 5, 123456789, time.UTC)
	odd := "a<b>&c\"d\\e\n\r\t\b\f\x01\x1f é \u2028\u2029 \xff\xfe 日本 \U0001F600"
	return []Job{
		{},
		{Zone: "web01", ID: "20261201T230405.123456Z-abcdef", State: "queued", Allow: []string{}, RemovedPackages: []string{},
			RestoredFiles: []string{}, Warnings: []string{}, History: []Step{}, Enqueued: t0, Attempt: 1},
		{Zone: odd, ID: odd, State: "done", Terminal: true, Result: "upgraded", Rung: "recreate-image",
			Snapshot: "rpool/zones/web01@zoneup-x", Allow: []string{"remove-conflicts", odd}, RemovedPackages: []string{"web/php-52"},
			RestoredFiles: []string{"etc/passwd", "etc/ssh/sshd_config"}, Warnings: []string{odd}, Error: odd,
			History: []Step{{Stage: "attach", Rung: "attach-update", Started: "2026-12-01T23:04:05Z", Outcome: "failed", Error: odd}, {Stage: "boot"}},
			NoBoot:  true, Enqueued: t0, Started: t0.Add(time.Second), Ended: t0.In(time.FixedZone("x", -5*3600)).Add(time.Hour),
			Attempt: 3, Cause: "transport solaris http://pkg.oracle.com/", Zonepath: "/zones/a:b",
			Waiting: odd, StageStarted: t0.Add(2 * time.Second), Predicted: 3600, HostState: "configured", Meaning: odd, Next: []string{odd, "zoneadm -z x boot"}},
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	for i, j := range sampleJobs() {
		want, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		if got := j.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("job %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("web01", "attach", "pkg install: No solution <was> found & \"so\"", int64(1700000000123456789))
	f.Add("\xff\x00", "\u2028", "\\", int64(0))
	f.Fuzz(func(t *testing.T, zone, state, text string, ns int64) {
		ts := time.Unix(0, ns).UTC()
		if ts.Year() < 0 || ts.Year() > 9999 {
			return
		}
		j := Job{Zone: zone, State: state, Error: text, Warnings: []string{text, zone}, Enqueued: ts, Ended: ts,
			History: []Step{{Stage: state, Error: text}}}
		want, err := json.Marshal(j)
		if err != nil {
			t.Skip()
		}
		if got := j.AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	j := sampleJobs()[2]
	var buf []byte
	for b.Loop() {
		buf = j.AppendJSON(buf[:0])
	}
}
