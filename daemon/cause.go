package daemon

import (
	"errors"
	"strings"

	"zoneup/host"
)

// Cause is why a job ended as it did when the reason is one a person must
// know by name: the zone's brand, no space, the zone gone, a host check no
// rung can fix, the global zone's first publisher unreachable, a failed
// boot. Its String is the job's stored and wire `cause` (status --json,
// the report, the breaker's cause); the zero Cause is none.
type Cause struct {
	Kind CauseKind
	// Publisher and Origin name the unreachable repository of a transport
	// cause: the breaker sees one dead repository as one cause.
	Publisher, Origin string
}

// CauseKind is the class of a Cause.
type CauseKind string

// The kinds of cause.
const (
	CauseBrand     CauseKind = "brand"     // blocked: a brand zoneup does not upgrade
	CauseNoSpace   CauseKind = "no-space"  // the pool cannot hold what the job needs
	CauseZoneGone  CauseKind = "zone-gone" // the zone is not configured (any more)
	CauseHost      CauseKind = "host"      // zoneadm's or the brand's own check
	CauseTransport CauseKind = "transport" // the first-ranked global publisher unreachable
	CauseBoot      CauseKind = "boot"      // the upgraded zone did not boot
)

// String is the stored form: the kind, and for transport "transport PUB
// ORIGIN".
func (c Cause) String() string {
	if c.Kind == CauseTransport {
		return strings.TrimSpace(string(c.Kind) + " " + c.Publisher + " " + c.Origin)
	}
	return string(c.Kind)
}

// ParseCause reads a stored cause back.
func ParseCause(s string) Cause {
	f := strings.Fields(s)
	if len(f) == 0 {
		return Cause{}
	}
	c := Cause{Kind: CauseKind(f[0])}
	if c.Kind == CauseTransport {
		if len(f) > 1 {
			c.Publisher = f[1]
		}
		if len(f) > 2 {
			c.Origin = f[2]
		}
	}
	return c
}

// Unfixable reports whether no rung, and no retry of the same night, can
// fix what the cause names: the circuit breaker counts these.
func (c Cause) Unfixable() bool {
	switch c.Kind {
	case CauseNoSpace, CauseZoneGone, CauseHost, CauseTransport:
		return true
	}
	return false
}

// causeError is an error with the cause that explains it.
type causeError struct {
	cause Cause
	err   error
}

func (e *causeError) Error() string { return e.err.Error() }
func (e *causeError) Unwrap() error { return e.err }

// withCause makes err carry c.
func withCause(c Cause, err error) error { return &causeError{cause: c, err: err} }

// causeOf is the cause err carries, or the one its host error kind names
// (a zfs or pkg "out of space"); the zero Cause when none.
func causeOf(err error) Cause {
	var ce *causeError
	if errors.As(err, &ce) {
		return ce.cause
	}
	if errors.Is(err, host.ErrNoSpace) {
		return Cause{Kind: CauseNoSpace}
	}
	return Cause{}
}
