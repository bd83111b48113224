package daemon

import (
	"context"
	"errors"
	"fmt"

	"zoneup/domain"
	"zoneup/host"
)

// rungStepRelease (rung 4) steps through intermediate releases: a jump such
// as snv_111 to snv_151 cannot be solved in one go, but 111 to 134 and then
// 134 to 151 can. Every configured stone strictly between the zone's entire
// and the global zone's is installed, in order.
func (r *run) rungStepRelease(ctx context.Context) (bool, error) {
	zv, known := r.facts.zoneEntire() // as the failed attach -u printed it
	var err error
	if !known {
		zv, err = r.t.EntireVersion(ctx, r.root())
	}
	if errors.Is(err, host.ErrNotFound) {
		r.skip("remediate", domain.RungStepRelease, "the zone has no entire incorporation")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	gv, err := r.t.EntireVersion(ctx, "/")
	if errors.Is(err, host.ErrNotFound) {
		r.skip("remediate", domain.RungStepRelease, "the global zone has no entire incorporation")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var due []Stone
	for _, s := range r.cfg.StepReleases {
		if host.CompareVersions(zv, s.Version) < 0 && host.CompareVersions(s.Version, gv) < 0 {
			due = append(due, s)
		}
	}
	if len(due) == 0 {
		r.skip("remediate", domain.RungStepRelease, fmt.Sprintf("no stepping stone between entire@%s and entire@%s", zv, gv))
		return false, nil
	}
	err = r.step(domain.RungStepRelease, func() error {
		for _, s := range due {
			r.note("event", fmt.Sprintf("zone image: stepping to entire@%s from %s", s.Version, s.Origin))
			a := host.SetPublisherArgs{Name: s.Publisher, Preferred: true, SetOrigin: s.Origin}
			if err := r.retry(ctx, "set-publisher", func() error { return r.t.SetPublisher(ctx, r.root(), a) }); err != nil {
				return fmt.Errorf("set-publisher %s: %w", s.Publisher, err)
			}
			if err := r.retry(ctx, "install entire@"+s.Version, func() error {
				_, err := r.t.Install(ctx, r.root(), "entire@"+s.Version)
				return err
			}); err != nil {
				return fmt.Errorf("install entire@%s: %w", s.Version, err)
			}
		}
		return nil
	})
	return true, err
}
