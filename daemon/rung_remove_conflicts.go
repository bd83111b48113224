package daemon

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"zoneup/domain"
	"zoneup/host"
)

// rungRemoveConflicts (rung 6, destructive) removes the packages whose odd
// or obsolete dependencies stop the solver (Apache, PHP, PostgreSQL, Sun
// Studio), in one non-recursive uninstall. Never -r: it follows dependents
// and can empty the root. The set is recorded before the call; on resume
// only what is still installed is removed, so a completed uninstall is
// never repeated.
func (r *run) rungRemoveConflicts(ctx context.Context) (bool, error) {
	if r.job.Done["uninstall"] {
		r.skip("remediate", domain.RungRemoveConflicts, "conflicting packages already removed")
		return false, nil
	}
	pkgs, err := r.t.List(ctx, r.root())
	if err != nil && !errors.Is(err, host.ErrNotFound) {
		return false, err
	}
	var match []string
	for _, p := range pkgs {
		if matchAny(r.cfg.ConflictPackages, p.Stem) {
			match = append(match, p.Stem)
		}
	}
	uninstall := oneShot{
		effect: effUninstall,
		// The set is recorded with the name; a resumed uninstall keeps
		// the recorded set and removes what of it is still installed.
		record: func() {
			if r.job.Pending != string(effUninstall) {
				r.job.PendingPackages = match
			}
		},
		act: func(ctx context.Context) error {
			return r.retry(ctx, "uninstall", func() error {
				_, err := r.t.Uninstall(ctx, r.root(), match...)
				return err
			})
		},
		done: func() {
			for _, s := range r.job.PendingPackages {
				if !slices.Contains(r.job.RemovedPackages, s) {
					r.job.RemovedPackages = append(r.job.RemovedPackages, s)
				}
			}
			r.job.PendingPackages = nil
			r.markDone(string(effUninstall))
		},
	}
	if r.job.Pending == string(effUninstall) {
		// A crash during the uninstall: whatever of the recorded set is
		// still installed is removed now; nothing left means it completed.
		match = slices.DeleteFunc(slices.Clone(r.job.PendingPackages), func(s string) bool {
			return !slices.ContainsFunc(pkgs, func(p host.Package) bool { return p.Stem == s })
		})
		if len(match) == 0 {
			r.note("event", "uninstall had completed before the restart")
			return true, r.tookEffect(uninstall)
		}
	}
	if len(match) == 0 {
		r.skip("remediate", domain.RungRemoveConflicts, "no installed package matches "+strings.Join(r.cfg.ConflictPackages, ","))
		return false, nil
	}
	err = r.step(domain.RungRemoveConflicts, func() error {
		r.note("event", "zone image: uninstall "+strings.Join(match, " "))
		if _, err := r.once(ctx, uninstall); err != nil {
			if !errorsIsInterrupted(err) {
				r.job.PendingPackages = nil
			}
			return fmt.Errorf("uninstall: %w", err)
		}
		return nil
	})
	return true, err
}

// matchAny matches a package stem against case-insensitive globs in which *
// also crosses '/'; a glob matches the whole stem or its last component.
func matchAny(globs []string, stem string) bool {
	stem = strings.ToLower(stem)
	last := path.Base(stem)
	for _, g := range globs {
		g = strings.ToLower(g)
		if globMatch(g, stem) || globMatch(g, last) {
			return true
		}
	}
	return false
}

// globMatch: * matches any run of characters (including /), ? one
// character, [...] a class as in path.Match.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	if pattern[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	if s == "" {
		return false
	}
	// One literal, ? or class: let path.Match judge the first element.
	n := 1
	if pattern[0] == '[' {
		if j := strings.IndexByte(pattern, ']'); j > 0 {
			n = j + 1
		}
	} else if pattern[0] == '\\' && len(pattern) > 1 {
		n = 2
	}
	if ok, err := path.Match(pattern[:n], s[:1]); err != nil || !ok {
		return false
	}
	return globMatch(pattern[n:], s[1:])
}
