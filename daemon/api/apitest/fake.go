// Package apitest has a hand-written fake api.Service and a helper that
// serves it on a temporary Unix socket, for the tests of daemon/api,
// daemon/client and zoneupadm. The fake keeps jobs in memory, records every
// call, and fires Changed whenever a test or a call changes something.
package apitest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/fsm"
)

// Fake is an api.Service whose jobs and answers a test sets directly.
type Fake struct {
	mu      sync.Mutex
	calls   []string
	jobs    []api.Job // enqueue order
	logs    map[string][]api.LogLine
	changed chan struct{}
	done    chan struct{}
	asked   chan struct{} // closed at the first Done
	stopped bool
	paused  bool
	reason  string

	// Known lists the zones the "host" has; nil means every valid name.
	Known []string
	// Errs makes a method fail: the key is the method name ("Cancel",
	// "Report", ...), the error is returned as is.
	Errs map[string]error
	// Now is the report's generation time (zero: time.Now).
	Now time.Time
	// HoldDone keeps Done open after Shutdown until the test calls
	// Finish, to exercise shutdown --wait.
	HoldDone bool
}

var _ api.Service = (*Fake)(nil)

// NewFake returns an empty fake.
func NewFake() *Fake {
	return &Fake{logs: map[string][]api.LogLine{}, changed: make(chan struct{}), done: make(chan struct{}), asked: make(chan struct{}), Errs: map[string]error{}}
}

// Calls returns the calls so far, e.g. "Enqueue web01,web02 allow=remove-conflicts".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Put adds a job, or replaces the zone's newest job, and fires Changed.
func (f *Fake) Put(j api.Job) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putLocked(j)
}

func (f *Fake) putLocked(j api.Job) {
	j = normalise(j)
	if i := f.indexLocked(j.Zone); i >= 0 {
		f.jobs[i] = j
	} else {
		f.jobs = append(f.jobs, j)
	}
	f.fireLocked()
}

// normalise gives a job the never-null arrays of the wire form.
func normalise(j api.Job) api.Job {
	for _, p := range []*[]string{&j.Allow, &j.RemovedPackages, &j.RestoredFiles, &j.Warnings} {
		if *p == nil {
			*p = []string{}
		}
	}
	if j.History == nil {
		j.History = []api.Step{}
	}
	return j
}

// SetState moves the zone's job to state (terminal states get their
// result) and fires Changed.
func (f *Fake) SetState(zone, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.indexLocked(zone)
	if i < 0 {
		panic("apitest: no job for " + zone)
	}
	j := &f.jobs[i]
	j.State = state
	j.Result = ResultOf(state)
	j.Terminal = j.Result != ""
	f.fireLocked()
}

// ResultOf maps a terminal state to its result name ("" for the others),
// as the daemon does (fsm.Result).
func ResultOf(state string) string { return fsm.Result(fsm.State(state)) }

// AddLog appends a line to the zone's log and fires Changed.
func (f *Fake) AddLog(zone, kind, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.logs[zone]
	f.logs[zone] = append(l, api.LogLine{Seq: uint64(len(l) + 1), Time: time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC), Kind: kind, Text: text})
	f.fireLocked()
}

// Finish closes Done (with HoldDone).
func (f *Fake) Finish() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishLocked()
}

func (f *Fake) finishLocked() {
	select {
	case <-f.done:
	default:
		close(f.done)
	}
}

func (f *Fake) indexLocked(zone string) int {
	return slices.IndexFunc(f.jobs, func(j api.Job) bool { return j.Zone == zone })
}

func (f *Fake) fireLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Fake) recordLocked(format string, args ...any) error {
	call := fmt.Sprintf(format, args...)
	f.calls = append(f.calls, call)
	name, _, _ := strings.Cut(call, " ")
	return f.Errs[name]
}

