// Package api is the control API of zoneupd: HTTP with JSON on a Unix
// socket. The wire types here are shared by the server (this package) and
// the client (daemon/client); the daemon implements Service.
package api

import (
	"context"
	"errors"
	"time"

	"zoneup/fsm"
)

// Version is zoneup's version, of the daemon and of the CLI alike; `make
// build` sets it from VERSION (-ldflags -X zoneup/daemon/api.Version=...).
var Version = "0.1.0"

// Error kinds the service returns (wrapped with %w). The server maps each to
// an HTTP status and a code; the client maps the code back to the same
// sentinel, so zoneupadm can print a distinct message for each.
var (
	ErrBadName     = errors.New("bad zone name")            // 400 "bad-name"
	ErrGlobal      = errors.New("global zone")              // 400 "global"
	ErrReserved    = errors.New("reserved zone name")       // 400 "reserved" (SUNW*)
	ErrUnknownZone = errors.New("no such zone on the host") // 404 "unknown-zone"
	ErrNoJob       = errors.New("no job for zone")          // 404 "no-job"
	ErrActive      = errors.New("zone already has a job")   // 409 "active"
	ErrNotTerminal = errors.New("job is not terminal")      // 409 "not-terminal"
	ErrTerminal    = errors.New("job is already terminal")  // 409 "terminal"
	ErrInvalid     = errors.New("invalid request")          // 400 "invalid"
	ErrStopping    = errors.New("daemon is shutting down")  // 503 "stopping"
	ErrForbidden   = errors.New("permission denied")        // 403 "forbidden"
)

// Job is the JSON job object of SPEC 5 (status --json, list --json elements,
// report --json "jobs"). Arrays are never null.
type Job struct {
	Zone            string   `json:"zone"`
	ID              string   `json:"id"`
	State           string   `json:"state"`
	Terminal        bool     `json:"terminal"`
	Result          string   `json:"result"`
	Rung            string   `json:"rung"`
	Snapshot        string   `json:"snapshot"`
	Allow           []string `json:"allow"`
	RemovedPackages []string `json:"removed_packages"`
	RestoredFiles   []string `json:"restored_files"`
	Warnings        []string `json:"warnings"`
	Error           string   `json:"error"`
	History         []Step   `json:"history"`

	// Extra fields for people; scripts should not need them.
	NoBoot   bool      `json:"no_boot"`
	Enqueued time.Time `json:"enqueued"`
	Started  time.Time `json:"started,omitzero"`
	Ended    time.Time `json:"ended,omitzero"`
	Attempt  int       `json:"attempt"`
	Cause    string    `json:"cause,omitempty"`
	Zonepath string    `json:"zonepath,omitempty"`

	// Waiting says why a queued job has not started (window closed, does
	// not fit, paused, breaker, concurrency full); "" otherwise.
	Waiting string `json:"waiting,omitempty"`
	// StageStarted is when the current stage (or rung) began, for a job
	// that is running.
	StageStarted time.Time `json:"stage_started,omitzero"`
	// Predicted is the expected duration of the whole job in seconds,
	// from earlier upgrades, for a job that is not terminal (0: no history).
	Predicted int64 `json:"predicted_seconds,omitempty"`
	// In a report: the zone's state as the host says now, what it means,
	// and the commands a person runs next.
	HostState string   `json:"host_state,omitempty"`
	Meaning   string   `json:"meaning,omitempty"`
	Next      []string `json:"next,omitempty"`
}

// Step is one entry of a job's history.
type Step struct {
	Stage   string `json:"stage"`
	Rung    string `json:"rung"`
	Started string `json:"started"` // RFC 3339
	Ended   string `json:"ended"`   // RFC 3339, "" while running
	Outcome string `json:"outcome"` // ok, failed, skipped, interrupted ("" while running)
	Error   string `json:"error"`
}

// EnqueueRequest queues zones.
type EnqueueRequest struct {
	Zones  []string `json:"zones"`
	Allow  []string `json:"allow"`
	NoBoot bool     `json:"no_boot"`
}

// EnqueueResult is the outcome for one zone of an enqueue request.
type EnqueueResult struct {
	Zone  string `json:"zone"`
	ID    string `json:"id,omitempty"`    // the new job, when queued
	Code  string `json:"code,omitempty"`  // error code when refused
	Error string `json:"error,omitempty"` // one line, when refused
	// Warning: queued, but something the operator should know now, in the
	// day (the job is predicted to take longer than the whole window).
	Warning string `json:"warning,omitempty"`
}

// ReportRequest chooses the jobs of a report: by default the last window's
// (since the last report when the window is always open); Since, Night
// (a local date, YYYY-MM-DD: the window that opened that day) or All.
type ReportRequest struct {
	Since time.Time
	Night string
	All   bool
}

// ForgetRequest drops terminal jobs: of the zones named (all zones when
// none), ended before Before (any time when zero). At least one of the two
// must be given.
type ForgetRequest struct {
	Zones  []string  `json:"zones"`
	Before time.Time `json:"before,omitzero"`
}

// ForgetResult lists what was dropped.
type ForgetResult struct {
	Forgotten []string `json:"forgotten"` // job ids
}

// LogLine is one line of a job's log.
type LogLine struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"`
	Text string    `json:"text"`
	Tool string    `json:"tool,omitempty"` // whose output: zoneadm, pkg, ...
	Rung string    `json:"rung,omitempty"` // the rung the job was on
}

