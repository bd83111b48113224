package memstore

import (
	"testing"

	"zoneup/persist"
)

// A clone is the store at that instant: later writes to either store stay
// out of the other, and a closed store clones open.
func TestClone(t *testing.T) {
	s := New(Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutJob(&persist.Job{ID: "1", Zone: "z1", State: "attach"}))
	must(s.AppendLog("1", persist.LogEntry{Kind: "event", Text: "before"}))
	must(s.PutGlobal(&persist.GlobalRecord{Stripped: true, Holders: []string{"1"}}))
	must(s.PutQueue(persist.QueueState{Paused: true, Reason: "r"}))
	c := s.Clone()
	must(s.PutJob(&persist.Job{ID: "1", Zone: "z1", State: "done"}))
	must(s.AppendLog("1", persist.LogEntry{Kind: "event", Text: "after"}))
	must(s.DeleteGlobal())
	must(c.PutJob(&persist.Job{ID: "2", Zone: "z2", State: "queued"}))
	if _, err := s.GetJob("2"); err == nil {
		t.Errorf("the clone's write reached the original")
	}
	s.Close()

	j, err := c.GetJob("1")
	if err != nil || j.State != "attach" {
		t.Fatalf("clone's job: %+v %v", j, err)
	}
	if act, _ := c.ActiveJobs(); len(act) != 2 {
		t.Errorf("clone's active jobs: %d, want 2", len(act))
	}
	if l, _ := c.Logs("1", 0); len(l) != 1 || l[0].Text != "before" {
		t.Errorf("clone's log: %+v", l)
	}
	must(c.AppendLog("1", persist.LogEntry{Kind: "event", Text: "restarted"}))
	if l, _ := c.Logs("1", 0); len(l) != 2 || l[1].Seq != 2 {
		t.Errorf("clone's log after an append: %+v", l)
	}
	if g, _ := c.Global(); g == nil || !g.Stripped {
		t.Errorf("clone's global record: %+v", g)
	}
	if q, _ := c.Queue(); !q.Paused {
		t.Errorf("clone's queue state: %+v", q)
	}
	if err := s.Clone().Check(); err != nil {
		t.Errorf("clone of a closed store: %v", err)
	}
}
