package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/client"
)

// flags parses a verb's options (see flagSpec); -h and --help ask for the
// verb's usage. Errors are usage errors (exit 2).
func flags(args []string, bools map[string]*bool, strs map[string]*string) ([]string, error) {
	help := false
	spec := flagSpec{bools: map[string]*bool{"-h": &help, "--help": &help}, strs: strs}
	for k, v := range bools {
		spec.bools[k] = v
	}
	pos, err := spec.parse(args)
	switch {
	case err != nil:
		return nil, usageError("%v", err)
	case help:
		return nil, errHelp
	}
	return pos, nil
}

// oneZone parses the arguments of a verb that takes exactly one zone and
// checks its name.
func oneZone(args []string, bools map[string]*bool) (string, error) {
	pos, err := flags(args, bools, nil)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usageError("give exactly one zone")
	}
	if err := checkZone(pos[0]); err != nil {
		return "", zoneError(pos[0], err)
	}
	return pos[0], nil
}

// noArgs parses the options of a verb that takes no positional argument.
func noArgs(args []string, bools map[string]*bool) error { return noArgsWith(args, bools, nil) }

// enqueue prints one line per zone, in the order given: queued ones on
// stdout, refusals on stderr. Names that can never be jobs are refused
// here and not sent; the daemon judges the rest.
func (a *app) enqueue(ctx context.Context, args []string) error {
	var allowList string
	var noBoot bool
	zones, err := flags(args, map[string]*bool{"--no-boot": &noBoot}, map[string]*string{"--allow": &allowList})
	if err != nil {
		return err
	}
	if len(zones) == 0 {
		return usageError("no zone given")
	}
	var allow []string
	if allowList != "" {
		if allow, err = parseAllow(allowList); err != nil {
			return usageError("%v", err)
		}
	}
	refusals := make([]string, len(zones))
	queued := make([]string, len(zones))
	var send []string
	var at []int // position in zones of each zone sent
	for i, z := range zones {
		if err := checkZone(z); err != nil {
			refusals[i] = zoneMessage(z, err)
			continue
		}
		send, at = append(send, z), append(at, i)
	}
	var askErr error
	if len(send) > 0 {
		res, err := a.c.Enqueue(ctx, api.EnqueueRequest{Zones: send, Allow: allow, NoBoot: noBoot})
		switch {
		case err != nil:
			askErr = err
		case len(res) != len(send):
			askErr = fmt.Errorf("zoneupd answered for %d zones, %d were sent", len(res), len(send))
		default:
			for k, r := range res {
				i := at[k]
				if err := client.EnqueueError(r); err != nil {
					refusals[i] = zoneMessage(zones[i], err)
				} else {
					queued[i] = fmt.Sprintf("%s: queued as job %s", zones[i], r.ID)
					if r.Warning != "" {
						queued[i] += " (warning: " + r.Warning + ")"
					}
				}
			}
		}
	}
	refused := false
	for i := range zones {
		switch {
		case refusals[i] != "":
			refused = true
			fmt.Fprintf(a.err, "zoneupadm: %s\n", refusals[i])
		case queued[i] != "":
			fmt.Fprintln(a.out, queued[i])
		}
	}
	if askErr != nil {
		return askErr
	}
	if refused {
		return exitCode(1)
	}
	return nil
}

// list prints one line per job: aligned columns for people (-H drops the
// header), ":"-separated fields for scripts (-p), or the JSON array.
func (a *app) list(ctx context.Context, args []string) error {
	var noHeader, parsable, asJSON bool
	var fieldList string
	pos, err := flags(args, map[string]*bool{"-H": &noHeader, "-p": &parsable, "--json": &asJSON}, map[string]*string{"-o": &fieldList})
	switch {
	case err != nil:
		return err
	case len(pos) > 0:
		return usageError("unexpected argument %q", pos[0])
	case asJSON && (noHeader || parsable || fieldList != ""):
		return usageError("--json prints every field; it takes no -H, -p or -o")
	}
	if asJSON {
		// The daemon's bytes go out as they arrive, not decoded and encoded
		// again, and not held: 10,000 jobs are some 20 MB. A slow reader of
		// our stdout (a pager) only holds the daemon's writer, which holds
		// no database transaction (jobs are read in chunks).
		return a.c.JobsJSON(ctx, a.out)
	}
	cols := defaultColumns
	if fieldList != "" {
		if cols, err = parseFields(fieldList); err != nil {
			return usageError("-o: %v", err)
		}
	}
	// Jobs are written as they are decoded, never all held at once.
	now := a.now()
	if parsable {
		w := bufio.NewWriter(a.out)
		var line []byte
		err := a.c.EachJob(ctx, func(j api.Job) error {
			line = appendParsable(line[:0], j, cols, now)
			_, err := w.Write(line)
			return err
		})
		if err != nil {
			return err
		}
		return w.Flush()
	}
	t := newTable(a.out, cols, !noHeader, now)
	if err := a.c.EachJob(ctx, t.add); err != nil {
		return err
	}
	return t.Flush()
}

