// Package storetest is the contract every persist.Store must meet. The
// bbolt store and the in-memory double both run it, which keeps the double
// honest: the daemon's unit tests are only as good as it is.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/fsm"
	"zoneup/persist"
)

// Run runs the contract against stores made by open. open must return a
// new, empty store with the default log limit (persist.DefaultLogLimit)
// and close it when the test ends; Close may already have been called.
func Run(t *testing.T, open func(t *testing.T) persist.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s persist.Store)
	}{
		{"PutGet", testPutGet},
		{"Times", testTimes},
		{"PutInvalid", testPutInvalid},
		{"ZoneNeverChanges", testZoneNeverChanges},
		{"Latest", testLatest},
		{"ForEachOrder", testForEachOrder},
		{"ForEachStops", testForEachStops},
		{"ForEachWritesInside", testForEachWritesInside},
		{"ActiveTransitions", testActiveTransitions},
		{"NoAliasing", testNoAliasing},
		{"LogSeq", testLogSeq},
		{"LogTrim", testLogTrim},
		{"LogHugeEntry", testLogHugeEntry},
		{"Global", testGlobal},
		{"Queue", testQueue},
		{"DeleteJob", testDeleteJob},
		{"PutJobs", testPutJobs},
		{"PutJobLog", testPutJobLog},
		{"Closed", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
			if err := s.Check(); err != nil && tc.name != "Closed" {
				t.Fatalf("Check after the test: %v", err)
			}
		})
	}
}

// at is a fixed instant plus n minutes, in UTC as the daemon writes it.
func at(n int) time.Time {
	return time.Date(2025, 3, 1, 2, 0, 0, 123456789, time.UTC).Add(time.Duration(n) * time.Minute)
}

// Sample returns a realistic job: a finished upgrade with every field set
// and twelve steps of history. Benchmarks use it too.
func Sample(id, zone string) *persist.Job {
	j := &persist.Job{
		ID: id, Zone: zone, State: "done", Result: "upgraded", Rung: "image-update",
		Snapshot:      "rpool/zones/" + zone + "@zoneup-" + id,
		SnapshotTaken: true,
		Allow:         []string{"remove-conflicts"},
		Ladder:        []string{"global-publishers", "zone-publishers", "step-release", "image-update", "remove-conflicts", "recreate-image"},
		Warnings:      []string{"svcs -x: svc:/network/smtp:sendmail is maintenance"},
		Enqueued:      at(0), Started: at(1), Ended: at(95), Attempt: 1,
		PriorState: "running", Zonepath: "/zones/" + zone, Dataset: "rpool/zones/" + zone,
		ZBE: "rpool/zones/" + zone + "/ROOT/zbe", RungIndex: 4,
		Done:     map[string]bool{"snapshot": true},
		GZHolder: true,
	}
	stages := []struct{ stage, rung, outcome, err string }{
		{"preflight", "", "ok", ""},
		{"halt", "", "ok", ""},
		{"snapshot", "", "ok", ""},
		{"detach", "", "ok", ""},
		{"attach", "attach-update", "failed", "no-solution: entire@0.5.11-0.151.1.8 cannot be installed"},
		{"remediate", "global-publishers", "ok", ""},
		{"attach", "global-publishers", "failed", "no-solution"},
		{"remediate", "zone-publishers", "ok", ""},
		{"attach", "zone-publishers", "failed", "transport http://pkg.example.com/release/"},
		{"remediate", "image-update", "ok", ""},
		{"boot", "", "ok", ""},
		{"verify", "", "ok", ""},
	}
	for i, s := range stages {
		j.History = append(j.History, persist.Step{Stage: s.stage, Rung: s.rung, Started: at(2 + 7*i), Ended: at(8 + 7*i), Outcome: s.outcome, Error: s.err})
	}
	return j
}

// queued is a fresh job as enqueue makes it.
func queued(id, zone string) *persist.Job {
	return &persist.Job{ID: id, Zone: zone, State: "queued", Enqueued: at(0)}
}

func mustPut(t *testing.T, s persist.Store, j *persist.Job) {
	t.Helper()
	if err := s.PutJob(j); err != nil {
		t.Fatalf("PutJob(%s): %v", j.ID, err)
	}
}