// Enqueue queues every known, valid zone without an active job as job
// "job-ZONE".
func (f *Fake) Enqueue(_ context.Context, req api.EnqueueRequest) ([]api.EnqueueResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.recordLocked("Enqueue %s allow=%s noboot=%v", strings.Join(req.Zones, ","), strings.Join(req.Allow, ","), req.NoBoot)
	var out []api.EnqueueResult
	for _, z := range req.Zones {
		res := api.EnqueueResult{Zone: z}
		switch i := f.indexLocked(z); {
		case err != nil:
			res.Code, res.Error = api.CodeOf(err), err.Error()
		case z == "global":
			res.Code, res.Error = "global", "global zone: the global zone is not upgraded by zoneup"
		case f.Known != nil && !slices.Contains(f.Known, z):
			res.Code, res.Error = "unknown-zone", "no such zone on the host: "+z
		case i >= 0 && !f.jobs[i].Terminal:
			res.Code, res.Error = "active", fmt.Sprintf("zone already has a job: %s has job %s", z, f.jobs[i].ID)
		default:
			res.ID = "job-" + z
			f.putLocked(api.Job{Zone: z, ID: res.ID, State: "queued", Allow: req.Allow, NoBoot: req.NoBoot, Attempt: 1, Enqueued: f.nowLocked()})
		}
		out = append(out, res)
	}
	return out, nil
}

func (f *Fake) nowLocked() time.Time {
	if f.Now.IsZero() {
		return time.Now()
	}
	return f.Now
}

// Jobs hands out the jobs in enqueue order.
func (f *Fake) Jobs(_ context.Context, fn func(api.Job) error) error {
	return f.each("Jobs", func(api.Job) bool { return true }, fn)
}

// ActiveJobs hands out the jobs that are not terminal, in enqueue order.
func (f *Fake) ActiveJobs(_ context.Context, fn func(api.Job) error) error {
	return f.each("ActiveJobs", func(j api.Job) bool { return !j.Terminal }, fn)
}

func (f *Fake) each(call string, match func(api.Job) bool, fn func(api.Job) error) error {
	f.mu.Lock()
	err := f.recordLocked("%s", call)
	jobs := slices.Clone(f.jobs)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if !match(j) {
			continue
		}
		if err := fn(j); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fake) Status(_ context.Context, zone string) (api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Status %s", zone); err != nil {
		return api.Job{}, err
	}
	return f.statusLocked(zone)
}

func (f *Fake) statusLocked(zone string) (api.Job, error) {
	i := f.indexLocked(zone)
	if i < 0 {
		return api.Job{}, fmt.Errorf("%w: %s", api.ErrNoJob, zone)
	}
	return f.jobs[i], nil
}

// Cancel ends a job that is not terminal as cancelled.
func (f *Fake) Cancel(_ context.Context, zone string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Cancel %s", zone); err != nil {
		return err
	}
	j, err := f.statusLocked(zone)
	if err != nil {
		return err
	}
	if j.Terminal {
		return fmt.Errorf("%w: %s is %s", api.ErrTerminal, zone, j.State)
	}
	j.State, j.Result, j.Terminal = "cancelled", "cancelled", true
	f.putLocked(j)
	return nil
}

// Retry queues a terminal job again as its next attempt.
func (f *Fake) Retry(_ context.Context, zone string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Retry %s", zone); err != nil {
		return err
	}
	j, err := f.statusLocked(zone)
	if err != nil {
		return err
	}
	if !j.Terminal {
		return fmt.Errorf("%w: %s is %s", api.ErrNotTerminal, zone, j.State)
	}
	j.State, j.Result, j.Terminal, j.Attempt = "queued", "", false, j.Attempt+1
	f.putLocked(j)
	return nil
}

func (f *Fake) Pause(context.Context) error {
	return f.setPaused("Pause", true, "paused by the operator")
}
func (f *Fake) Resume(context.Context) error { return f.setPaused("Resume", false, "") }

func (f *Fake) setPaused(call string, p bool, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("%s", call); err != nil {
		return err
	}
	f.paused, f.reason = p, reason
	f.fireLocked()
	return nil
}

// SetPaused sets the queue's state as the circuit breaker would.
func (f *Fake) SetPaused(p bool, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paused, f.reason = p, reason
	f.fireLocked()
}