// Report is the morning report.
type Report struct {
	Generated time.Time `json:"generated"`
	// Scope says which jobs: "the window 2026-12-01 22:00-06:00",
	// "since 2026-12-01 06:00", "all jobs"; From and To bound it.
	Scope   string         `json:"scope"`
	From    time.Time      `json:"from,omitzero"`
	To      time.Time      `json:"to,omitzero"`
	Summary map[string]int `json:"summary"` // count per result name: every name of Results, 0 included
	Running int            `json:"running"` // jobs past queued and not yet terminal
	Queued  int            `json:"queued"`  // jobs waiting to start
	Jobs    []Job          `json:"jobs"`
	Paused  bool           `json:"paused"`
	Reason  string         `json:"reason,omitempty"`
}

// Results are the result names of a terminal job (SPEC 5), in the order
// of fsm.TerminalStates, whose names they are.
var Results = fsm.Results

// Info describes the daemon and its queue.
type Info struct {
	PID         int    `json:"pid"`
	Version     string `json:"version"`
	Paused      bool   `json:"paused"`
	Reason      string `json:"reason,omitempty"`
	Concurrency int    `json:"concurrency"`
	Window      string `json:"window"`
	Running     int    `json:"running"`
	Queued      int    `json:"queued"`
	Stopping    bool   `json:"stopping"`

	WindowOpen bool      `json:"window_open"`
	NextOpen   time.Time `json:"next_open,omitzero"` // when closed: when it opens
	// The circuit breaker: jobs in a row that ended with the same
	// unfixable cause, and the threshold that pauses the queue (0 = off).
	BreakerCause     string            `json:"breaker_cause,omitempty"`
	BreakerCount     int               `json:"breaker_count"`
	BreakerThreshold int               `json:"breaker_threshold"`
	Counts           map[string]int    `json:"counts"`   // jobs per state
	Settings         map[string]string `json:"settings"` // every configuration key's value
}

// Changes is the reply of the long poll GET /v1/changes. Seq counts the
// changes the server has seen; a client passes the last Seq it saw as
// since= and the server answers as soon as its Seq differs, so a change
// that lands between two polls is never missed (and a restarted daemon,
// counting from 1 again, wakes its old clients too).
type Changes struct {
	Seq     uint64 `json:"seq"`
	Changed bool   `json:"changed"` // false: the timeout ran out first
}

// ErrorReply is the body of every error response.
type ErrorReply struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// Service is what the API server needs from the daemon. Every method is
// safe for concurrent use. Every method that does work for a request
// takes the request's context first (it ends when the client hangs up or
// the server shuts down) and stops waiting when it ends; Changed,
// Shutdown and Done only signal, and return at once.
type Service interface {
	// Enqueue queues the zones of req, one result each; an error is a
	// request that is wrong as a whole (a bad allow), nothing queued.
	Enqueue(ctx context.Context, req EnqueueRequest) ([]EnqueueResult, error)
	// Jobs calls fn for every job (latest attempt per job id) in enqueue order.
	Jobs(ctx context.Context, fn func(Job) error) error
	// ActiveJobs is Jobs of the jobs that are not terminal: its cost does
	// not grow with the finished jobs kept (wait asks it at every change).
	ActiveJobs(ctx context.Context, fn func(Job) error) error
	// Status returns the newest job of a zone (ErrNoJob, ErrBadName...).
	Status(ctx context.Context, zone string) (Job, error)
	Cancel(ctx context.Context, zone string) error
	Retry(ctx context.Context, zone string) error
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
	Report(ctx context.Context, req ReportRequest) (Report, error)
	// Forget drops terminal jobs (never one that is not terminal, never a
	// snapshot).
	Forget(ctx context.Context, req ForgetRequest) (ForgetResult, error)
	// Log returns the lines of the zone's newest job after seq.
	Log(ctx context.Context, zone string, after uint64) ([]LogLine, error)
	// Changed returns a channel closed at the next change of any job or of
	// the queue; call again after it fires.
	Changed() <-chan struct{}
	Reload(ctx context.Context) error
	// Shutdown starts the drain and returns at once; Done is closed when the
	// daemon has persisted everything and is about to exit. The drain is
	// the daemon's: no request's context may cut it short.
	Shutdown()
	Done() <-chan struct{}
	Info(ctx context.Context) Info
}

// codes maps each error kind to its wire code and HTTP status.
var codes = []struct {
	err    error
	code   string
	status int
}{
	{ErrBadName, "bad-name", 400},
	{ErrGlobal, "global", 400},
	{ErrReserved, "reserved", 400},
	{ErrInvalid, "invalid", 400},
	{ErrForbidden, "forbidden", 403},
	{ErrUnknownZone, "unknown-zone", 404},
	{ErrNoJob, "no-job", 404},
	{ErrActive, "active", 409},
	{ErrNotTerminal, "not-terminal", 409},
	{ErrTerminal, "terminal", 409},
	{ErrStopping, "stopping", 503},
}

// CodeOf returns the wire code of an error ("internal" for unknown kinds).
func CodeOf(err error) string {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "internal"
}

// StatusOf returns the HTTP status for an error (500 for unknown kinds).
func StatusOf(err error) int {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status
		}
	}
	return 500
}

// ErrorOf returns the sentinel for a wire code, or nil for unknown codes.
func ErrorOf(code string) error {
	for _, c := range codes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}
