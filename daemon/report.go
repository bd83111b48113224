package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/fsm"
	"zoneup/host"
	"zoneup/persist"
)

// Report is the morning report of the jobs req chooses: by default the
// ones of the last window (the one open now, or the last one closed), or,
// with a window that is always open, those since the last such report.
// Each zone appears once, with its newest job in scope, the state the host
// reports for it now, what that state means and the next commands.
func (e *Engine) Report(ctx context.Context, req api.ReportRequest) (api.Report, error) {
	now := e.now()
	cfg := e.config()
	rep := api.Report{Generated: now, Summary: map[string]int{}, Jobs: []api.Job{}}
	for _, r := range api.Results {
		rep.Summary[r] = 0
	}
	active := false // jobs that are not terminal belong to the report
	mark := false   // this report is the new "last report"
	switch {
	case req.All:
		rep.Scope, active = "all jobs", true
	case req.Night != "":
		day, err := time.ParseInLocation("2006-01-02", req.Night, time.Local)
		if err != nil {
			return rep, fmt.Errorf("%w: night %q: %w", api.ErrInvalid, req.Night, err)
		}
		if cfg.Window.Always {
			rep.From, rep.To = day, day.AddDate(0, 0, 1)
			rep.Scope = "the day " + req.Night
		} else {
			rep.From, rep.To = cfg.Window.On(day)
			rep.Scope = fmt.Sprintf("the window of %s (%s)", req.Night, cfg.Window)
		}
	case !req.Since.IsZero():
		rep.From, active = req.Since, true
		rep.Scope = "since " + req.Since.Local().Format("2006-01-02 15:04")
	case cfg.Window.Always:
		e.mu.Lock()
		rep.From = e.lastReport
		e.mu.Unlock()
		active, mark = true, true
		rep.Scope = "since the last report, " + rep.From.Local().Format("2006-01-02 15:04")
		if rep.From.IsZero() {
			rep.Scope = "all jobs (no report was made before)"
		}
	default:
		rep.From, rep.To = cfg.Window.Last(now)
		active = true
		rep.Scope = fmt.Sprintf("the window of %s (%s)", rep.From.Local().Format("2006-01-02"), cfg.Window)
	}
	inScope := func(j *persist.Job) bool {
		if !j.Terminal() {
			return active || within(j.Started, rep.From, rep.To)
		}
		return req.All || within(j.Ended, rep.From, rep.To)
	}
	newest := map[string]*persist.Job{}
	var order []string
	err := e.store.ForEachJob(func(j *persist.Job) error {
		if !inScope(j) {
			return nil
		}
		if _, ok := newest[j.Zone]; !ok {
			order = append(order, j.Zone)
		}
		c := *j
		newest[j.Zone] = &c
		return nil
	})
	if err != nil {
		return rep, err
	}
	states := e.hostStates(ctx)
	for _, zone := range order {
		j := newest[zone]
		a := ToAPI(j)
		a.HostState, a.Meaning = meaning(j, states)
		a.Next = nextCommands(a)
		switch {
		case a.Result != "":
			rep.Summary[a.Result]++
		case a.State == string(fsm.Queued):
			rep.Queued++
		default:
			rep.Running++
		}
		rep.Jobs = append(rep.Jobs, a)
	}
	e.annotate(rep.Jobs)
	e.mu.Lock()
	rep.Paused, rep.Reason = e.paused, e.reason
	if mark {
		e.lastReport = now
		e.saveQueueLocked()
	}
	e.mu.Unlock()
	e.metrics.Reported(now)
	e.stateChanged()
	return rep, nil
}

// within reports whether t lies in [from, to); a zero to has no end.
func within(t, from, to time.Time) bool {
	return !t.IsZero() && !t.Before(from) && (to.IsZero() || t.Before(to))
}

// hostStates is every zone's state as `zoneadm list -cp` prints it now
// (one call for the whole report); nil when zoneadm cannot be asked.
func (e *Engine) hostStates(ctx context.Context) map[string]string {
	zones, err := e.tools("").Zones(ctx)
	if err != nil {
		e.log.Warn().Err(err).Msg("report: zone states unknown")
		return nil
	}
	out := make(map[string]string, len(zones))
	for _, z := range zones {
		out[z.Name] = z.State
	}
	return out
}

