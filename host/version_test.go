package host

import (
	"errors"
	"testing"
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

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
