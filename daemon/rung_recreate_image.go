package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"zoneup/domain"
	"zoneup/host"
)

// rungRecreateImage (rung 7, destructive, last resort) re-creates the
// package image over the zone root: IPS has no --force, and when the solver
// finds no solution nothing else helps. The files stay; the package
// metadata starts from scratch, so after the attach the configuration is
// restored from the snapshot (restoreConfig). Each call is recorded done and
// never repeated.
func (r *run) rungRecreateImage(ctx context.Context) (bool, error) {
	pub, origin, err := r.recreateOrigin(ctx)
	if err != nil {
		return false, err
	}
	err = r.step(domain.RungRecreateImage, func() error {
		if ran, err := r.once(ctx, oneShot{
			effect: effImageCreate,
			took:   func(ctx context.Context) (bool, error) { return r.imageRecreated(ctx), nil },
			act: func(ctx context.Context) error {
				r.note("event", fmt.Sprintf("zone image: image-create -f -z -p %s=%s", pub, origin))
				return r.retry(ctx, "image-create", func() error { return r.t.ImageCreate(ctx, r.root(), pub, origin) })
			},
		}); err != nil {
			if ran {
				return fmt.Errorf("image-create: %w", err)
			}
			return err
		}
		// Installing a package again is harmless (exit 4, nothing to do):
		// a crash during it installs it again.
		if _, err := r.once(ctx, oneShot{
			effect: effInstallLibrary,
			act: func(ctx context.Context) error {
				return r.retry(ctx, "install system/library", func() error {
					_, err := r.t.Install(ctx, r.root(), "system/library")
					return err
				})
			},
		}); err != nil {
			return fmt.Errorf("install system/library: %w", err)
		}
		return nil
	})
	return true, err
}

// imageRecreated tells whether an interrupted image-create took effect: a
// re-created image has no entire and only the one publisher it was made with.
func (r *run) imageRecreated(ctx context.Context) bool {
	_, err := r.t.EntireVersion(ctx, r.root())
	if !errors.Is(err, host.ErrNotFound) {
		return false
	}
	pubs, err := r.t.Publishers(ctx, r.root())
	if err != nil {
		return false
	}
	names := map[string]bool{}
	for _, p := range pubs {
		names[p.Name] = true
	}
	return len(names) == 1
}

// recreateOrigin is recreate_origin, or the global zone's first-ranked
// publisher as recorded.
func (r *run) recreateOrigin(ctx context.Context) (string, string, error) {
	if r.cfg.RecreateOrigin != "" {
		pub, origin, _ := strings.Cut(r.cfg.RecreateOrigin, "=")
		return pub, origin, nil
	}
	first, ok := r.e.gz.firstPublisher(ctx, r.t)
	if !ok || len(first.Origins) == 0 {
		return "", "", errors.New("no origin to re-create the image from (set recreate_origin)")
	}
	return first.Name, first.Origins[0], nil
}