// meaning is the zone's state as the host reports it and what it means
// for the operator.
func meaning(j *persist.Job, states map[string]string) (state, means string) {
	if states == nil {
		return "", ""
	}
	state, ok := states[j.Zone]
	if !ok {
		return "absent", "not configured on this host any more"
	}
	switch state {
	case host.StateRunning:
		return state, "running"
	case host.StateInstalled:
		if j.NoBoot || j.Result == "upgraded" {
			return state, "installed and not booted (queued with --no-boot, or boot_after is false)"
		}
		return state, "installed and not booted"
	case host.StateConfigured:
		if j.Result == "rolled-back" || j.Result == "failed" || j.Result == "cancelled" {
			return state, "detached and out of service: back on its snapshot, not attached again"
		}
		return state, "detached (configured): not in service"
	}
	return state, state
}

// nextCommands says what a person runs next for the job, if anything.
func nextCommands(j api.Job) []string {
	z := j.Zone
	var cmds []string
	switch j.Result {
	case "upgraded":
		if j.HostState == host.StateInstalled {
			cmds = append(cmds, "zoneadm -z "+z+" boot")
		}
		if len(j.Warnings) > 0 {
			return append(cmds, "zoneupadm log "+z+"   (look at the warnings first)")
		}
		if j.Snapshot != "" {
			cmds = append(cmds, "zfs destroy -r "+j.Snapshot+"   (once you are satisfied with the upgrade)")
		}
		return cmds
	case "rolled-back", "cancelled":
		cmds = append(cmds, "zoneupadm log "+z)
		if j.HostState == host.StateConfigured {
			cmds = append(cmds, "zoneadm -z "+z+" attach   (back in service as it was)", "zoneadm -z "+z+" boot")
		}
		if w := withheld(j); len(w) > 0 {
			return append(cmds, fmt.Sprintf("zoneupadm enqueue --allow %s %s   (%s withheld by policy)",
				strings.Join(w, ","), z, strings.Join(w, " and ")))
		}
		return append(cmds, "zoneupadm retry "+z)
	case "failed":
		cmds = append(cmds, "zoneupadm log "+z)
		if ds, snap, ok := strings.Cut(j.Snapshot, "@"); ok {
			cmds = append(cmds, fmt.Sprintf("zfs list -H -r -o name %s   (then for each dataset, deepest first: zfs rollback DATASET@%s)", ds, snap))
		}
		return cmds
	case "blocked":
		return []string{"zoneupadm retry " + z + "   (once the error above is dealt with)"}
	}
	return nil
}

// withheld returns the destructive rungs policy skipped for the job: the
// history has them as skipped remediate steps, and the job's allow list
// lacks them. (A destructive rung that was allowed and found nothing to
// do is skipped too, but it is in the allow list.)
func withheld(j api.Job) []string {
	var out []string
	for _, s := range j.History {
		if s.Stage == "remediate" && s.Outcome == "skipped" && domain.IsDestructive(s.Rung) &&
			!slices.Contains(j.Allow, s.Rung) && !slices.Contains(out, s.Rung) {
			out = append(out, s.Rung)
		}
	}
	return out
}

// Forget drops terminal jobs: of the zones named (every zone when none),
// that ended before req.Before (whenever when zero). A job that is not
// terminal, and every snapshot, stays.
func (e *Engine) Forget(ctx context.Context, req api.ForgetRequest) (api.ForgetResult, error) {
	out := api.ForgetResult{Forgotten: []string{}}
	for _, z := range req.Zones {
		if err := checkName(z); err != nil {
			return out, err
		}
	}
	var ids []string
	err := e.store.ForEachJob(func(j *persist.Job) error {
		if j.Terminal() && (len(req.Zones) == 0 || slices.Contains(req.Zones, j.Zone)) &&
			(req.Before.IsZero() || j.Ended.Before(req.Before)) {
			ids = append(ids, j.ID)
		}
		return ctx.Err()
	})
	if err != nil {
		return out, err
	}
	for _, id := range ids {
		e.mu.Lock()
		_, running := e.running[id]
		e.mu.Unlock()
		if running {
			continue // a retry just took it: not terminal any more
		}
		if err := e.store.DeleteJob(id); err != nil {
			if errorsIsActive(err) {
				continue
			}
			return out, err
		}
		out.Forgotten = append(out.Forgotten, id)
	}
	e.changed()
	return out, nil
}

func errorsIsActive(err error) bool { return errors.Is(err, persist.ErrActive) }
