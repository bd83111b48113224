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

// rungAt gives the rung whose attach -u is due at index i of
// [attach-update, ladder...].
func (r *run) rungAt(i int) string {
	if i <= 0 || i > len(r.job.Ladder) {
		return domain.RungAttachUpdate
	}
	return r.job.Ladder[i-1]
}

// attach runs zoneadm attach -u after the current rung. Success ends the
// ladder; an unfixable failure goes straight to rollback; anything else
// climbs to the next rung.
func (r *run) attach(ctx context.Context) (fsm.Event, error) {
	rung := r.rungAt(r.m.Rung())
	r.begin("attach", rung)
	z, err := r.zoneSeen(ctx)
	if errors.Is(err, host.ErrNoSuchZone) {
		return r.attachRollback(withCause(Cause{Kind: CauseZoneGone}, fmt.Errorf("zone %s vanished", r.job.Zone)))
	}
	if err != nil {
		return r.attachRollback(err)
	}
	if z.State == host.StateInstalled || z.State == host.StateRunning {
		// This job detached the zone, and only its own attach -u puts it
		// back: that attach completed before a crash, either before its
		// success reached the disk or after, before the machine moved on.
		r.note("event", "attach -u had completed before the restart")
		return r.attached(ctx, rung)
	}
	if z.State != host.StateConfigured {
		return r.attachRollback(fmt.Errorf("zone %s is %s, expected configured (detached)", r.job.Zone, z.State))
	}
	if err := r.ensureMounted(ctx); err != nil {
		return r.attachRollback(fmt.Errorf("zone root: %w", err))
	}
	var res host.AttachResult
	attach := func(ctx context.Context) error {
		return r.retry(ctx, "attach -u", func() error {
			// No attach -u while the global zone's publishers are changing.
			if others := r.e.gz.strippedFor(r.job.ID); len(others) > 0 && !r.job.GZHolder {
				// Said in the log so that a plain attach -u that succeeds here
				// is not mistaken for one that needed nothing. (Asked before
				// attaching(): strip holds mu while it waits for the change lock.)
				r.note("event", fmt.Sprintf("the global zone is stripped to its first-ranked publisher for job %s: this attach -u resolves against it", strings.Join(others, ", ")))
			}
			unlock, err := r.e.gz.attaching(ctx)
			if err != nil {
				return err // the drain ended the wait for a change of the publishers
			}
			defer unlock()
			res, err = r.t.AttachUpdate(ctx, r.job.Zone)
			if res.Log != "" && (r.live == nil || !r.live.followed(res.LogFile)) {
				r.note("attach-log", res.Log)
			}
			return err
		})
	}
	// The zone was looked at above: a resumed attach -u that had
	// completed went to attached already, so once makes it again.
	_, err = r.once(ctx, oneShot{
		effect: effAttach,
		act:    attach,
		isDone: func() bool { return false }, // made again after every rung
		done:   func() {},
	})
	if errorsIsInterrupted(err) {
		return "", err
	}
	if err == nil {
		return r.attached(ctx, rung)
	}
	return r.attachFailed(ctx, rung, res, err)
}

// attached: the zone is upgraded; a recreated image gets its
// configuration back. The move out of the ladder lets the global
// publishers go (the machine's LeaveLadder and End hooks).
func (r *run) attached(ctx context.Context, rung string) (fsm.Event, error) {
	r.settled(effAttach)
	r.job.Rung = rung
	// Earlier attempts' errors stay in the history; the job itself did not fail.
	r.job.Error, r.job.Cause = "", ""
	r.end("ok", nil)
	if rung == domain.RungRecreateImage && !r.job.Done["restore"] {
		if err := r.restoreConfig(ctx); err != nil {
			if errorsIsInterrupted(err) {
				return "", err
			}
			r.warn("restore from the snapshot incomplete: " + err.Error())
		}
	}
	if r.job.NoBoot || !r.cfg.BootAfter {
		return fsm.EvFinish, nil
	}
	return fsm.EvBoot, nil
}

