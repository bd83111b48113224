package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoneup/domain"
)

func TestExpect(t *testing.T) {
	ladder := domain.DefaultLadder
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
		{"gz", nil, Expectation{Result: "upgraded", Rung: domain.RungGlobalPublishers, Alt: "attach-update"}},
		{"odd", nil, Expectation{Result: "upgraded", Rung: domain.RungZonePublishers}},
		{"old", nil, Expectation{Result: "upgraded", Rung: domain.RungImageUpdate}},
		{"conf", nil, Expectation{Result: "rolled-back", Rung: ""}},
		{"conf", []string{domain.RungRemoveConflicts}, Expectation{Result: "upgraded", Rung: domain.RungRemoveConflicts}},
		{"conf", []string{domain.RungRecreateImage}, Expectation{Result: "upgraded", Rung: domain.RungRecreateImage}},
		{"broken", []string{domain.RungRemoveConflicts}, Expectation{Result: "rolled-back", Rung: ""}},
		{"broken", []string{domain.RungRecreateImage}, Expectation{Result: "upgraded", Rung: domain.RungRecreateImage}},
		{"hung", nil, Expectation{Result: "upgraded", Rung: domain.RungGlobalPublishers}},
		{"full", nil, Expectation{Result: "blocked", Rung: ""}},
		{"down", nil, Expectation{Result: "rolled-back", Rung: ""}},
		{"noboot", nil, Expectation{Result: "rolled-back", Rung: domain.RungImageUpdate}},
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
	if got := one.Expect("hung", ladder, nil); got != (Expectation{Result: "upgraded", Rung: domain.RungImageUpdate}) {
		t.Errorf("hung, one publisher: %+v", got)
	}
}

func TestCheckReport(t *testing.T) {
	s := &State{Zones: []ZoneState{{Name: "a", State: "running"}, {Name: "b", State: "running", Troubles: []Trouble{{Name: TroubleBrokenImage, CuredBy: CuredBy[TroubleBrokenImage]}}}}}
	rep := `{"jobs":[{"zone":"a","result":"upgraded","rung":"attach-update"},{"zone":"b","result":"upgraded","rung":"recreate-image"}]}`
	var out strings.Builder
	bad, err := checkReport(s, strings.NewReader(rep), []string{domain.RungImageUpdate, domain.RungRecreateImage}, nil,
		map[string][]string{domain.RungRecreateImage: {"b"}}, &out)
	if err != nil || bad != 0 {
		t.Fatalf("bad=%d err=%v\n%s", bad, err, out.String())
	}
	bad, _ = checkReport(s, strings.NewReader(rep), []string{domain.RungImageUpdate, domain.RungRecreateImage}, nil, nil, &out)
	if bad != 1 || !strings.Contains(out.String(), "DIFF b") {
		t.Fatalf("want one difference for b without the allowance, got %d\n%s", bad, out.String())
	}
}

// zonesim expect reads its rung flags as zoneupd reads ladder and allow:
// numbers 6 and 7 are rungs, a misspelt or non-destructive one an error.
func TestExpectCommandFlags(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "show.json")
	report := filepath.Join(dir, "report.json")
	s := State{Zones: []ZoneState{{Name: "a", State: "running"}, {Name: "b", State: "running", Troubles: []Trouble{{Name: TroubleBrokenImage, CuredBy: CuredBy[TroubleBrokenImage]}}}}}
	b, _ := json.Marshal(s)
	rep := `{"jobs":[{"zone":"a","result":"upgraded","rung":"attach-update"},{"zone":"b","result":"upgraded","rung":"recreate-image"}]}`
	if os.WriteFile(state, b, 0o644) != nil || os.WriteFile(report, []byte(rep), 0o644) != nil {
		t.Fatal("cannot write the files")
	}
	for _, c := range []struct {
		ladder, allow string
		allowZones    []string
		bad           int
		err           string
	}{
		{allow: "recreate-image"},
		{allow: "7"},
		{allowZones: []string{"7=b"}},
		{allowZones: []string{"recreate-image=a,b"}},
		{ladder: "image-update, recreate-image", allow: "6,7"},
		{bad: 1},
		{ladder: "image-update", allow: "7", bad: 1},
		{allow: "image-update", err: "--allow: image-update is not a destructive rung"},
		{allow: "all", err: `--allow: unknown rung "all"`},
		{ladder: "attach-update", err: `--ladder: unknown rung "attach-update"`},
		{ladder: "image-update,image-update", err: `--ladder: rung "image-update" listed twice`},
		{allowZones: []string{"5=b"}, err: `--allow-zones "5=b": 5 is not a destructive rung`},
		{allowZones: []string{"6,7=b"}, err: `--allow-zones "6,7=b": want RUNG=ZONE,ZONE`},
		{allowZones: []string{"b"}, err: `--allow-zones "b": want RUNG=ZONE,ZONE`},
	} {
		var out strings.Builder
		bad, err := expectCommand(state, report, c.ladder, c.allow, c.allowZones, &out)
		switch {
		case c.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%+v: %v, want %q", c, err, c.err)
			}
		case err != nil || bad != c.bad:
			t.Errorf("%+v: %d differ, %v\n%s", c, bad, err, out.String())
		}
	}
}
