package main

import (
	"slices"
	"strings"
	"testing"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/domain/domaintest"
)

// kindOf is the API error the CLI refuses a name with, for each kind of
// the rule (the daemon's domain_test.go maps them the same way).
var kindOf = map[error]error{nil: nil, domain.ErrGlobalZone: api.ErrGlobal,
	domain.ErrReservedZone: api.ErrReserved, domain.ErrBadZoneName: api.ErrBadName}

// The shared table of zone names through the CLI's own check and the
// enqueue verb: what the rule refuses is refused here, in one line, and
// never sent to the daemon; the rest is sent.
func TestZoneNamesAsTheRule(t *testing.T) {
	c := newCLI(t)
	for _, tc := range domaintest.ZoneNames {
		err := checkZone(tc.Name)
		if err != kindOf[tc.Want] {
			t.Errorf("checkZone(%q) = %v, want %v", tc.Name, err, kindOf[tc.Want])
		}
		before := len(c.f.Calls())
		code, _, errs := c.run("enqueue", "--", tc.Name)
		sent := len(c.f.Calls()) > before
		if tc.Want != nil {
			if code != 1 || sent || strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "\n") {
				t.Errorf("enqueue %q: exit %d, sent %v, stderr %q; want one line, nothing sent", tc.Name, code, sent, errs)
			}
			if msg := zoneMessage(tc.Name, err); errs != "zoneupadm: "+msg+"\n" {
				t.Errorf("enqueue %q: %q, want %q", tc.Name, errs, msg)
			}
		} else if !sent {
			t.Errorf("enqueue %q: a valid name was not sent (exit %d, %q)", tc.Name, code, errs)
		}
	}
	for name, want := range map[string]string{
		"x y":     "'x y': not a valid zone name",
		"web01\n": `'web01\n': not a valid zone name`,
		"SUNW\nx": `SUNW\nx: zone names starting with SUNW are reserved for the system`,
		"":        "'': not a valid zone name",
	} {
		if got := zoneMessage(name, checkZone(name)); got != want {
			t.Errorf("%q: %q, want %q", name, got, want)
		}
	}
}

// The shared table of allow lists through --allow: domain.ParseAllow's
// rungs in the order given, or its message after "--allow: " as a usage
// error; a list that names no rung is the CLI's own refusal (an empty
// value counts as no --allow, as it always has).
func TestAllowAsTheRule(t *testing.T) {
	c := newCLI(t)
	for _, tc := range domaintest.AllowLists {
		got, err := parseAllow(tc.In)
		want := "--allow: " + tc.Err
		if tc.Err == "" && tc.Want == nil {
			want = "--allow: no rung given (remove-conflicts, recreate-image)"
		}
		switch {
		case tc.Want != nil:
			if err != nil || !slices.Equal(got, tc.Want) {
				t.Errorf("parseAllow(%q) = %q, %v; want %q", tc.In, got, err, tc.Want)
			}
		case err == nil || err.Error() != want:
			t.Errorf("parseAllow(%q) = %q, %v; want %q", tc.In, got, err, want)
		}

		before := len(c.f.Calls())
		code, _, errs := c.run("enqueue", "--allow", tc.In, "nosuch")
		calls := c.f.Calls()[before:]
		switch {
		case tc.Want != nil:
			if code != 1 || len(calls) != 1 || calls[0] != "Enqueue nosuch allow="+strings.Join(tc.Want, ",")+" noboot=false" {
				t.Errorf("enqueue --allow %q: exit %d %q, calls %q", tc.In, code, errs, calls)
			}
		case tc.In == "":
			if code != 1 || len(calls) != 1 || calls[0] != "Enqueue nosuch allow= noboot=false" {
				t.Errorf("enqueue --allow '': exit %d %q, calls %q", code, errs, calls)
			}
		case code != 2 || len(calls) != 0 || errs != "zoneupadm: enqueue: "+want+" (zoneupadm help enqueue)\n":
			t.Errorf("enqueue --allow %q: exit %d, %q, calls %q", tc.In, code, errs, calls)
		}
	}
}
