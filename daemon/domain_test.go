package daemon

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/domain/domaintest"
)

// codeOf is the enqueue refusal code for each kind of the zone-name rule;
// a valid name the host does not have is unknown-zone.
var codeOf = map[error]string{nil: "unknown-zone", domain.ErrGlobalZone: "global",
	domain.ErrReservedZone: "reserved", domain.ErrBadZoneName: "bad-name"}

// The daemon's own checks run the shared tables (domaintest), as
// zoneupadm's tests do: a name is refused with the kind the rule gives,
// an allow list (the allow setting, zoneupd --allow) reads as
// domain.ParseAllow, in ladder order.
func TestNamesAndAllowAsTheRule(t *testing.T) {
	kinds := map[error]error{nil: nil, domain.ErrGlobalZone: api.ErrGlobal,
		domain.ErrReservedZone: api.ErrReserved, domain.ErrBadZoneName: api.ErrBadName}
	for _, tc := range domaintest.ZoneNames {
		err := checkName(tc.Name)
		if want := kinds[tc.Want]; want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("checkName(%q) = %v, want %v", tc.Name, err, want)
		}
	}
	for _, tc := range domaintest.AllowLists {
		cfg, err := ParseConfig(map[string]string{"allow": tc.In})
		if tc.Err != "" {
			var ke *KeyError
			if !errors.As(err, &ke) || ke.Key != "allow" || ke.Why != tc.Err {
				t.Errorf("allow = %q: %v, want %q", tc.In, err, tc.Err)
			}
			continue
		}
		want := slices.Clone(tc.Want)
		domain.SortRungs(want)
		if err != nil || !slices.Equal(cfg.Allow, want) {
			t.Errorf("allow = %q: %q, %v; want %q", tc.In, cfg.Allow, err, want)
		}
	}
	// Every rung of the ladder has its action.
	for _, r := range domain.DefaultLadder {
		if rungs[r] == nil {
			t.Errorf("rung %s has no action", r)
		}
	}
}

// The CLI and the daemon agree on every name and allow list of the
// tables: each goes through the real zoneupadm (which refuses what it can
// before asking) and, past it, straight to the running zoneupd.
func TestCLIAndDaemonAgree(t *testing.T) {
	newScenario(t, fast, `{"profile": "oi", "seed": 1, "zones": [{"name": "z1"}]}`)
	d := startDaemon(t, t.TempDir())
	defer d.shutdown()
	c := d.client()
	ctx := context.Background()

	// zoneupadm's words for each refusal code.
	words := map[string]string{"unknown-zone": ": no such zone on this host\n", "global": ": the global zone cannot be upgraded by zoneup\n",
		"reserved": ": zone names starting with SUNW are reserved for the system\n", "bad-name": "': not a valid zone name\n"}
	for _, tc := range domaintest.ZoneNames {
		res, err := c.Enqueue(ctx, api.EnqueueRequest{Zones: []string{tc.Name}})
		if err != nil || len(res) != 1 {
			t.Fatalf("enqueue %q: %v %v", tc.Name, res, err)
		}
		if res[0].Code != codeOf[tc.Want] {
			t.Errorf("zoneupd: enqueue %q: %q, want %q", tc.Name, res[0].Code, codeOf[tc.Want])
		}
		out, code := d.admCode("enqueue", "--", tc.Name)
		if code != 1 || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, words[res[0].Code]) {
			t.Errorf("zoneupadm enqueue %q: exit %d %q; zoneupd says %s", tc.Name, code, out, res[0].Code)
		}
	}

	for _, tc := range domaintest.AllowLists {
		// zoneupd reads the list as it came (the CLI sends the rungs it read).
		_, err := c.Enqueue(ctx, api.EnqueueRequest{Zones: []string{"nosuch"}, Allow: []string{tc.In}})
		out, code := d.admCode("enqueue", "--allow", tc.In, "nosuch")
		switch {
		case tc.Err != "":
			if !errors.Is(err, api.ErrInvalid) || !strings.HasSuffix(err.Error(), ": --allow: "+tc.Err) {
				t.Errorf("zoneupd: --allow %q: %v, want %q", tc.In, err, tc.Err)
			}
			if want := "zoneupadm: enqueue: --allow: " + tc.Err + " (zoneupadm help enqueue)\n"; code != 2 || out != want {
				t.Errorf("zoneupadm: --allow %q: exit %d %q, want %q", tc.In, code, out, want)
			}
		case err != nil:
			t.Errorf("zoneupd: --allow %q: %v", tc.In, err)
		case tc.Want != nil || tc.In == "":
			// Both take it: the one refusal left is the zone's.
			if code != 1 || out != "zoneupadm: nosuch: no such zone on this host\n" {
				t.Errorf("zoneupadm: --allow %q: exit %d %q", tc.In, code, out)
			}
		default:
			// The one difference, on purpose: an --allow naming no rung is a
			// typing mistake to zoneupadm; to zoneupd an empty allow is none.
			if code != 2 || !strings.Contains(out, "--allow: no rung given") {
				t.Errorf("zoneupadm: --allow %q: exit %d %q", tc.In, code, out)
			}
		}
	}
	if out := d.mustAdm("list", "-H"); out != "" {
		t.Errorf("something was queued: %q", out)
	}
}
