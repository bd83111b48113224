package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Rung names, as SPEC 3 spells them (scripts and the job JSON rely on them).
const (
	RungAttachUpdate     = "attach-update"     // 1: the plain attach -u
	RungGlobalPublishers = "global-publishers" // 2
	RungZonePublishers   = "zone-publishers"   // 3
	RungStepRelease      = "step-release"      // 4
	RungImageUpdate      = "image-update"      // 5
	RungRemoveConflicts  = "remove-conflicts"  // 6, destructive
	RungRecreateImage    = "recreate-image"    // 7, destructive
)

// Rungs is the whole ladder in order: Rungs[i] is rung i+1.
var Rungs = []string{RungAttachUpdate, RungGlobalPublishers, RungZonePublishers,
	RungStepRelease, RungImageUpdate, RungRemoveConflicts, RungRecreateImage}

// DefaultLadder is rungs 2-7 in their default order, the `ladder` default
// (attach-update always comes first and is not configured).
var DefaultLadder = []string{RungGlobalPublishers, RungZonePublishers, RungStepRelease,
	RungImageUpdate, RungRemoveConflicts, RungRecreateImage}

// Destructive are the rungs that run only where policy allows them (6 and
// 7); every other rung always runs.
var Destructive = []string{RungRemoveConflicts, RungRecreateImage}

// IsDestructive tells a rung that policy must allow.
func IsDestructive(rung string) bool { return slices.Contains(Destructive, rung) }

// Number is a rung's place on the ladder, 1 to 7; 0 for a name that is
// not a rung.
func Number(rung string) int { return slices.Index(Rungs, rung) + 1 }

// SortRungs puts rung names in ladder order (names that are not rungs
// first, in the order they were).
func SortRungs(rungs []string) {
	slices.SortStableFunc(rungs, func(a, b string) int { return Number(a) - Number(b) })
}

// ParseAllow reads an allow list: destructive rungs, by name or by number
// (6, 7), separated by commas, blanks around each ignored. Each rung is
// given once, in the order first named; an empty list (or one of commas
// and blanks only) allows nothing and is no error. A rung that always runs
// (1-5, by name or number) and a word that is no rung get their own
// one-line messages, which the CLI prints after "--allow: ".
func ParseAllow(s string) ([]string, error) {
	var out []string
	for _, r := range SplitList(s) {
		rung := r
		if n := rungByNumber(r); n != "" {
			rung = n
		}
		switch {
		case IsDestructive(rung):
			if !slices.Contains(out, rung) {
				out = append(out, rung)
			}
		case Number(rung) > 0:
			return nil, fmt.Errorf("%s is not a destructive rung; it always runs (allow %s)", r, strings.Join(Destructive, " or "))
		default:
			return nil, fmt.Errorf("unknown rung %q (destructive rungs: %s)", r, destructiveWithNumbers())
		}
	}
	return out, nil
}

// rungByNumber is the rung named by its ladder number ("6"), "" for
// anything else ("06" and "+6" are not numbers here: SPEC writes 6 and 7).
func rungByNumber(s string) string {
	for i, r := range Rungs {
		if s == fmt.Sprint(i+1) {
			return r
		}
	}
	return ""
}

// destructiveWithNumbers is "remove-conflicts or 6, recreate-image or 7".
func destructiveWithNumbers() string {
	var parts []string
	for _, r := range Destructive {
		parts = append(parts, fmt.Sprintf("%s or %d", r, Number(r)))
	}
	return strings.Join(parts, ", ")
}

// ParseLadder reads the `ladder` setting: rungs 2-7 by name, separated by
// commas, each at most once, in the order they are to be tried. An empty
// list is no error: only attach-update is tried.
func ParseLadder(s string) ([]string, error) {
	var out []string
	for _, r := range SplitList(s) {
		if !slices.Contains(DefaultLadder, r) {
			return nil, fmt.Errorf("unknown rung %q (rungs: %s)", r, strings.Join(DefaultLadder, ","))
		}
		if slices.Contains(out, r) {
			return nil, fmt.Errorf("rung %q listed twice", r)
		}
		out = append(out, r)
	}
	return out, nil
}

// SplitList splits a configuration list (allow, ladder, and the
// daemon's other comma lists) at commas, dropping blanks and empty
// entries.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
