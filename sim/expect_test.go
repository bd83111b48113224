package sim

import (
	"strings"
	"testing"
)

func TestExpect(t *testing.T) {
	ladder := []string{RungGlobalPublishers, RungZonePublishers, RungStepRelease, RungImageUpdate, RungRemoveConflicts, RungRecreateImage}
	tr := func(names ...string) []Trouble {
		var out []Trouble
		for _, n := range names {
			out = append(out, Trouble{Name: n, CuredBy: CuredBy[n]})
		}
		return out
	}
	gz := []Publisher{{Name: "solaris"}, {Name: "extra"}}
	s := &State{GZ: GZState{Publishers: gz}, Zones: []ZoneState{
		{Name: "clean", State: "running"},
		{Name: "gz", State: "running", Troubles: tr(TroubleGZPublishers)},
		{Name: "odd", State: "installed", Troubles: tr(TroubleZonePublishers), Publishers: []Publisher{{Name: "contrib"}}},
		{Name: "old", State: "running", Troubles: tr(TroubleTooOld, TroubleStaleImage)},
		{Name: "conf", State: "running", Troubles: tr(TroubleConflicts)},
		{Name: "broken", State: "running", Troubles: tr(TroubleBrokenImage)},
		{Name: "hung", State: "running", Faults: []string{FaultHungAttach}},
		{Name: "full", State: "running", Faults: []string{FaultNoSpace}},
		{Name: "down", State: "running", Faults: []string{FaultRepoDown}},
		{Name: "noboot", State: "running", Troubles: tr(TroubleStaleImage), Faults: []string{FaultBootFails}},
		{Name: "inc", State: "incomplete"},
	}}
	cases := []struct {
		zone  string
		allow []string
		want  Expectation
	}{
		{"clean", nil, Expectation{Result: "upgraded", Rung: "attach-update"}},
		{"gz", nil, Expectation{Result: "upgraded", Rung: RungGlobalPublishers, Alt: "attach-update"}},
		{"odd", nil, Expectation{Result: "upgraded", Rung: RungZonePublishers}},
		{"old", nil, Expectation{Result: "upgraded", Rung: RungImageUpdate}},
		{"conf", nil, Expectation{Result: "rolled-back", Rung: ""}},
		{"conf", []string{RungRemoveConflicts}, Expectation{Result: "upgraded", Rung: RungRemoveConflicts}},
		{"conf", []string{RungRecreateImage}, Expectation{Result: "upgraded", Rung: RungRecreateImage}},
		{"broken", []string{RungRemoveConflicts}, Expectation{Result: "rolled-back", Rung: ""}},
		{"broken", []string{RungRecreateImage}, Expectation{Result: "upgraded", Rung: RungRecreateImage}},
		{"hung", nil, Expectation{Result: "upgraded", Rung: RungGlobalPublishers}},
		{"full", nil, Expectation{Result: "blocked", Rung: ""}},
		{"down", nil, Expectation{Result: "rolled-back", Rung: ""}},
		{"noboot", nil, Expectation{Result: "rolled-back", Rung: RungImageUpdate}},
		{"inc", nil, Expectation{Result: "blocked", Rung: ""}},
		{"nosuch", nil, Expectation{Result: "blocked", Rung: ""}},
	}
	for _, c := range cases {
		if got := s.Expect(c.zone, ladder, c.allow); got != c.want {
			t.Errorf("%s allow %v: got %+v, want %+v", c.zone, c.allow, got, c.want)
		}
	}
	// With one global publisher, rung 2 has nothing to do: the hung zone
	// is saved by the next rung that acts.
	one := &State{GZ: GZState{Publishers: gz[:1]}, Zones: s.Zones}
	if got := one.Expect("hung", ladder, nil); got != (Expectation{Result: "upgraded", Rung: RungImageUpdate}) {
		t.Errorf("hung, one publisher: %+v", got)
	}
}

func TestCheckReport(t *testing.T) {
	s := &State{Zones: []ZoneState{{Name: "a", State: "running"}, {Name: "b", State: "running", Troubles: []Trouble{{Name: TroubleBrokenImage, CuredBy: CuredBy[TroubleBrokenImage]}}}}}
	rep := `{"jobs":[{"zone":"a","result":"upgraded","rung":"attach-update"},{"zone":"b","result":"upgraded","rung":"recreate-image"}]}`
	var out strings.Builder
	bad, err := checkReport(s, strings.NewReader(rep), []string{RungImageUpdate, RungRecreateImage}, nil,
		map[string][]string{RungRecreateImage: {"b"}}, &out)
	if err != nil || bad != 0 {
		t.Fatalf("bad=%d err=%v\n%s", bad, err, out.String())
	}
	bad, _ = checkReport(s, strings.NewReader(rep), []string{RungImageUpdate, RungRecreateImage}, nil, nil, &out)
	if bad != 1 || !strings.Contains(out.String(), "DIFF b") {
		t.Fatalf("want one difference for b without the allowance, got %d\n%s", bad, out.String())
	}
}
