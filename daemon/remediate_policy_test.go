package daemon

import (
	"strings"
	"testing"

	"zoneup/persist"
)

// Which rungs may run on a zone: policy for the destructive ones, a
// package failure before them, and never recreate-image on a sparse or
// pkgsrc zone (reference 10.2, 10.4).
func TestNotForThisZone(t *testing.T) {
	both := []string{RungRemoveConflicts, RungRecreateImage}
	cases := []struct {
		name, brand, class, rung string
		allow                    []string
		why                      string // "" when the rung may run
		withheld                 bool
	}{
		{"non-destructive always", "ipkg", "other", RungImageUpdate, nil, "", false},
		{"not allowed", "ipkg", "no-solution", RungRemoveConflicts, nil, "not allowed by policy", true},
		{"allowed after no-solution", "ipkg", "no-solution", RungRemoveConflicts, both, "", false},
		{"allowed after other", "ipkg", "other", RungRemoveConflicts, both, "only after a package failure", false},
		{"allowed after transport", "ipkg", "transport", RungRecreateImage, both, "only after a package failure", false},
		{"no class recorded", "ipkg", "", RungRecreateImage, both, "failed with unknown", false},
		{"sparse, allowed", "sparse", "no-solution", RungRecreateImage, both, "never on a sparse zone", false},
		{"pkgsrc, not allowed", "pkgsrc", "no-solution", RungRecreateImage, nil, "never on a pkgsrc zone", false},
		{"sparse may remove conflicts", "sparse", "no-solution", RungRemoveConflicts, both, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &run{job: &persist.Job{Brand: c.brand, FailClass: c.class, Allow: c.allow}}
			why, withheld := r.notForThisZone(c.rung)
			if (c.why == "") != (why == "") || !strings.Contains(why, c.why) || withheld != c.withheld {
				t.Fatalf("%q withheld=%v, want %q withheld=%v", why, withheld, c.why, c.withheld)
			}
		})
	}
}