// status prints the zone's newest job: key: value lines and the stage
// history, or the JSON job object.
func (a *app) status(ctx context.Context, args []string) error {
	var asJSON bool
	zone, err := oneZone(args, map[string]*bool{"--json": &asJSON})
	if err != nil {
		return err
	}
	j, err := a.c.Status(ctx, zone)
	if err != nil {
		return zoneError(zone, err)
	}
	if asJSON {
		return writeJSON(a.out, j)
	}
	return writeStatus(a.out, j, a.now())
}

// cancel drops a queued job at once; a running one stops at its next stage
// boundary (rolled back if anything changed), so the job is shown as the
// daemon has it right after the request.
func (a *app) cancel(ctx context.Context, args []string) error {
	zone, err := oneZone(args, nil)
	if err != nil {
		return err
	}
	j, err := a.c.Cancel(ctx, zone)
	switch {
	case err != nil:
		return zoneError(zone, err)
	case j.Terminal:
		fmt.Fprintf(a.out, "%s: job %s %s\n", zone, j.ID, j.State)
	default:
		fmt.Fprintf(a.out, "%s: cancel requested; job %s stops at the end of its %s stage and is rolled back if anything changed\n", zone, j.ID, j.State)
	}
	return nil
}

// retry queues a terminal job again: same id, history and snapshot.
func (a *app) retry(ctx context.Context, args []string) error {
	zone, err := oneZone(args, nil)
	if err != nil {
		return err
	}
	j, err := a.c.Retry(ctx, zone)
	if err != nil {
		return zoneError(zone, err)
	}
	fmt.Fprintf(a.out, "%s: queued again as job %s (attempt %d)\n", zone, j.ID, j.Attempt)
	return nil
}

// pause, resume and reload act on the daemon as a whole; reload is what
// the SMF refresh method runs.
func (a *app) pause(ctx context.Context, args []string) error {
	return a.queueOp(ctx, args, a.c.Pause, "queue paused; running jobs go on (zoneupadm resume)")
}

func (a *app) resume(ctx context.Context, args []string) error {
	return a.queueOp(ctx, args, a.c.Resume, "queue resumed")
}

func (a *app) reload(ctx context.Context, args []string) error {
	err := a.queueOp(ctx, args, a.c.Reload, "configuration reloaded")
	if errors.Is(err, api.ErrInvalid) && a.smfMethod == "refresh" {
		// As the SMF refresh method: a failing method would put the
		// instance in maintenance while the daemon runs on with its old
		// configuration. Say why in the service log and succeed.
		fmt.Fprintf(a.err, "zoneupadm: reload refused, the running configuration stays: %v\n", err)
		return nil
	}
	return err
}

// queueOp runs one argument-less call and says it is done.
func (a *app) queueOp(ctx context.Context, args []string, fn func(context.Context) (api.Info, error), done string) error {
	if err := noArgs(args, nil); err != nil {
		return err
	}
	if _, err := fn(ctx); err != nil {
		return err
	}
	fmt.Fprintln(a.out, done)
	return nil
}

// log prints the zone's log; -f follows it through the long poll until
// the job is terminal and its last lines are out.
func (a *app) log(ctx context.Context, args []string) error {
	var follow bool
	zone, err := oneZone(args, map[string]*bool{"-f": &follow})
	if err != nil {
		return err
	}
	if !follow {
		lines, err := a.c.Log(ctx, zone, 0)
		if err != nil {
			return zoneError(zone, err)
		}
		return writeLog(a.out, lines)
	}
	var after uint64
	var id string
	return a.c.Watch(ctx, func() (bool, error) {
		// Status before Log: every line written before the job became
		// terminal is then in the Log answer that follows.
		j, err := a.c.Status(ctx, zone)
		if err != nil {
			return false, zoneError(zone, err)
		}
		if id != "" && j.ID != id {
			fmt.Fprintf(a.out, "--- %s: new job %s\n", zone, j.ID)
			after = 0
		}
		id = j.ID
		lines, err := a.c.Log(ctx, zone, after)
		if err != nil {
			return false, zoneError(zone, err)
		}
		if len(lines) > 0 {
			after = lines[len(lines)-1].Seq
		}
		if err := writeLog(a.out, lines); err != nil {
			return false, err
		}
		return j.Terminal, nil
	})
}