func ids(jobs []*persist.Job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func allIDs(t *testing.T, s persist.Store) []string {
	t.Helper()
	var out []string
	if err := s.ForEachJob(func(j *persist.Job) error { out = append(out, j.ID); return nil }); err != nil {
		t.Fatalf("ForEachJob: %v", err)
	}
	return out
}

func activeIDs(t *testing.T, s persist.Store) []string {
	t.Helper()
	jobs, err := s.ActiveJobs()
	if err != nil {
		t.Fatalf("ActiveJobs: %v", err)
	}
	return ids(jobs)
}

func testPutGet(t *testing.T, s persist.Store) {
	want := Sample("20250301T020000Z-aaaa", "web1")
	mustPut(t, s, want)
	got, err := s.GetJob(want.ID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetJob returned\n%+v\nwant\n%+v", got, want)
	}
	if _, err := s.GetJob("nope"); !errors.Is(err, persist.ErrNotFound) {
		t.Errorf("GetJob(missing) = %v, want ErrNotFound", err)
	}

	// Replacing keeps one record with the new content.
	want.State, want.Result = "rolled-back", "rolled-back"
	mustPut(t, s, want)
	if got, _ := s.GetJob(want.ID); got == nil || got.State != "rolled-back" {
		t.Errorf("after replace, GetJob = %+v", got)
	}
	if n := len(allIDs(t, s)); n != 1 {
		t.Errorf("after replace, %d jobs, want 1", n)
	}
}

// testTimes: instants and UTC offsets survive; the monotonic reading
// does not (both stores behave as a JSON round trip does).
func testTimes(t *testing.T, s persist.Store) {
	now := time.Now()
	east := time.Date(2025, 3, 1, 4, 0, 0, 7, time.FixedZone("EET", 2*3600))
	mustPut(t, s, &persist.Job{ID: "j1", Zone: "web1", State: "queued", Enqueued: now, Started: east,
		History: []persist.Step{{Stage: "halt", Started: east.UTC()}}})
	got, err := s.GetJob("j1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Enqueued.Equal(now) || got.Enqueued != got.Enqueued.Round(0) {
		t.Errorf("Enqueued = %v, want %v without monotonic reading", got.Enqueued, now)
	}
	if _, off := got.Started.Zone(); !got.Started.Equal(east) || off != 2*3600 {
		t.Errorf("Started = %v, want %v at +02:00", got.Started, east)
	}
	if st := got.History[0].Started; st.Location() != time.UTC || !st.Equal(east) {
		t.Errorf("History[0].Started = %v (%v), want UTC", st, st.Location())
	}
	if !got.Ended.IsZero() {
		t.Errorf("Ended = %v, want zero", got.Ended)
	}
}

func testPutInvalid(t *testing.T, s persist.Store) {
	for _, j := range []*persist.Job{nil, {Zone: "web1"}, {ID: "x"}} {
		if err := s.PutJob(j); err == nil {
			t.Errorf("PutJob(%+v) accepted", j)
		}
	}
	if n := len(allIDs(t, s)); n != 0 {
		t.Errorf("%d jobs after refused puts", n)
	}
}

func testZoneNeverChanges(t *testing.T, s persist.Store) {
	mustPut(t, s, queued("j1", "web1"))
	if err := s.PutJob(queued("j1", "db1")); err == nil {
		t.Fatal("PutJob moved a job to another zone")
	}
	if _, err := s.LatestJob("db1"); !errors.Is(err, persist.ErrNotFound) {
		t.Errorf("LatestJob(db1) = %v, want ErrNotFound", err)
	}
	if j, err := s.LatestJob("web1"); err != nil || j.ID != "j1" {
		t.Errorf("LatestJob(web1) = %v, %v", j, err)
	}
}

func testLatest(t *testing.T, s persist.Store) {
	if _, err := s.LatestJob("web1"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("LatestJob on empty store = %v, want ErrNotFound", err)
	}
	old := Sample("20250301T020000Z-aaaa", "web1")
	mustPut(t, s, old)
	mustPut(t, s, queued("20250302T020000Z-bbbb", "web1"))
	mustPut(t, s, queued("20250301T030000Z-cccc", "db1"))
	// Rewriting the older job (say, a late checkpoint) must not make it
	// the zone's newest again.
	old.Warnings = append(old.Warnings, "late")
	mustPut(t, s, old)
	for zone, want := range map[string]string{"web1": "20250302T020000Z-bbbb", "db1": "20250301T030000Z-cccc"} {
		j, err := s.LatestJob(zone)
		if err != nil || j.ID != want || j.Zone != zone {
			t.Errorf("LatestJob(%s) = %v, %v; want %s", zone, j, err, want)
		}
	}
}

func testForEachOrder(t *testing.T, s persist.Store) {
	// More than one chunk of the bbolt walk, put in shuffled order.
	var want []string
	for i := range 150 {
		want = append(want, fmt.Sprintf("20250301T02%04dZ-%04x", i, i*7919%65536))
	}
	shuffled := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i, id := range shuffled {
		mustPut(t, s, Sample(id, fmt.Sprintf("z%d", i%9)))
	}
	if got := allIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("ForEachJob order:\n got %v\nwant %v", got, want)
	}
	// Each call gets a whole job, decoded on its own, a copy the caller
	// may keep: none is changed by the walk going on.
	var kept []*persist.Job
	err := s.ForEachJob(func(j *persist.Job) error {
		if len(j.History) != 12 || j.Zone == "" {
			return fmt.Errorf("job %s came back partial: %+v", j.ID, j)
		}
		kept = append(kept, j)
		return nil
	})
	if err != nil || len(kept) != len(want) {
		t.Fatalf("ForEachJob: %d jobs, %v", len(kept), err)
	}
	for i, j := range kept {
		if j.ID != want[i] || len(j.History) != 12 || j.History[0].Stage != "preflight" {
			t.Fatalf("job %d kept from the walk changed: %s %+v", i, j.ID, j.History[0])
		}
	}
}

