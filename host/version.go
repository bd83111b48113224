package host

import "strings"

// pkg(5) versions (reference 6.3): release[,build]-branch[:timestamp], e.g.
// 0.5.11-0.134, 0.5.11,5.11-0.134:20100302T021758Z, 0.5.11-2020.0.1.19000.
// The release of every OpenSolaris/illumos package of one consolidation is
// 0.5.11: what moves is the branch, so it must be compared numerically
// (0.151.0.1 > 0.134 > 0.111, and 2020.0.1.19000 > 2019.0.0.19205).

// CompareVersions compares two pkg versions: -1 if a < b, 0 if equal, +1
// if a > b. A leading "NAME@" and the ":timestamp" are dropped, the release
// and branch are split at the first '-', a ",build" part of the release is
// dropped, then the release and then the branch are compared dot-component
// by dot-component: numerically when both components are numbers (of any
// length), as strings otherwise; a missing component counts as 0. So
// "0.5.11" equals "0.5.11-0" and "0.134" is below "0.134.1".
func CompareVersions(a, b string) int {
	ra, ba := splitVersion(a)
	rb, bb := splitVersion(b)
	if c := compareDotted(ra, rb); c != 0 {
		return c
	}
	return compareDotted(ba, bb)
}

// splitVersion gives the release (without its build) and the branch.
func splitVersion(v string) (release, branch string) {
	if _, after, ok := strings.Cut(v, "@"); ok {
		v = after
	}
	v, _, _ = strings.Cut(v, ":")
	release, branch, _ = strings.Cut(v, "-")
	release, _, _ = strings.Cut(release, ",")
	return strings.TrimSpace(release), strings.TrimSpace(branch)
}

func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		x, y := "0", "0"
		if i < len(as) && as[i] != "" {
			x = as[i]
		}
		if i < len(bs) && bs[i] != "" {
			y = bs[i]
		}
		if c := compareComponent(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// compareComponent compares decimal numbers by value without parsing
// them (no overflow), anything else as strings.
func compareComponent(x, y string) int {
	if isDigits(x) && isDigits(y) {
		x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(x, y)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
