package main

import (
	"errors"
	"fmt"
	"slices"
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

// destructive are the rungs --allow may name, with their ladder numbers.
var destructive = []struct{ name, number string }{
	{"remove-conflicts", "6"},
	{"recreate-image", "7"},
}

// nonDestructive always run; naming them in --allow is a mistake worth
// its own message.
var nonDestructive = []string{"attach-update", "global-publishers", "zone-publishers", "step-release", "image-update",
	"1", "2", "3", "4", "5"}

// parseAllow turns "--allow 6,recreate-image" into rung names.
func parseAllow(s string) ([]string, error) {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		i := slices.IndexFunc(destructive, func(d struct{ name, number string }) bool { return r == d.name || r == d.number })
		switch {
		case i >= 0:
			if !slices.Contains(out, destructive[i].name) {
				out = append(out, destructive[i].name)
			}
		case slices.Contains(nonDestructive, r):
			return nil, fmt.Errorf("--allow: %s is not a destructive rung; it always runs (allow remove-conflicts or recreate-image)", r)
		default:
			return nil, fmt.Errorf("--allow: unknown rung %q (destructive rungs: remove-conflicts or 6, recreate-image or 7)", r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--allow: no rung given (remove-conflicts, recreate-image)")
	}
	return out, nil
}
