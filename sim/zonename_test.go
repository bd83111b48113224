package sim

import (
	"errors"
	"testing"

	"zoneup/domain/domaintest"
)

// A scenario holds only names zoneupadm and zoneupd could be asked about:
// init refuses what the shared rule refuses (the table zoneupadm's and the
// daemon's tests run too), and makes a world for the rest.
func TestInitZoneNamesAsTheRule(t *testing.T) {
	for _, tc := range domaintest.ZoneNames {
		err := Init(t.TempDir(), InitOptions{Scenario: &Scenario{Zones: []ScenarioZone{{Name: tc.Name}}}})
		if tc.Want == nil && err != nil || tc.Want != nil && !errors.Is(err, ErrBadScenario) {
			t.Errorf("init with zone %q: %v (the rule says %v)", tc.Name, err, tc.Want)
		}
	}
}
