package host

import (
	"errors"
	"strings"
	"testing"
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func TestValidZoneName(t *testing.T) {
	tests := []struct {
		name string
		want error // nil: valid
	}{
		{"web01", nil},
		{"0zone", nil},
		{"a", nil},
		{"a.b_c-d", nil},
		{strings.Repeat("z", 63), nil},
		{"global", ErrGlobalZone},
		{"SUNWdefault", ErrReservedZone},
		{"SUNW", ErrReservedZone},
		{"sunwlower", nil}, // case sensitive
		{"Global", nil},
		{strings.Repeat("z", 64), ErrBadZoneName},
		{"", ErrBadZoneName},
		{"-web", ErrBadZoneName},
		{".web", ErrBadZoneName},
		{"_web", ErrBadZoneName},
		{"web 01", ErrBadZoneName},
		{"web:01", ErrBadZoneName},
		{"web/01", ErrBadZoneName},
		{"wéb", ErrBadZoneName},
		{"web01\n", ErrBadZoneName},
	}
	for _, tc := range tests {
		err := ValidZoneName(tc.name)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%q: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.name, err, tc.want)
		}
		for _, other := range []error{ErrGlobalZone, ErrReservedZone, ErrBadZoneName} {
			if other != tc.want && errors.Is(err, other) {
				t.Errorf("%q: %v is also %v", tc.name, err, other)
			}
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0.5.11-0.134", "0.5.11-0.134", 0},
		{"0.5.11-0.111", "0.5.11-0.134", -1},
		{"0.5.11-0.134", "0.5.11-0.151.0.1", -1},
		{"0.5.11-0.151.0.1", "0.5.11-0.134", 1},
		{"0.5.11-0.99", "0.5.11-0.134", -1}, // numeric, not string order
		{"0.5.11,5.11-0.134:20100302T021758Z", "0.5.11-0.134", 0},
		{"0.5.11,5.11-0.133:20100216T065445Z", "0.5.11,5.11-0.134:20100302T021758Z", -1},
		{"entire@0.5.11-0.134", "0.5.11-0.134", 0},
		{"0.5.11-2020.0.1.19000", "0.5.11-2019.0.0.19205", 1},
		{"0.5.11-2020.0.1.19000:20201001T120000Z", "0.5.11-2020.0.1.19000", 0},
		{"0.5.11-0.134", "0.5.11-0.134.0", 0}, // missing components are 0
		{"0.5.11-0.134", "0.5.11-0.134.0.1", -1},
		{"0.5.11", "0.5.11-0", 0},
		{"0.5.12-0.1", "0.5.11-0.999", 1}, // release first
		{"1.0-0.1", "0.5.11-0.151", 1},
		{"0.5.11-0.134", "0.5.11-0.134b", -1}, // non-numeric: as strings
		{"0.5.11-00134", "0.5.11-134", 0},
		{"0.5.11-99999999999999999999999", "0.5.11-100000000000000000000000", -1}, // no overflow
		{"", "", 0},
		{"", "0.5.11", -1},
	}
	for _, tc := range tests {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d (antisymmetry)", tc.b, tc.a, got, -tc.want)
		}
	}
}
