package host

import (
	"context"
	"fmt"
	"strings"

	"zoneup/domain"
)

// zoneadm (reference 2): list in its parsable form, and the state changes
// the daemon makes. Every subcommand but list needs the full privilege set.

// zoneListFields is the number of fields of a `zoneadm list -p` line on
// illumos and OpenSolaris; Solaris 11 prints two more (ignored).
const zoneListFields = 7

// ParseZoneList parses `zoneadm list -cp` (or `-z ZONE list -p`) output:
// zoneid:zonename:state:zonepath:uuid:brand:ip-type. Only the zonepath is
// escaped (`\:` for `:`); fields after the seventh are ignored, blank lines
// skipped, and state words are kept as printed, known or not. A line with
// fewer than seven fields is an error (nil zones): output this tool does
// not understand must not make a zone look absent.
func ParseZoneList(out string) ([]Zone, error) {
	var zones []Zone
	for n, line := range records(out) {
		f := splitUnescaped(line, ':')
		if len(f) < zoneListFields {
			return nil, fmt.Errorf("zoneadm list -p: line %d: %d fields, want %d: %q", n, len(f), zoneListFields, line)
		}
		zones = append(zones, Zone{
			ID:       f[0],
			Name:     f[1],
			State:    f[2],
			Zonepath: strings.ReplaceAll(f[3], `\:`, ":"),
			UUID:     f[4],
			Brand:    f[5],
			IPType:   f[6],
		})
	}
	return zones, nil
}

// splitUnescaped splits s on sep where sep is not preceded by a backslash;
// the escapes stay in the fields (the caller unescapes the one field that
// may have them).
func splitUnescaped(s string, sep byte) []string {
	var fields []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == sep && (i == 0 || s[i-1] != '\\') {
			fields = append(fields, s[start:i])
			start = i + 1
		}
	}
	return append(fields, s[start:])
}

// zoneadmKind: an unknown zone, and another zoneadm holding the zone's
// lock (worth retrying), in zoneadm's literal texts (reference 2.5, 2.7).
func zoneadmKind(code int, text string) error {
	switch {
	case strings.Contains(text, "No such zone configured"):
		return ErrNoSuchZone
	case strings.Contains(text, "another zoneadm may have an operation in progress"):
		return ErrTransient
	}
	return nil
}

// Zones lists every configured zone, the global zone first
// (`zoneadm list -cp`).
func (t Tools) Zones(ctx context.Context) ([]Zone, error) {
	res, err := t.run(ctx, false, zoneadmKind, "zoneadm", "list", "-cp")
	if err != nil {
		return nil, err
	}
	zones, err := ParseZoneList(string(res.Stdout))
	if err != nil {
		return nil, fmt.Errorf("zoneadm list -cp: %w", err)
	}
	return zones, nil
}

// Zone reads one zone's line (`zoneadm -z NAME list -p`). A zone zoneadm
// does not know gives an error wrapping ErrNoSuchZone.
func (t Tools) Zone(ctx context.Context, name string) (Zone, error) {
	if name == "" {
		return Zone{}, fmt.Errorf("%w: empty zone name", domain.ErrBadZoneName)
	}
	res, err := t.run(ctx, false, zoneadmKind, "zoneadm", "-z", name, "list", "-p")
	if err != nil {
		return Zone{}, err
	}
	zones, err := ParseZoneList(string(res.Stdout))
	if err != nil {
		return Zone{}, fmt.Errorf("zoneadm -z %s list -p: %w", name, err)
	}
	for _, z := range zones {
		if z.Name == name {
			return z, nil
		}
	}
	return Zone{}, fmt.Errorf("zoneadm -z %s list -p printed no line for it: %w", name, ErrNoSuchZone)
}

// Halt halts a zone (`zoneadm -z ZONE halt`). Halting a zone that is not
// running succeeds (zoneadm exits 0, reference 2.6).
func (t Tools) Halt(ctx context.Context, zone string) error {
	_, err := t.run(ctx, true, zoneadmKind, "zoneadm", "-z", zone, "halt")
	return err
}

// Boot boots a zone (`zoneadm -z ZONE boot`). Booting a running zone
// succeeds (exit 0).
func (t Tools) Boot(ctx context.Context, zone string) error {
	_, err := t.run(ctx, true, zoneadmKind, "zoneadm", "-z", zone, "boot")
	return err
}

// Detach detaches an installed zone (`zoneadm -z ZONE detach`); the ipkg
// brand leaves its zone BE mounted on the zone root. On failure the zone
// stays installed.
func (t Tools) Detach(ctx context.Context, zone string) error {
	_, err := t.run(ctx, true, zoneadmKind, "zoneadm", "-z", zone, "detach")
	return err
}
