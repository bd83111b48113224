package daemon

import (
	"errors"
	"fmt"
	"testing"

	"zoneup/host"
)

// A cause's stored form reads back as the same cause; the breaker counts
// exactly the kinds SPEC 3 sends straight to rollback (no space, host,
// the first-ranked publisher unreachable, the zone gone); a cause rides
// through wrapping, and a pool out of space is one by its host kind.
func TestCause(t *testing.T) {
	for _, c := range []struct {
		cause     Cause
		stored    string
		unfixable bool
	}{
		{Cause{}, "", false},
		{Cause{Kind: CauseBrand}, "brand", false},
		{Cause{Kind: CauseBoot}, "boot", false},
		{Cause{Kind: CauseNoSpace}, "no-space", true},
		{Cause{Kind: CauseZoneGone}, "zone-gone", true},
		{Cause{Kind: CauseHost}, "host", true},
		{Cause{Kind: CauseTransport, Publisher: "solaris", Origin: "http://pkg.oracle.com/solaris/release/"}, "transport solaris http://pkg.oracle.com/solaris/release/", true},
	} {
		if got := c.cause.String(); got != c.stored {
			t.Errorf("%+v stored as %q, want %q", c.cause, got, c.stored)
		}
		if back := ParseCause(c.stored); back != c.cause {
			t.Errorf("%q reads back as %+v, want %+v", c.stored, back, c.cause)
		}
		if c.cause.Unfixable() != c.unfixable {
			t.Errorf("%q: unfixable %v, want %v", c.stored, !c.unfixable, c.unfixable)
		}
	}
	inner := errors.New("attach -u after attach-update: no-space: ERROR: no space")
	err := fmt.Errorf("rollback: %w", withCause(Cause{Kind: CauseNoSpace}, inner))
	if c := causeOf(err); c.Kind != CauseNoSpace || !errors.Is(err, inner) || err.Error() != "rollback: "+inner.Error() {
		t.Errorf("wrapped: cause %+v, is inner %v, text %q", c, errors.Is(err, inner), err)
	}
	zfs := fmt.Errorf("zfs snapshot: %w", host.ErrNoSpace)
	if c := causeOf(zfs); c.Kind != CauseNoSpace {
		t.Errorf("out of space: %+v", c)
	}
	if c := causeOf(errors.New("exit 1")); c.Kind != "" {
		t.Errorf("a plain error has cause %+v", c)
	}
}
