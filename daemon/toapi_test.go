package daemon

import (
	"testing"
	"time"

	"zoneup/persist"
	"zoneup/persist/storetest"
)

// ToAPI cuts every step's times out of one string: each must still be
// its own step's, in RFC 3339 UTC, and "" for a step still running.
func TestToAPIStepTimes(t *testing.T) {
	j := storetest.Sample("20250301T000000Z-0001", "web1")
	j.History = append(j.History, persist.Step{Stage: "boot", Started: time.Date(2025, 3, 1, 4, 5, 6, 7, time.FixedZone("", 3600))})
	a := ToAPI(j)
	if len(a.History) != len(j.History) {
		t.Fatalf("%d steps, want %d", len(a.History), len(j.History))
	}
	for i, s := range j.History {
		want := s.Started.UTC().Format(time.RFC3339)
		wantEnd := ""
		if !s.Ended.IsZero() {
			wantEnd = s.Ended.UTC().Format(time.RFC3339)
		}
		if got := a.History[i]; got.Started != want || got.Ended != wantEnd || got.Stage != s.Stage {
			t.Errorf("step %d: %s %q %q, want %s %q %q", i, got.Stage, got.Started, got.Ended, s.Stage, want, wantEnd)
		}
	}
	if last := a.History[len(a.History)-1]; last.Started != "2025-03-01T03:05:06Z" || last.Ended != "" {
		t.Errorf("running step: %q %q", last.Started, last.Ended)
	}
}
