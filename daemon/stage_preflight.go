package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/host"
)

// preflight only reads: it refuses (blocked) what cannot be upgraded safely
// and records the facts the later stages and a rollback rely on.
func (r *run) preflight(ctx context.Context) (fsm.Event, error) {
	r.begin("preflight", "")
	block := func(err error) (fsm.Event, error) {
		r.setFailure(err)
		r.end("failed", err)
		return fsm.EvBlock, nil
	}
	z, err := r.zone(ctx)
	if errors.Is(err, host.ErrNoSuchZone) {
		return block(withCause(Cause{Kind: CauseZoneGone}, fmt.Errorf("zone %s is not configured on this host", r.job.Zone)))
	}
	if err != nil {
		return block(fmt.Errorf("zoneadm: %w", err))
	}
	if err := domain.ValidZoneName(z.Name); err != nil {
		return block(err)
	}
	if err := upgradableBrand(z); err != nil {
		return block(withCause(Cause{Kind: CauseBrand}, err))
	}
	r.job.Brand = z.Brand
	r.mine(z.Zonepath)
	switch z.State {
	case host.StateInstalled, host.StateRunning, host.StateConfigured:
	default:
		return block(fmt.Errorf("zone %s is %s; only installed, running or configured (detached) zones are upgraded", z.Name, z.State))
	}
	ds, err := r.t.DatasetAt(ctx, z.Zonepath)
	if errors.Is(err, host.ErrNotFound) {
		return block(fmt.Errorf("zonepath %s is not a ZFS dataset", z.Zonepath))
	}
	if err != nil {
		return block(fmt.Errorf("zonepath dataset: %w", err))
	}
	zbe, err := r.activeZBE(ctx, z, ds)
	if err != nil {
		return block(fmt.Errorf("active zone BE: %w", err))
	}
	// One zfs get for both numbers.
	nums, err := r.t.GetNumbers(ctx, map[[2]string]bool{{zbe, "used"}: true, {ds, "available"}: true})
	if err != nil {
		return block(err)
	}
	used, avail := nums[[2]string{zbe, "used"}], nums[[2]string{ds, "available"}]
	if avail < used {
		return block(withCause(Cause{Kind: CauseNoSpace}, fmt.Errorf("no space: %s has %s available, the zone BE %s uses %s", ds, bytesIEC(avail), zbe, bytesIEC(used))))
	}
	r.job.Zonepath, r.job.Dataset, r.job.ZBE = z.Zonepath, ds, zbe
	r.mine(z.Zonepath, ds)
	// No snapshot named for this job may exist unless the job took it.
	// The listing of the zonepath dataset's tree that found the zone BE
	// showed its snapshots: asked again only when the zone BE was found
	// otherwise (a detached zone's mount).
	exists, err := r.snapshotExists(ctx)
	if err != nil {
		return block(err)
	}
	if exists && !r.job.SnapshotTaken {
		return block(fmt.Errorf("snapshot %s exists but this job did not take it", r.snapName()))
	}
	r.job.PriorState = z.State
	r.end("ok", nil)
	if z.State == host.StateRunning {
		return fsm.EvHalt, nil
	}
	return fsm.EvSnapshot, nil
}

// upgradableBrand refuses a zone whose brand has no package sync on
// attach (reference 10.1): an empty attach hook marks the zone installed
// and ignores -u, so an "upgrade" would change nothing.
func upgradableBrand(z host.Zone) error {
	if slices.Contains(host.UpgradableBrands, z.Brand) {
		return nil
	}
	return fmt.Errorf("brand %s is not upgraded: zoneup upgrades only %s zones (their attach -u updates the packages; the attach of a %s zone does not)",
		z.Brand, strings.Join(host.UpgradableBrands, ", "), z.Brand)
}

// activeZBE finds the zone BE in use. A detached zone normally has it
// mounted on its root (reference 3.4 step 5); one whose root is not mounted
// (after a reboot, or after zoneup rolled it back) is found by the libbe
// properties like an installed one (reference 3.2).
func (r *run) activeZBE(ctx context.Context, z host.Zone, ds string) (string, error) {
	zbe, err := r.t.ActiveZBE(ctx, z, ds)
	if err == nil || z.State != host.StateConfigured {
		return zbe, err
	}
	bes, err2 := r.t.ListBEs(ctx)
	if err2 != nil {
		return "", err
	}
	uuid, ok := host.ActiveBEUUID(bes)
	if !ok {
		return "", errors.New("unable to determine global zone boot environment")
	}
	tree, err2 := r.t.ZoneBEs(ctx, ds)
	if err2 != nil {
		return "", err
	}
	return host.PickActiveZBE(tree, ds, uuid)
}

// bytesIEC prints a byte count for people (1.5G).
func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/float64(div)), ".0") + string("KMGTPE"[exp])
}
