package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"zoneup/domain"
)

// Expectation is the outcome a zone's troubles and faults allow under a
// policy: the result name of SPEC 5 and the rung that saves it ("" when none).
type Expectation struct {
	Result string `json:"result"`
	Rung   string `json:"rung"`
	// Alt is a rung that is right too: a zone whose only trouble is the
	// global zone's publishers is saved by the plain attach -u when another
	// job holds the global zone stripped at that moment.
	Alt string `json:"alt,omitempty"`
}

// Matches reports whether a job's result and rung are what e allows.
func (e Expectation) Matches(result, rung string) bool {
	return result == e.Result && (rung == e.Rung || (e.Alt != "" && rung == e.Alt))
}

// Expect computes what should become of zone when its upgrade climbs ladder
// (rungs 2-7 in order; attach-update always comes first) with the
// destructive rungs in allow. s must be the world as it was before the
// night (troubles cured by a successful upgrade stay listed, but the zone's
// publishers change). A rung only counts when it has something to do on
// this zone, as the daemon's rungs look before they act; the first rung
// after which no trouble is left is the zone's rung.
func (s *State) Expect(zone string, ladder, allow []string) Expectation {
	z := s.Zone(zone)
	if z == nil || z.Brand != "" && !ipsBrand(z.Brand) {
		// No zone, or a brand the ladder does not apply to (bhyve, lx):
		// refused by name (reference 10.1).
		return Expectation{Result: "blocked"}
	}
	// A rollback that meets a clone of a newer snapshot cannot be done
	// without -R, which the daemon never uses.
	rolledBack := Expectation{Result: "rolled-back"}
	if slices.Contains(z.Faults, FaultBEClone) {
		rolledBack.Result = "failed"
	}
	for _, f := range z.Faults {
		switch f {
		case FaultNotDataset, FaultNoSpace, FaultNoSpaceSnapshot:
			return Expectation{Result: "blocked"}
		}
	}
	switch z.State {
	case "running", "installed", "configured":
	default:
		return Expectation{Result: "blocked"}
	}
	for _, f := range z.Faults {
		switch f {
		case FaultRepoDown, FaultNoSpaceAttach, FaultSanityFails:
			// sanity-fails: not a package failure, so no rung runs.
			return rolledBack
		}
	}
	sparse := sparseBrand(z.Brand)
	hung := slices.Contains(z.Faults, FaultHungAttach)
	cured := map[string]bool{}
	for i, rung := range append([]string{domain.RungAttachUpdate}, ladder...) {
		if domain.IsDestructive(rung) && !slices.Contains(allow, rung) {
			continue
		}
		if i > 0 && !s.rungApplies(z, rung) {
			continue // skipped: no attach -u follows it
		}
		if sparse && rung == domain.RungRecreateImage {
			continue // never for a sparse image: it would lose its partial-image properties (10.2)
		}
		for _, t := range z.Troubles {
			if slices.Contains(t.CuredBy, rung) {
				cured[t.Name] = true
			}
		}
		left := hung && i == 0
		for _, t := range z.Troubles {
			left = left || !cured[t.Name]
		}
		if !left {
			e := Expectation{Result: "upgraded", Rung: rung}
			if slices.Contains(z.Faults, FaultBootFails) {
				e.Result = rolledBack.Result
			}
			if rung == domain.RungGlobalPublishers && !hung && len(z.Troubles) == 1 {
				e.Alt = domain.RungAttachUpdate
			}
			return e
		}
	}
	return rolledBack
}