// report prints the morning report (report.go), or the api.Report object:
// by default of the last window; --since TIME, --night DATE or --all.
func (a *app) report(ctx context.Context, args []string) error {
	var asJSON, all bool
	var since, night string
	if err := noArgsWith(args, map[string]*bool{"--json": &asJSON, "--all": &all},
		map[string]*string{"--since": &since, "--night": &night}); err != nil {
		return err
	}
	var req api.ReportRequest
	n := 0
	if all {
		req.All, n = true, n+1
	}
	if night != "" {
		if _, err := time.ParseInLocation("2006-01-02", night, time.Local); err != nil {
			return usageError("--night %q: want a date, YYYY-MM-DD", night)
		}
		req.Night, n = night, n+1
	}
	if since != "" {
		t, err := parseTime(since, a.now())
		if err != nil {
			return usageError("--since %q: %v", since, err)
		}
		req.Since, n = t, n+1
	}
	if n > 1 {
		return usageError("give one of --since, --night and --all")
	}
	rep, err := a.c.Report(ctx, req)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.out, rep)
	}
	return api.WriteReport(a.out, rep, a.now())
}

// parseTime reads a time given on the command line: RFC 3339, or local
// "YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD" (midnight), or
// "HH:MM" today.
func parseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("15:04", s, time.Local); err == nil {
		return time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, time.Local), nil
	}
	return time.Time{}, errors.New(`want a time: RFC 3339, "YYYY-MM-DD HH:MM", "YYYY-MM-DD" or "HH:MM"`)
}

// noArgsWith is noArgs with string options too.
func noArgsWith(args []string, bools map[string]*bool, strs map[string]*string) error {
	pos, err := flags(args, bools, strs)
	if err == nil && len(pos) > 0 {
		err = usageError("unexpected argument %q", pos[0])
	}
	return err
}

// forget drops terminal jobs from the daemon's database: of the zones
// named, or ended before --before (one of the two is needed). Snapshots
// and jobs that are not terminal stay.
func (a *app) forget(ctx context.Context, args []string) error {
	var before string
	zones, err := flags(args, nil, map[string]*string{"--before": &before})
	if err != nil {
		return err
	}
	var req api.ForgetRequest
	if before != "" {
		if req.Before, err = parseTime(before, a.now()); err != nil {
			return usageError("--before %q: %v", before, err)
		}
	}
	if len(zones) == 0 && req.Before.IsZero() {
		return usageError("give --before TIME, or the zones whose finished jobs to forget")
	}
	for _, z := range zones {
		if err := checkZone(z); err != nil {
			return zoneError(z, err)
		}
	}
	req.Zones = zones
	res, err := a.c.Forget(ctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "forgot %d finished job(s); snapshots and unfinished jobs are kept\n", len(res.Forgotten))
	return nil
}

// info prints the daemon's settings, the window and whether it is open,
// the pause and breaker state and the jobs per state.
func (a *app) info(ctx context.Context, args []string) error {
	var asJSON bool
	if err := noArgs(args, map[string]*bool{"--json": &asJSON}); err != nil {
		return err
	}
	in, err := a.c.Info(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.out, in)
	}
	return writeInfo(a.out, in, a.now())
}

// version prints zoneupadm's version and, when a daemon answers, its own.
func (a *app) version(ctx context.Context, args []string) error {
	if err := noArgs(args, nil); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "zoneupadm %s\n", api.Version)
	if in, err := a.c.Info(ctx); err == nil {
		fmt.Fprintf(a.out, "zoneupd %s (pid %d)\n", orDash(in.Version), in.PID)
	} else if errors.Is(err, client.ErrNotRunning) {
		fmt.Fprintln(a.out, "zoneupd: not running")
	}
	return nil
}

