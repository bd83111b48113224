package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"zoneup/domain"
	"zoneup/host"
)

// rungZonePublishers (rung 3) unsets every zone-image publisher the global
// zone never had: attach -u runs `pkg install entire` in the zone image and
// fails if any of its publishers cannot serve it. The zone's first-ranked
// publisher is never unset (Solaris 11 Express refuses): a global one is
// made first-ranked before.
func (r *run) rungZonePublishers(ctx context.Context) (bool, error) {
	gz, err := r.e.gz.originals(ctx, r.t)
	if err != nil {
		return false, err
	}
	if len(gz) == 0 {
		return false, errors.New("the global zone has no publisher")
	}
	known := map[string]bool{}
	for _, p := range gz {
		known[p.Name] = true
	}
	zp, err := r.t.PublisherList(ctx, r.root())
	if err != nil {
		return false, err
	}
	var odd []string
	for _, p := range zp {
		if !known[p.Name] {
			odd = append(odd, p.Name)
		}
	}
	if len(odd) == 0 {
		r.skip("remediate", domain.RungZonePublishers, "no publisher foreign to the global zone")
		return false, nil
	}
	err = r.step(domain.RungZonePublishers, func() error {
		if !known[zp[0].Name] {
			first := gz[0]
			a := host.SetPublisherArgs{Name: first.Name, Preferred: true}
			if !slices.ContainsFunc(zp, func(p host.Publisher) bool { return p.Name == first.Name }) {
				a.AddOrigins = first.Origins
			}
			r.note("event", "zone image: making "+first.Name+" first-ranked")
			if err := r.retry(ctx, "set-publisher -P", func() error { return r.t.SetPublisher(ctx, r.root(), a) }); err != nil {
				return fmt.Errorf("set-publisher -P %s: %w", first.Name, err)
			}
		}
		r.note("event", fmt.Sprintf("zone image: unset-publisher %v", odd))
		err := r.retry(ctx, "unset-publisher", func() error { return r.t.UnsetPublisher(ctx, r.root(), odd...) })
		if host.Code(err) == 3 {
			// Partial: look at what is left and try those one by one.
			err = r.unsetLeft(ctx, known)
		}
		return err
	})
	return true, err
}

// unsetLeft retries, one by one, the foreign publishers still present after
// a partial unset-publisher (exit 3).
func (r *run) unsetLeft(ctx context.Context, known map[string]bool) error {
	zp, err := r.t.PublisherList(ctx, r.root())
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range zp {
		if known[p.Name] {
			continue
		}
		if err := r.retry(ctx, "unset-publisher", func() error { return r.t.UnsetPublisher(ctx, r.root(), p.Name) }); err != nil {
			errs = append(errs, fmt.Errorf("unset-publisher %s: %w", p.Name, err))
		}
	}
	return errors.Join(errs...)
}
