package host

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// beadm (reference 5) and finding a zone's active BE (reference 3.2, 3.4).

// beadmFields: name;uuid;active;mountpoint;space;policy;created.
const beadmFields = 7

// ParseBeadm parses `beadm list -H`: one BE per non-blank line, seven
// `;`-separated fields (BE names may hold `:` but not `;`). Fields past the
// seventh are ignored. A space or created field that is not a decimal
// number gives 0 or the zero time rather than an error: only the uuid and
// active fields decide anything. A line with fewer than seven fields is an
// error (nil BEs).
func ParseBeadm(out string) ([]BE, error) {
	var bes []BE
	for n, line := range records(out) {
		f := strings.Split(line, ";")
		if len(f) < beadmFields {
			return nil, fmt.Errorf("beadm list -H: line %d: %d fields, want %d: %q", n, len(f), beadmFields, line)
		}
		be := BE{Name: f[0], UUID: dash(f[1]), Active: dash(f[2]), Mountpoint: dash(f[3]), Policy: dash(f[5])}
		be.Space, _ = strconv.ParseUint(f[4], 10, 64)
		if secs, err := strconv.ParseInt(f[6], 10, 64); err == nil && secs > 0 {
			be.Created = time.Unix(secs, 0).UTC()
		}
		bes = append(bes, be)
	}
	return bes, nil
}

// ListBEs lists the global zone's boot environments (`beadm list -H`).
func (t Tools) ListBEs(ctx context.Context) ([]BE, error) {
	res, err := t.run(ctx, false, nil, "beadm", "list", "-H")
	if err != nil {
		return nil, err
	}
	return ParseBeadm(string(res.Stdout))
}

// ActiveBEUUID is the uuid of the running global zone BE: the first BE
// whose active field contains N, as the brand scripts pick it (awk
// '$3 ~ "N"'). false when there is none, or it has no uuid.
func ActiveBEUUID(bes []BE) (string, bool) {
	for _, be := range bes {
		if strings.Contains(be.Active, "N") {
			return be.UUID, be.UUID != ""
		}
	}
	return "", false
}

// PickActiveZBE is the active zone BE of the zonepath dataset ds for the
// global zone BE uuid, as the brand scripts choose it: a direct child of
// ds/ROOT whose parentbe is uuid and whose active is on. None is an error
// wrapping ErrNotFound ("no active dataset"); more than one is an error
// ("multiple active datasets") that is not ErrNotFound: something is
// wrong with the zone and a person must look.
func PickActiveZBE(rows []BEDataset, ds, uuid string) (string, error) {
	prefix := ds + "/ROOT/"
	var found []string
	for _, r := range rows {
		child, ok := strings.CutPrefix(r.Name, prefix)
		if !ok || child == "" || strings.ContainsAny(child, "/@") {
			continue
		}
		if r.ParentBE == uuid && r.Active == "on" {
			found = append(found, r.Name)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: no active dataset for global zone BE %s: %w", ds, uuid, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: multiple active datasets for global zone BE %s: %s", ds, uuid, strings.Join(found, ", "))
}

// ActiveZBE finds the zone BE in use for zone z whose zonepath dataset is
// ds. A configured (detached) zone has it mounted on its root: the zfs
// dataset `mount -p` shows there (reference 3.4 step 5), which must be a
// direct child of ds/ROOT; none is an error wrapping ErrNotFound, another
// dataset a plain error (the caller may then look the libbe properties up
// itself). Any other state: the running global zone BE's
// uuid from `beadm list -H`, then the tree of ds (ZoneBEs), then
// PickActiveZBE; an undeterminable global zone BE also wraps ErrNotFound.
func (t Tools) ActiveZBE(ctx context.Context, z Zone, ds string) (string, error) {
	if z.State == StateConfigured {
		m, ok, err := t.MountedAt(ctx, z.Root())
		if err != nil {
			return "", err
		}
		if !ok || m.FSType != "zfs" {
			return "", fmt.Errorf("no zfs dataset is mounted at %s: %w", z.Root(), ErrNotFound)
		}
		// Whatever is mounted there must be one of the zone's own BEs,
		// or attach -u would refuse it too.
		if rest, ok := strings.CutPrefix(m.Special, ds+"/ROOT/"); !ok || rest == "" || strings.Contains(rest, "/") {
			return "", fmt.Errorf("%s is mounted at %s, which is not a zone BE of %s", m.Special, z.Root(), ds)
		}
		return m.Special, nil
	}
	bes, err := t.ListBEs(ctx)
	if err != nil {
		return "", err
	}
	uuid, ok := ActiveBEUUID(bes)
	if !ok {
		return "", fmt.Errorf("unable to determine global zone boot environment: %w", ErrNotFound)
	}
	rows, err := t.ZoneBEs(ctx, ds)
	if err != nil {
		return "", err
	}
	return PickActiveZBE(rows, ds, uuid)
}