// wait blocks on the long poll until every job named (default: all) is
// terminal. Exit 0 when all ended done, 1 when one did not, 2 on timeout,
// 4 when the queue is paused (by the operator or the circuit breaker) and
// a job waited for is still queued, unless --through-pause.
func (a *app) wait(ctx context.Context, args []string) error {
	var timeout string
	var throughPause bool
	zones, err := flags(args, map[string]*bool{"--through-pause": &throughPause}, map[string]*string{"--timeout": &timeout})
	if err != nil {
		return waitError(err)
	}
	for _, z := range zones {
		if err := checkZone(z); err != nil {
			return waitError(zoneError(z, err))
		}
	}
	wctx := ctx
	var limit time.Duration
	if timeout != "" {
		if limit, err = time.ParseDuration(timeout); err != nil || limit <= 0 {
			return waitError(usageError("--timeout %q: want a duration such as 90s or 2h", timeout))
		}
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	var last []api.Job
	err = a.c.Watch(wctx, func() (bool, error) {
		jobs, err := a.waitTargets(wctx, zones)
		if err != nil {
			return false, err
		}
		last = jobs
		queued := false
		for _, j := range jobs {
			queued = queued || j.State == "queued"
		}
		if queued && !throughPause {
			if in, err := a.c.Info(wctx); err == nil && in.Paused {
				return false, &failure{code: 4, msg: fmt.Sprintf("wait: the queue is paused (%s) and these jobs will not start: %s (zoneupadm resume, or wait --through-pause)",
					orDash(in.Reason), summarise(jobs, func(j api.Job) bool { return j.State == "queued" }))}
			}
		}
		for _, j := range jobs {
			if !j.Terminal {
				return false, nil
			}
		}
		return true, nil
	})
	var paused *failure
	if errors.As(err, &paused) && paused.code == 4 {
		return err
	}
	if err != nil {
		// Judged by the clock, not by wctx.Err(): the poll may give up a
		// moment before wctx's own timer fires.
		if dl, ok := wctx.Deadline(); ok && limit > 0 && ctx.Err() == nil && !time.Now().Before(dl) {
			return &failure{code: 2, msg: fmt.Sprintf("wait: timed out after %s; not terminal yet: %s", limit,
				summarise(last, func(j api.Job) bool { return !j.Terminal }))}
		}
		return waitError(err)
	}
	if notDone := summarise(last, func(j api.Job) bool { return j.State != "done" }); notDone != "" {
		return &failure{code: 1, msg: "not every job ended done: " + notDone}
	}
	return nil
}

// waitTargets are the jobs wait looks at, at every change: the zones' own,
// or, for all jobs, those not terminal yet (the daemon's index of them, so
// a database of many finished jobs costs nothing at each change) and, once
// there are none, every job, for the verdict.
func (a *app) waitTargets(ctx context.Context, zones []string) ([]api.Job, error) {
	if len(zones) > 0 {
		return a.targets(ctx, zones)
	}
	active, err := a.c.ActiveJobs(ctx)
	if err != nil || len(active) > 0 {
		return active, err
	}
	return a.c.Jobs(ctx) // a job queued meanwhile is in it, not terminal: the wait goes on
}

// waitError gives every error of wait exit code 3, so that 0 (all done), 1
// (one is not) and 2 (timed out) keep their meaning for scripts.
func waitError(err error) error {
	if errors.Is(err, errHelp) {
		return err
	}
	var f *failure
	if errors.As(err, &f) {
		return &failure{code: 3, msg: f.msg, usage: f.usage}
	}
	if errors.Is(err, context.Canceled) {
		return err // Ctrl-C: 130
	}
	return &failure{code: 3, msg: message(err)}
}

// targets returns the jobs of zones, or every job.
func (a *app) targets(ctx context.Context, zones []string) ([]api.Job, error) {
	if len(zones) == 0 {
		return a.c.Jobs(ctx)
	}
	jobs := make([]api.Job, 0, len(zones))
	for _, z := range zones {
		j, err := a.c.Status(ctx, z)
		if err != nil {
			return nil, zoneError(z, err)
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// summarise lists the jobs that match as "zone state, ..." (at most ten).
func summarise(jobs []api.Job, match func(api.Job) bool) string {
	var parts []string
	n := 0
	for _, j := range jobs {
		if !match(j) {
			continue
		}
		if n++; n <= 10 {
			parts = append(parts, j.Zone+" "+j.State)
		}
	}
	if n > 10 {
		parts = append(parts, fmt.Sprintf("and %d more", n-10))
	}
	return strings.Join(parts, ", ")
}

// shutdown succeeds whenever no daemon is left listening, also when none
// was (the SMF stop method must not fail on a stopped service).
func (a *app) shutdown(ctx context.Context, args []string) error {
	var wait bool
	if err := noArgs(args, map[string]*bool{"--wait": &wait}); err != nil {
		return err
	}
	err := a.c.Shutdown(ctx, wait)
	switch {
	case errors.Is(err, client.ErrNotRunning):
		fmt.Fprintln(a.out, err.Error())
		return nil
	case err != nil:
		return err
	case wait:
		fmt.Fprintln(a.out, "zoneupd has stopped")
	default:
		fmt.Fprintln(a.out, "zoneupd is draining; it stops once its running tools are done (zoneupadm shutdown --wait waits for it)")
	}
	return nil
}