// attachFailed decides between rollback and the next rung.
func (r *run) attachFailed(ctx context.Context, rung string, res host.AttachResult, err error) (fsm.Event, error) {
	f := res.Failure
	why := err
	switch f.Kind {
	case host.FailNoSolution, host.FailTransport, host.FailLocked, host.FailHost:
		// It failed before pkg changed a package (planning, a catalog or
		// download, the image lock, the brand's own checks): the zone's
		// entire is still the one it printed, and the step-release rung
		// needs no pkg run to learn it.
		if res.ZoneEntire != "" && !errors.Is(err, host.ErrTimeout) {
			r.facts.sawZoneEntire(res.ZoneEntire)
		}
	}
	switch {
	case errors.Is(err, host.ErrTimeout):
		why = fmt.Errorf("attach -u after %s killed after stage_timeout (%s): %w", rung, r.cfg.StageTimeout, err)
	case f.Kind == host.FailTransport && f.URL != "":
		why = fmt.Errorf("attach -u after %s: transport: %s (%s)", rung, f.URL, f.Line)
	case f.Line != "":
		why = fmt.Errorf("attach -u after %s: %s: %s", rung, f.Kind, f.Line)
	}
	if errors.Is(err, host.ErrNoSuchZone) {
		return r.attachRollback(withCause(Cause{Kind: CauseZoneGone}, why))
	}
	r.job.FailClass = string(f.Kind)
	if r.job.FailClass == "" {
		r.job.FailClass = string(host.FailOther) // killed: nothing said why
	}
	r.e.metrics.AttachFailure(r.job.FailClass)
	r.job.FailPublisher = ""
	if f.Kind == host.FailTransport {
		r.job.FailPublisher = r.namedGlobalPublisher(ctx, res)
	}
	switch f.Kind {
	case host.FailNoSpace:
		return r.attachRollback(withCause(Cause{Kind: CauseNoSpace}, why))
	case host.FailHost:
		// zoneadm's or the brand's own checks: nothing a rung changes.
		return r.attachRollback(withCause(Cause{Kind: CauseHost}, fmt.Errorf("%w (zoneadm's or the brand's own check, no rung can fix it)", why)))
	case host.FailTransport:
		if first, ok := r.e.gz.firstPublisher(ctx, r.t); ok && failsOn(f, first) {
			// The cause names the publisher, not the file that failed, so
			// the breaker sees one dead repository as one cause.
			return r.attachRollback(withCause(Cause{Kind: CauseTransport, Publisher: first.Name, Origin: firstOrigin(first)}, fmt.Errorf("%w (the global zone's first-ranked publisher %s cannot be reached)", why, first.Name)))
		}
	}
	r.job.Error = oneLine(why.Error())
	r.end("failed", why)
	if r.m.Rung() >= len(r.job.Ladder) {
		r.setFailure(fmt.Errorf("not rescued within policy: %s", oneLine(why.Error())))
		return fsm.EvRollback, nil
	}
	return fsm.EvRemediate, nil // the machine climbs to the next rung
}

// namedGlobalPublisher is the global publisher other than the first-ranked
// one (as recorded) that the failed attach -u named: one of its origins or
// mirrors appears in the attach log or output, or a catalog refresh
// failure names it. "" when none.
func (r *run) namedGlobalPublisher(ctx context.Context, res host.AttachResult) string {
	pubs, err := r.e.gz.originals(ctx, r.t)
	if err != nil || len(pubs) < 2 {
		return ""
	}
	text := res.Log + "\n" + res.Stdout
	for _, p := range pubs[1:] {
		if res.Failure.Publisher == p.Name {
			return p.Name
		}
		for _, u := range append(slices.Clone(p.Origins), p.Mirrors...) {
			if u = strings.TrimSuffix(u, "/"); u != "" && strings.Contains(text, u) {
				return p.Name
			}
		}
	}
	return ""
}

func (r *run) attachRollback(err error) (fsm.Event, error) {
	r.setFailure(err)
	r.end("failed", err)
	return fsm.EvRollback, nil
}

// failsOn reports whether a transport failure is on publisher p: the one
// pkg named for a failed catalog refresh, else the one the URL belongs to.
func failsOn(f host.Failure, p host.Publisher) bool {
	if f.Publisher != "" {
		return f.Publisher == p.Name
	}
	return belongsTo(f.URL, p)
}

// belongsTo reports whether url is served by one of the publisher's origins
// or mirrors. A URL that names only a host (pkg printed no URL line, only
// pycurl's "Failed to connect to HOST") belongs to the publisher whose
// origin is on that host.
func belongsTo(url string, p host.Publisher) bool {
	if url == "" {
		return false
	}
	for _, u := range append(append([]string{}, p.Origins...), p.Mirrors...) {
		// At a path boundary: .../release/ is not .../release2/.
		base := strings.TrimSuffix(u, "/")
		if strings.TrimSuffix(url, "/") == base || strings.HasPrefix(url, base+"/") {
			return true
		}
		if hostOnly(url) && hostOf(url) == hostOf(u) {
			return true
		}
	}
	return false
}

// hostOf is the host[:port] part of a URL.
func hostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	h, _, _ := strings.Cut(rest, "/")
	return strings.ToLower(h)
}

// hostOnly reports whether a URL has no path beyond "/".
func hostOnly(u string) bool {
	_, rest, ok := strings.Cut(u, "://")
	_, p, _ := strings.Cut(rest, "/")
	return ok && p == ""
}

func firstOrigin(p host.Publisher) string {
	if len(p.Origins) > 0 {
		return p.Origins[0]
	}
	return ""
}