func testForEachStops(t *testing.T, s persist.Store) {
	if err := s.ForEachJob(func(*persist.Job) error { return errors.New("called on an empty store") }); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		mustPut(t, s, queued(fmt.Sprintf("j%03d", i), "web1"))
	}
	stop := errors.New("stop")
	calls := 0
	err := s.ForEachJob(func(j *persist.Job) error {
		calls++
		if j.ID == "j070" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 71 {
		t.Errorf("ForEachJob returned %v after %d calls, want stop after 71", err, calls)
	}
}

// testForEachWritesInside: fn may use the store (the API streams jobs to
// a client while the workers keep checkpointing).
func testForEachWritesInside(t *testing.T, s persist.Store) {
	for i := range 100 {
		mustPut(t, s, queued(fmt.Sprintf("j%03d", i), "web1"))
	}
	done := make(chan error, 1)
	go func() {
		done <- s.ForEachJob(func(j *persist.Job) error {
			j.State = "preflight"
			if err := s.PutJob(j); err != nil {
				return err
			}
			_, err := s.GetJob(j.ID)
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ForEachJob deadlocked with a write inside fn")
	}
	if n := len(activeIDs(t, s)); n != 100 {
		t.Errorf("%d active jobs, want 100", n)
	}
}

func testActiveTransitions(t *testing.T, s persist.Store) {
	if got := activeIDs(t, s); len(got) != 0 {
		t.Fatalf("ActiveJobs on empty store = %v", got)
	}
	mustPut(t, s, queued("j3", "c"))
	mustPut(t, s, queued("j1", "a"))
	mustPut(t, s, queued("j2", "b"))
	if got, want := activeIDs(t, s), []string{"j1", "j2", "j3"}; !slices.Equal(got, want) {
		t.Errorf("ActiveJobs = %v, want %v", got, want)
	}
	// Every non-terminal state is active; every terminal one is not.
	for _, st := range fsm.AllStates {
		j := queued("j2", "b")
		j.State = string(st)
		mustPut(t, s, j)
		got := activeIDs(t, s)
		want := []string{"j1", "j2", "j3"}
		if fsm.Terminal(st) {
			want = []string{"j1", "j3"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("state %s: ActiveJobs = %v, want %v", st, got, want)
		}
	}
	// retry brings a terminal job back, with its state.
	j := queued("j2", "b")
	j.Attempt = 2
	mustPut(t, s, j)
	jobs, err := s.ActiveJobs()
	if err != nil || len(jobs) != 3 || jobs[1].ID != "j2" || jobs[1].Attempt != 2 || jobs[1].State != "queued" {
		t.Errorf("after retry, ActiveJobs = %v, %v", jobs, err)
	}
}

func testNoAliasing(t *testing.T, s persist.Store) {
	orig := Sample("j1", "web1")
	mustPut(t, s, orig)
	want := Sample("j1", "web1")

	// Changing what was put changes nothing stored.
	orig.History[0].Stage = "changed"
	orig.Done["uninstall"] = true
	orig.Allow[0] = "changed"
	orig.Ladder = orig.Ladder[:1]

	// Nor does changing what comes back, whichever way it came.
	mutate := func(j *persist.Job) {
		j.History[1].Outcome = "changed"
		j.Done["image-create"] = true
		j.Warnings[0] = "changed"
		j.State = "changed"
	}
	got, err := s.GetJob("j1")
	if err != nil {
		t.Fatal(err)
	}
	mutate(got)
	latest, err := s.LatestJob("web1")
	if err != nil {
		t.Fatal(err)
	}
	mutate(latest)
	if err := s.ForEachJob(func(j *persist.Job) error { mutate(j); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetJob("j1"); !reflect.DeepEqual(got, want) {
		t.Errorf("stored job changed through an alias:\n%+v", got)
	}

	mustPut(t, s, queued("j2", "db1"))
	act, err := s.ActiveJobs()
	if err != nil || len(act) != 1 {
		t.Fatalf("ActiveJobs = %v, %v", act, err)
	}
	act[0].State = "done"
	if again, _ := s.ActiveJobs(); len(again) != 1 || again[0].State != "queued" {
		t.Errorf("ActiveJobs result aliased: %+v", again)
	}

	entries := []persist.LogEntry{{Time: at(1), Kind: "event", Text: "one"}}
	if err := s.AppendLog("j1", entries...); err != nil {
		t.Fatal(err)
	}
	if entries[0].Seq != 0 {
		t.Errorf("AppendLog wrote Seq %d into the caller's entry", entries[0].Seq)
	}
	logs, _ := s.Logs("j1", 0)
	logs[0].Text = "changed"
	if again, _ := s.Logs("j1", 0); again[0].Text != "one" {
		t.Errorf("Logs result aliased: %+v", again)
	}

	g := &persist.GlobalRecord{Original: []persist.Publisher{{Name: "solaris"}}, Holders: []string{"j1"}}
	if err := s.PutGlobal(g); err != nil {
		t.Fatal(err)
	}
	g.Holders[0] = "changed"
	g.Original[0].Name = "changed"
	back, err := s.Global()
	if err != nil || back.Holders[0] != "j1" || back.Original[0].Name != "solaris" {
		t.Fatalf("Global after changing the put record = %+v, %v", back, err)
	}
	back.Holders[0] = "changed"
	if again, _ := s.Global(); again.Holders[0] != "j1" {
		t.Errorf("Global result aliased: %+v", again)
	}
}

func testLogSeq(t *testing.T, s persist.Store) {
	if err := s.AppendLog("missing", persist.LogEntry{Text: "x"}); !errors.Is(err, persist.ErrNotFound) {
		t.Errorf("AppendLog(missing job) = %v, want ErrNotFound", err)
	}
	if _, err := s.Logs("missing", 0); !errors.Is(err, persist.ErrNotFound) {
		t.Errorf("Logs(missing job) = %v, want ErrNotFound", err)
	}
	mustPut(t, s, queued("j1", "web1"))
	mustPut(t, s, queued("j2", "web2"))
	if got, err := s.Logs("j1", 0); err != nil || len(got) != 0 {
		t.Errorf("Logs of a job without log = %v, %v", got, err)
	}
	if err := s.AppendLog("j1"); err != nil {
		t.Errorf("AppendLog with no entries: %v", err)
	}

	var want []persist.LogEntry
	for batch := range 4 {
		var es []persist.LogEntry
		for i := range batch + 1 {
			es = append(es, persist.LogEntry{Seq: 999, Time: at(len(want) + i), Kind: "stdout", Text: fmt.Sprintf("batch %d line %d", batch, i)})
		}
		if err := s.AppendLog("j1", es...); err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			e.Seq = uint64(len(want) + 1) // the store numbers entries from 1, ignoring Seq
			want = append(want, e)
		}
	}
	// Another job's log has its own numbering.
	if err := s.AppendLog("j2", persist.LogEntry{Kind: "event", Text: "other"}); err != nil {
		t.Fatal(err)
	}
	for _, after := range []uint64{0, 1, 4, 9, 10, 11, math.MaxUint64} {
		got, err := s.Logs("j1", after)
		if err != nil {
			t.Fatal(err)
		}
		exp := want[min(int(min(after, 10)), len(want)):]
		if len(exp) == 0 {
			exp = nil
		}
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("Logs(j1, %d) =\n%+v\nwant\n%+v", after, got, exp)
		}
	}
	if got, _ := s.Logs("j2", 0); len(got) != 1 || got[0].Seq != 1 || got[0].Text != "other" {
		t.Errorf("Logs(j2) = %+v", got)
	}
}

// entrySize is what an entry costs against the log limit: its JSON.
func entrySize(t *testing.T, e persist.LogEntry) int {
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func testLogTrim(t *testing.T, s persist.Store) {
	mustPut(t, s, queued("j1", "web1"))
	line := func(seq int) persist.LogEntry {
		return persist.LogEntry{Time: at(seq), Kind: "stdout", Text: fmt.Sprintf("%05d %s", seq, strings.Repeat("x", 900))}
	}
	total := 0
	for n := 0; total < 2*persist.DefaultLogLimit; {
		var es []persist.LogEntry
		for range 37 {
			n++
			es = append(es, line(n))
			total += entrySize(t, es[len(es)-1])
		}
		if err := s.AppendLog("j1", es...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Logs("j1", 0)
	if err != nil || len(got) == 0 {
		t.Fatalf("Logs = %d entries, %v", len(got), err)
	}
	// The newest entries are kept, contiguous, as many as fit.
	kept := 0
	for i, e := range got {
		want := line(int(e.Seq))
		want.Seq = e.Seq
		if !reflect.DeepEqual(e, want) {
			t.Fatalf("entry %d = %+v, want %+v", i, e, want)
		}
		if i > 0 && e.Seq != got[i-1].Seq+1 {
			t.Fatalf("gap between seq %d and %d", got[i-1].Seq, e.Seq)
		}
		kept += entrySize(t, e)
	}
	first := got[0].Seq
	dropped := line(int(first - 1))
	dropped.Seq = first - 1
	if kept > persist.DefaultLogLimit || kept+entrySize(t, dropped) <= persist.DefaultLogLimit {
		t.Errorf("kept %d bytes (seq %d-%d), limit %d: not the most that fit", kept, first, got[len(got)-1].Seq, persist.DefaultLogLimit)
	}
	// Reading past the trimmed part still works by seq.
	if tail, _ := s.Logs("j1", got[len(got)-3].Seq); len(tail) != 2 {
		t.Errorf("Logs(after the third last) = %d entries, want 2", len(tail))
	}
}

func testLogHugeEntry(t *testing.T, s persist.Store) {
	mustPut(t, s, queued("j1", "web1"))
	if err := s.AppendLog("j1", persist.LogEntry{Kind: "event", Text: "small"}); err != nil {
		t.Fatal(err)
	}
	huge := persist.LogEntry{Kind: "attach-log", Text: strings.Repeat("y", persist.DefaultLogLimit+1)}
	if err := s.AppendLog("j1", huge, huge); err != nil {
		t.Fatal(err)
	}
	got, err := s.Logs("j1", 0)
	if err != nil || len(got) != 1 || got[0].Seq != 3 || got[0].Text != huge.Text {
		t.Fatalf("after an entry over the limit: %d entries, %v; want only seq 3", len(got), err)
	}
	if err := s.AppendLog("j1", persist.LogEntry{Kind: "event", Text: "after"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Logs("j1", 0); len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("the huge entry was not dropped for a newer one: %+v", got)
	}
}

func testGlobal(t *testing.T, s persist.Store) {
	if g, err := s.Global(); g != nil || err != nil {
		t.Fatalf("Global on empty store = %+v, %v", g, err)
	}
	if err := s.PutGlobal(nil); err == nil {
		t.Error("PutGlobal(nil) accepted")
	}
	want := &persist.GlobalRecord{
		Original: []persist.Publisher{
			{Name: "solaris", Origins: []string{"http://pkg.oracle.com/solaris/release/"}, Enabled: true, Sticky: true},
			{Name: "extra", Origins: []string{"https://x.example/"}, SSLKey: "/var/pkg/key.pem", SSLCert: "/var/pkg/cert.pem"},
		},
		Stripped: true,
		Holders:  []string{"j1", "j2"},
	}
	if err := s.PutGlobal(want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Global(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Global = %+v, %v; want %+v", got, err, want)
	}
	want.Holders = nil
	if err := s.PutGlobal(want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Global(); got == nil || len(got.Holders) != 0 || !got.Stripped {
		t.Errorf("Global after replace = %+v", got)
	}
	for range 2 { // deleting nothing is fine
		if err := s.DeleteGlobal(); err != nil {
			t.Fatal(err)
		}
		if g, err := s.Global(); g != nil || err != nil {
			t.Errorf("Global after delete = %+v, %v", g, err)
		}
	}
}

func testQueue(t *testing.T, s persist.Store) {
	if q, err := s.Queue(); err != nil || q != (persist.QueueState{}) {
		t.Fatalf("Queue on empty store = %+v, %v", q, err)
	}
	for _, want := range []persist.QueueState{{Paused: true, Reason: "breaker: no-space"}, {}} {
		if err := s.PutQueue(want); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Queue(); err != nil || got != want {
			t.Errorf("Queue = %+v, %v; want %+v", got, err, want)
		}
	}
}

func testClosed(t *testing.T, s persist.Store) {
	mustPut(t, s, queued("j1", "web1"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.GetJob("j1"); err == nil || errors.Is(err, persist.ErrNotFound) {
		t.Errorf("GetJob after Close = %v, want a closed-store error", err)
	}
	if err := s.PutJob(queued("j2", "web1")); err == nil {
		t.Error("PutJob after Close succeeded")
	}
}

// DeleteJob drops a terminal job and its log, refuses one that is not
// terminal, and the zone's newest job is then the newest one left.
func testDeleteJob(t *testing.T, s persist.Store) {
	old := &persist.Job{ID: "20250301T010000.000000Z-aaaaaa", Zone: "web01", State: "done", Result: "upgraded", Enqueued: at(0)}
	mid := &persist.Job{ID: "20250301T020000.000000Z-bbbbbb", Zone: "web01", State: "rolled-back", Result: "rolled-back", Enqueued: at(1)}
	other := &persist.Job{ID: "20250301T030000.000000Z-cccccc", Zone: "db01", State: "queued", Enqueued: at(2)}
	for _, j := range []*persist.Job{old, mid, other} {
		if err := s.PutJob(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendLog(mid.ID, persist.LogEntry{Time: at(1), Kind: "event", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteJob(other.ID); !errors.Is(err, persist.ErrActive) {
		t.Fatalf("deleting a queued job: %v", err)
	}
	if err := s.DeleteJob("nosuch"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("deleting an unknown job: %v", err)
	}
	if err := s.DeleteJob(mid.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetJob(mid.ID); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("deleted job still there: %v", err)
	}
	if l, err := s.LatestJob("web01"); err != nil || l.ID != old.ID {
		t.Fatalf("newest web01 job after the delete: %v %v", l, err)
	}
	if logs, err := s.Logs(mid.ID, 0); (err != nil && !errors.Is(err, persist.ErrNotFound)) || len(logs) != 0 {
		t.Fatalf("the deleted job's log: %v %v", logs, err)
	}
	if err := s.DeleteJob(old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LatestJob("web01"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("a zone without jobs: %v", err)
	}
	if a, err := s.ActiveJobs(); err != nil || len(a) != 1 || a[0].ID != other.ID {
		t.Fatalf("active jobs: %v %v", a, err)
	}
}

// PutJobs stores many jobs at once, or none when one is invalid.
func testPutJobs(t *testing.T, s persist.Store) {
	var js []*persist.Job
	for n := range 50 {
		js = append(js, &persist.Job{ID: fmt.Sprintf("20250301T010000.%06dZ-aaaaaa", n), Zone: fmt.Sprintf("z%02d", n), State: "queued", Enqueued: at(n)})
	}
	if err := s.PutJobs(js); err != nil {
		t.Fatal(err)
	}
	if a, err := s.ActiveJobs(); err != nil || len(a) != 50 {
		t.Fatalf("%d active jobs, %v", len(a), err)
	}
	if l, err := s.LatestJob("z07"); err != nil || l.ID != js[7].ID {
		t.Fatalf("z07: %v %v", l, err)
	}
	bad := []*persist.Job{{ID: "20250302T000000.000000Z-bbbbbb", Zone: "y1", State: "queued"}, {ID: "", Zone: "y2"}}
	if err := s.PutJobs(bad); err == nil {
		t.Fatal("a job without an id was stored")
	}
	if _, err := s.LatestJob("y1"); !errors.Is(err, persist.ErrNotFound) {
		t.Fatalf("half of a refused batch was stored: %v", err)
	}
}

// testPutJobLog: the job and its log lines in one write; a new job may
// come with its first lines, the numbering goes on from AppendLog's, and
// a refused job stores no line.
func testPutJobLog(t *testing.T, s persist.Store) {
	j := queued("j1", "web1")
	if err := s.PutJobLog(j, persist.LogEntry{Time: at(1), Kind: "event", Text: "enqueued"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendLog("j1", persist.LogEntry{Time: at(2), Kind: "tool", Text: "$ zoneadm -z web1 halt"}); err != nil {
		t.Fatal(err)
	}
	j.State = "done"
	lines := []persist.LogEntry{{Seq: 7, Time: at(3), Kind: "tool", Text: "exit 0, 1ms"}, {Time: at(4), Kind: "event", Text: "verify -> done"}}
	if err := s.PutJobLog(j, lines...); err != nil {
		t.Fatal(err)
	}
	if lines[0].Seq != 7 {
		t.Errorf("PutJobLog wrote Seq %d into the caller's entry", lines[0].Seq)
	}
	got, err := s.GetJob("j1")
	if err != nil || got.State != "done" {
		t.Fatalf("GetJob after PutJobLog = %+v, %v", got, err)
	}
	if a, _ := s.ActiveJobs(); len(a) != 0 {
		t.Errorf("a done job put with its log is still active: %v", ids(a))
	}
	logs, err := s.Logs("j1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for i, l := range logs {
		if l.Seq != uint64(i+1) {
			t.Errorf("entry %d has Seq %d", i, l.Seq)
		}
		texts = append(texts, l.Text)
	}
	if want := []string{"enqueued", "$ zoneadm -z web1 halt", "exit 0, 1ms", "verify -> done"}; !slices.Equal(texts, want) {
		t.Errorf("log = %q, want %q", texts, want)
	}
	if err := s.PutJobLog(queued("j2", "web1"), persist.LogEntry{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutJobLog(&persist.Job{ID: "j2", Zone: "db1", State: "queued"}, persist.LogEntry{Text: "moved"}); err == nil {
		t.Fatal("PutJobLog moved a job to another zone")
	}
	if err := s.PutJobLog(&persist.Job{Zone: "db1"}, persist.LogEntry{Text: "y"}); err == nil {
		t.Fatal("PutJobLog stored a job without an id")
	}
	if logs, _ := s.Logs("j2", 0); len(logs) != 1 || logs[0].Text != "x" {
		t.Errorf("a refused PutJobLog wrote its lines: %+v", logs)
	}
}
