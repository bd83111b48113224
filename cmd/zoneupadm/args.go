package main

import (
	"errors"
	"fmt"
	"strings"

	"zoneup/daemon/api"
	"zoneup/domain"
)

// flagSpec names a verb's options: bools take no value, strs take one
// ("-o FIELDS", "-oFIELDS", "--allow X", "--allow=X").
type flagSpec struct {
	bools map[string]*bool
	strs  map[string]*string
}

// parse separates options from positional arguments. Options may come
// before or after the positional ones (SPEC shows `status ZONE --json`);
// "--" ends the options. Single-letter bools may be grouped ("-Hp"), as
// Solaris tools allow.
func (f flagSpec) parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case a == "-" || !strings.HasPrefix(a, "-"):
			pos = append(pos, a)
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a, "=")
			if b, ok := f.bools[name]; ok && !hasVal {
				*b = true
				continue
			}
			s, ok := f.strs[name]
			if !ok {
				return nil, fmt.Errorf("unknown option %s", a)
			}
			if !hasVal {
				if i+1 == len(args) {
					return nil, fmt.Errorf("option %s needs a value", name)
				}
				i++
				val = args[i]
			}
			*s = val
		default: // -X, -XY..., -XVALUE
			if err := f.short(args, &i); err != nil {
				return nil, err
			}
		}
	}
	return pos, nil
}

// short parses one argument of single-letter options at args[*i]; an
// option with a value takes the rest of the argument or the next one.
func (f flagSpec) short(args []string, i *int) error {
	a := args[*i]
	for j := 1; j < len(a); j++ {
		name := "-" + a[j:j+1]
		if b, ok := f.bools[name]; ok {
			*b = true
			continue
		}
		s, ok := f.strs[name]
		switch {
		case !ok:
			return fmt.Errorf("unknown option %s", name)
		case j+1 < len(a):
			*s = a[j+1:]
		case *i+1 < len(args):
			*i++
			*s = args[*i]
		default:
			return fmt.Errorf("option %s needs a value", name)
		}
		return nil
	}
	return nil
}

// checkZone refuses, before asking the daemon, what can never be a job:
// bad names, the global zone and the reserved SUNW* names. The errors wrap
// the same api sentinels the daemon uses, so both print alike.
func checkZone(zone string) error {
	// The one rule (domain.ValidZoneName), so the CLI and the daemon
	// refuse a name alike (SUNW!x is reserved in both).
	switch err := domain.ValidZoneName(zone); {
	case err == nil:
		return nil
	case errors.Is(err, domain.ErrGlobalZone):
		return api.ErrGlobal
	case errors.Is(err, domain.ErrReservedZone):
		return api.ErrReserved
	}
	return api.ErrBadName
}

// parseAllow turns "--allow 6,recreate-image" into rung names, in the
// order given, by the daemon's own rule (domain.ParseAllow). One thing is
// the CLI's alone: an --allow that names no rung ("," or blanks) is a
// typing mistake, refused, where the daemon reads an empty allow as none.
func parseAllow(s string) ([]string, error) {
	out, err := domain.ParseAllow(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("--allow: %w", err)
	case len(out) == 0:
		return nil, fmt.Errorf("--allow: no rung given (%s)", strings.Join(domain.Destructive, ", "))
	}
	return out, nil
}
