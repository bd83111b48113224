package daemon

import (
	"context"

	"zoneup/domain"
)

// rungImageUpdate (rung 5) runs pkg image-update in the zone root (update on
// clients that renamed it): it moves every package, not only those
// constrained by entire.
func (r *run) rungImageUpdate(ctx context.Context) (bool, error) {
	err := r.step(domain.RungImageUpdate, func() error {
		var nothing bool
		err := r.retry(ctx, "image-update", func() (err error) {
			nothing, err = r.t.ImageUpdate(ctx, r.root())
			return err
		})
		if err == nil && nothing {
			r.note("event", "image-update: nothing to do")
		}
		return err
	})
	return true, err
}
