package domain

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Zone name kinds, for refusing a name before anything runs. The CLI and
// the daemon map them to their own errors (daemon/api's ErrGlobal,
// ErrReserved, ErrBadName), never to strings.
var (
	// ErrGlobalZone: the name is "global", which is never upgraded.
	ErrGlobalZone = errors.New("the global zone cannot be upgraded")
	// ErrReservedZone: the name starts with SUNW (zonecfg's templates;
	// zoneadm refuses to operate on them).
	ErrReservedZone = errors.New("zone names starting with SUNW are reserved")
	// ErrBadZoneName: the name cannot be a zone name at all.
	ErrBadZoneName = errors.New("invalid zone name")
)

// zoneNameRE is libzonecfg's rule (reference 1): a letter or digit, then
// up to 62 letters, digits, '-', '_' or '.' (ZONENAME_MAX is 64 with the NUL).
var zoneNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ValidZoneName returns nil for a name that can be a non-global zone's,
// else an error wrapping ErrGlobalZone ("global"), ErrReservedZone (a SUNW
// prefix, checked before the syntax, so "SUNW!x" is reserved) or
// ErrBadZoneName. It is case sensitive: "Global" and "sunwx" are names.
func ValidZoneName(name string) error {
	switch {
	case name == "global":
		return fmt.Errorf("%q: %w", name, ErrGlobalZone)
	case strings.HasPrefix(name, "SUNW"):
		return fmt.Errorf("%q: %w", name, ErrReservedZone)
	case !zoneNameRE.MatchString(name):
		return fmt.Errorf("%q: %w (a letter or digit, then up to 62 letters, digits, '-', '_' or '.')", name, ErrBadZoneName)
	}
	return nil
}
