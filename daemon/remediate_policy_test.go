package daemon

import (
	"strings"
	"testing"

	"zoneup/domain"
	"zoneup/persist"
)

// Which rungs may run on a zone: policy for the destructive ones, a
// package failure before them, and never recreate-image on a sparse or
// pkgsrc zone (reference 10.2, 10.4).
func TestNotForThisZone(t *testing.T) {
	both := []string{domain.RungRemoveConflicts, domain.RungRecreateImage}
	cases := []struct {
		name, brand, class, rung string
		allow                    []string
		why                      string // "" when the rung may run
		withheld                 bool
	}{
		{"non-destructive always", "ipkg", "other", domain.RungImageUpdate, nil, "", false},
		{"not allowed", "ipkg", "no-solution", domain.RungRemoveConflicts, nil, "not allowed by policy", true},
		{"allowed after no-solution", "ipkg", "no-solution", domain.RungRemoveConflicts, both, "", false},
		{"allowed after other", "ipkg", "other", domain.RungRemoveConflicts, both, "only after a package failure", false},
		{"allowed after transport", "ipkg", "transport", domain.RungRecreateImage, both, "only after a package failure", false},
		{"no class recorded", "ipkg", "", domain.RungRecreateImage, both, "failed with unknown", false},
		{"sparse, allowed", "sparse", "no-solution", domain.RungRecreateImage, both, "never on a sparse zone", false},
		{"pkgsrc, not allowed", "pkgsrc", "no-solution", domain.RungRecreateImage, nil, "never on a pkgsrc zone", false},
		{"sparse may remove conflicts", "sparse", "no-solution", domain.RungRemoveConflicts, both, "", false},
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