// rungApplies tells whether a rung finds something to do on the zone.
func (s *State) rungApplies(z *ZoneState, rung string) bool {
	has := func(trouble string) bool {
		return slices.ContainsFunc(z.Troubles, func(t Trouble) bool { return t.Name == trouble })
	}
	switch rung {
	case domain.RungGlobalPublishers:
		return len(s.GZ.Publishers) > 1
	case domain.RungZonePublishers:
		gz := map[string]bool{}
		for _, p := range s.GZ.Publishers {
			gz[p.Name] = true
		}
		return slices.ContainsFunc(z.Publishers, func(p Publisher) bool { return !gz[p.Name] })
	case domain.RungStepRelease:
		return has(TroubleTooOld)
	case domain.RungRemoveConflicts:
		return has(TroubleConflicts)
	}
	return true // image-update and recreate-image always act
}

// reportJobs is the part of `zoneupadm report --json` that expect reads.
type reportJobs struct {
	Jobs []struct {
		Zone   string `json:"zone"`
		Result string `json:"result"`
		Rung   string `json:"rung"`
	} `json:"jobs"`
}

// checkReport compares a morning report with the expectations and writes a
// line per zone; it returns the number of zones that differ.
func checkReport(s *State, report io.Reader, ladder, allow []string, allowZones map[string][]string, out io.Writer) (int, error) {
	var rep reportJobs
	if err := json.NewDecoder(report).Decode(&rep); err != nil {
		return 0, fmt.Errorf("report: %w", err)
	}
	got := map[string]Expectation{}
	for _, j := range rep.Jobs {
		got[j.Zone] = Expectation{Result: j.Result, Rung: j.Rung}
	}
	names := make([]string, 0, len(s.Zones))
	for _, z := range s.Zones {
		names = append(names, z.Name)
	}
	sort.Strings(names)
	bad := 0
	for _, name := range names {
		a := slices.Clone(allow)
		for rung, zones := range allowZones {
			if slices.Contains(zones, name) {
				a = append(a, rung)
			}
		}
		want := s.Expect(name, ladder, a)
		g, ok := got[name]
		mark := "ok  "
		if !ok || !want.Matches(g.Result, g.Rung) {
			mark = "DIFF"
			bad++
		}
		rung := want.Rung
		if want.Alt != "" {
			rung += " or " + want.Alt
		}
		fmt.Fprintf(out, "%s %-12s expected %-12s %-35s got %-12s %s\n", mark, name, want.Result, rung, g.Result, g.Rung)
	}
	fmt.Fprintf(out, "%d zones, %d as expected, %d differ\n", len(names), len(names)-bad, bad)
	return bad, nil
}

// expectCommand is `zonesim expect --state FILE --report FILE [--ladder L]
// [--allow RUNGS] [--allow-zones RUNG=Z1,Z2]...`.
func expectCommand(stateFile, reportFile, ladder, allow string, allowZones []string, out io.Writer) (int, error) {
	// The flags are read as zoneupd reads its ladder and allow settings
	// (an empty --ladder: the default one), so a rung misspelt here is an
	// error, not a silent difference from the night being checked.
	l, err := domain.ParseLadder(ladder)
	if err != nil {
		return 0, fmt.Errorf("--ladder: %w", err)
	}
	if len(l) == 0 {
		l = domain.DefaultLadder
	}
	a, err := domain.ParseAllow(allow)
	if err != nil {
		return 0, fmt.Errorf("--allow: %w", err)
	}
	az := map[string][]string{}
	for _, spec := range allowZones {
		name, zones, ok := strings.Cut(spec, "=")
		rung, err := domain.ParseAllow(name)
		switch {
		case !ok || err == nil && len(rung) != 1:
			return 0, fmt.Errorf("--allow-zones %q: want RUNG=ZONE,ZONE", spec)
		case err != nil:
			return 0, fmt.Errorf("--allow-zones %q: %w", spec, err)
		}
		az[rung[0]] = append(az[rung[0]], splitComma(zones)...)
	}
	f, err := os.Open(stateFile)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var s State
	if err := json.NewDecoder(f).Decode(&s); err != nil {
		return 0, fmt.Errorf("%s: %w", stateFile, err)
	}
	r, err := os.Open(reportFile)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return checkReport(&s, r, l, a, az, out)
}

func splitComma(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}
