package domain_test

import (
	"errors"
	"strings"
	"testing"

	"zoneup/domain"
	"zoneup/domain/domaintest"
)

func TestValidZoneName(t *testing.T) {
	kinds := []error{domain.ErrGlobalZone, domain.ErrReservedZone, domain.ErrBadZoneName}
	for _, tc := range domaintest.ZoneNames {
		err := domain.ValidZoneName(tc.Name)
		if tc.Want == nil {
			if err != nil {
				t.Errorf("%q: %v", tc.Name, err)
			}
			continue
		}
		if !errors.Is(err, tc.Want) {
			t.Errorf("%q: got %v, want %v", tc.Name, err, tc.Want)
		}
		for _, other := range kinds {
			if other != tc.Want && errors.Is(err, other) {
				t.Errorf("%q: %v is also %v", tc.Name, err, other)
			}
		}
	}
}

func FuzzValidZoneName(f *testing.F) {
	for _, tc := range domaintest.ZoneNames {
		f.Add(tc.Name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if domain.ValidZoneName(name) == nil {
			if name == "global" || strings.HasPrefix(name, "SUNW") || len(name) > 63 || strings.ContainsAny(name, ": /\n\t") {
				t.Fatalf("%q accepted", name)
			}
		}
	})
}