// Forget drops the terminal jobs of the zones named (all when none).
func (f *Fake) Forget(_ context.Context, req api.ForgetRequest) (api.ForgetResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Forget"); err != nil {
		return api.ForgetResult{}, err
	}
	var out api.ForgetResult
	f.jobs = slices.DeleteFunc(f.jobs, func(j api.Job) bool {
		drop := j.Terminal && (len(req.Zones) == 0 || slices.Contains(req.Zones, j.Zone)) &&
			(req.Before.IsZero() || j.Ended.Before(req.Before))
		if drop {
			out.Forgotten = append(out.Forgotten, j.ID)
		}
		return drop
	})
	f.fireLocked()
	return out, nil
}

// Report counts results as the daemon does (the request is not looked at).
func (f *Fake) Report(_ context.Context, _ api.ReportRequest) (api.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Report"); err != nil {
		return api.Report{}, err
	}
	rep := api.Report{Generated: f.nowLocked(), Summary: map[string]int{}, Jobs: slices.Clone(f.jobs), Paused: f.paused, Reason: f.reason}
	for _, r := range api.Results {
		rep.Summary[r] = 0
	}
	for _, j := range f.jobs {
		switch {
		case j.Result != "":
			rep.Summary[j.Result]++
		case j.State == "queued":
			rep.Queued++
		default:
			rep.Running++
		}
	}
	return rep, nil
}

func (f *Fake) Log(_ context.Context, zone string, after uint64) ([]api.LogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.recordLocked("Log %s %d", zone, after); err != nil {
		return nil, err
	}
	if _, err := f.statusLocked(zone); err != nil {
		return nil, err
	}
	var out []api.LogLine
	for _, l := range f.logs[zone] {
		if l.Seq > after {
			out = append(out, l)
		}
	}
	return out, nil
}

func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *Fake) Reload(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.recordLocked("Reload")
}

// Shutdown marks the fake stopping and closes Done unless HoldDone.
func (f *Fake) Shutdown() {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.recordLocked("Shutdown")
	f.stopped = true
	if !f.HoldDone {
		f.finishLocked()
	}
	f.fireLocked()
}

// Done is closed by Shutdown, or with HoldDone by Finish.
func (f *Fake) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.asked:
	default:
		close(f.asked)
	}
	return f.done
}

// DoneAsked is closed once something has asked for Done: with HoldDone, a
// shutdown --wait is then waiting for Finish.
func (f *Fake) DoneAsked() <-chan struct{} { return f.asked }

func (f *Fake) Info(context.Context) api.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := api.Info{PID: os.Getpid(), Paused: f.paused, Reason: f.reason, Concurrency: 2, Window: "always", Stopping: f.stopped}
	for _, j := range f.jobs {
		switch {
		case j.State == "queued":
			in.Queued++
		case !j.Terminal:
			in.Running++
		}
	}
	return in
}

// SocketPath returns a fresh socket path short enough for sun_path (about
// 108 bytes), which t.TempDir's test-named folders may not be.
func SocketPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zu")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// Serve serves svc on a fresh socket until the test ends and returns the
// socket's path. Every peer is root unless opts.Creds says otherwise.
func Serve(t testing.TB, svc api.Service, opts api.ServerOptions) (string, *api.Server) {
	t.Helper()
	path := SocketPath(t)
	l, err := api.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Creds == nil {
		opts.Creds = Root
	}
	srv := api.NewServer(svc, opts)
	go srv.Serve(context.Background(), l)
	t.Cleanup(func() { srv.Close() })
	return path, srv
}

// Root is a Creds function for which every peer is root.
func Root(net.Conn) (api.Cred, error) { return api.Cred{PID: os.Getpid()}, nil }

// Polls tells a test when a long poll has started waiting for a change,
// so that it changes something then rather than after a sleep "to let
// the poll start". Pass its Waiting as ServerOptions.PollWaiting.
type Polls struct{ ch chan struct{} }

// NewPolls returns a Polls that has seen no poll yet.
func NewPolls() *Polls { return &Polls{ch: make(chan struct{}, 64)} }

// Waiting is the hook: one more poll waits.
func (p *Polls) Waiting() {
	select {
	case p.ch <- struct{}{}:
	default: // nobody counts this many; Next only needs one
	}
}

// Next returns once the next long poll (the first not returned yet by an
// earlier Next) is waiting, and fails the test after 10 seconds. Call it
// from the test's goroutine.
func (p *Polls) Next(t testing.TB) {
	t.Helper()
	select {
	case <-p.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no long poll started waiting")
	}
}
