package daemon

import (
	"context"
	"errors"
	"slices"

	"zoneup/domain"
)

// rungGlobalPublishers (rung 2) strips the global zone to its first-ranked
// publisher: on Solaris 11 Express attach -u resolves against the global
// zone's publishers, disabled ones included. The original list is recorded
// before the first change and restored as soon as no job needs the strip.
//
// On hosts whose attach -u copies the global publishers into the zone (OI,
// OmniOS: reference 10.3) the strip helps only when the failure was on a
// global publisher other than the first-ranked one; a typical OmniOS host
// has omnios and extra.omnios, and stripping it for every failing zone
// would change the host for nothing; unless the failed attach -u ran with
// the global zone stripped for another job, whose strip this job then
// holds too. Where pkg does not say whether a
// publisher is enabled, zoneup does not strip: it could not restore the
// list exactly.
func (r *run) rungGlobalPublishers(ctx context.Context) (bool, error) {
	copies, err := r.e.gz.copiesPublishers(ctx, r.t)
	if err != nil {
		return false, err
	}
	// An attach -u that ran while the global zone was stripped for another
	// job could not name a stripped publisher: then the strip is held for
	// this job too (the keeper has kept it so far: this job is not past
	// the rung), rather than restored under its next attach -u.
	if copies && r.job.FailPublisher == "" && !r.job.GZHolder && !r.e.gz.stripped() {
		r.skip("remediate", domain.RungGlobalPublishers,
			"attach -u copies the global publishers into the zone here, and the attach log names no origin of a global publisher other than the first-ranked one")
		return false, nil
	}
	applied := false
	err = r.step(domain.RungGlobalPublishers, func() error {
		if !r.job.GZHolder {
			r.job.GZHolder = true
			if err := r.save(); err != nil {
				return err
			}
		}
		var err error
		applied, err = r.e.gz.strip(ctx, r.t, r.job.ID, r.note)
		return err
	})
	if errors.Is(err, errEnabledUnknown) || err == nil && !applied {
		// The keeper registered no holder (nothing recorded, or nothing
		// to strip): the job holds nothing.
		r.job.GZHolder = false
	}
	if errors.Is(err, errEnabledUnknown) {
		s := &r.job.History[len(r.job.History)-1]
		s.Outcome, s.Error = "skipped", "not stripped: "+oneLine(err.Error())
		r.note("event", "remediate global-publishers skipped: "+s.Error)
		return false, r.save()
	}
	if err == nil && !applied {
		// Only one publisher: nothing to strip, nothing to hold.
		r.job.History[len(r.job.History)-1].Outcome = "skipped"
		return false, r.save()
	}
	return applied, err
}

// releaseGlobal tells the publisher keeper that this job's ladder is over:
// the machine's LeaveLadder and End hooks (the edges out of the ladder).
// The last holder restores the original list, unless a job that may still
// need the strip is queued or running (then the strip is kept for it: one
// strip a night, not one per job); the restore waits for the attach -u
// runs of other jobs to finish, so it goes on in the background while this
// job boots and verifies, and the job waits for it before it becomes
// terminal (awaitGlobal). A job that held nothing asks the keeper to
// settle: it may be the last one the strip was kept for. The job stays a
// holder on disk until the keeper has let it go, so a crash in between
// repeats the release.
func (r *run) releaseGlobal() {
	ctx := r.e.hard
	if err := r.saveUnsaved(); err != nil {
		return // the move that follows fails on the same store, and the release is repeated at the next start
	}
	r.passGlobal()
	if r.gzRestore != nil {
		return
	}
	done := make(chan error, 1)
	r.gzRestore = done
	if !r.job.GZHolder {
		go func() { done <- r.e.gz.settle(ctx, r.bg, r.note) }()
		return
	}
	go func() { done <- r.e.gz.release(ctx, r.bg, r.job.ID, r.note) }()
}

// passGlobal records that this job no longer needs the global zone
// stripped: its ladder is over, or it is past global-publishers.
func (r *run) passGlobal() {
	if r.past != nil {
		r.past.Store(true)
	}
}

// passedGlobal marks the job past global-publishers once the machine's
// ladder position is beyond that rung (or the ladder has none): after
// every move of the machine, and when a worker starts.
func (r *run) passedGlobal(rung int) {
	gi := slices.Index(r.job.Ladder, domain.RungGlobalPublishers)
	if gi >= 0 && rung <= gi+1 || r.past == nil || r.past.Load() {
		return
	}
	r.passGlobal()
	if !r.job.GZHolder && r.gzRestore == nil && r.m != nil {
		// The strip may have been kept for this job alone: let the keeper
		// settle now, not at the end of the ladder.
		done := make(chan error, 1)
		r.gzRestore = done
		go func() { done <- r.e.gz.settle(r.e.hard, r.bg, r.note) }()
	}
}

// awaitGlobal waits for a release started by releaseGlobal.
func (r *run) awaitGlobal() {
	if r.gzRestore == nil {
		return
	}
	err := <-r.gzRestore
	r.gzRestore = nil
	if err != nil {
		r.warn("global zone publishers not restored yet (retried at the next job end and at restart): " + err.Error())
		return
	}
	if r.job.GZHolder {
		r.job.GZHolder = false
		_ = r.save()
	}
}
