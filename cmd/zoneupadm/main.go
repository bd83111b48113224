// Command zoneupadm controls zoneupd through its socket: it queues zones,
// shows jobs, their logs and the morning report, and drives the queue.
// This file holds the dispatch, the exit codes and the error messages; the
// verbs are in verbs.go, the output forms in format.go and report.go.
//
// Exit codes: 0 ok; 1 refused or failed; 2 usage; 130 interrupted. `wait`
// has its own: 0 all done, 1 some job ended otherwise, 2 timed out, 3 any
// error (so that a stopped daemon never reads as a rolled-back zone), 4
// the queue is paused and a job waited for is queued (without
// --through-pause).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/client"
	"zoneup/domain"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// verb is one subcommand: its usage line (shown by --help), a one-line
// description, and what it does.
type verb struct {
	name, args, help string
	run              func(a *app, ctx context.Context, args []string) error
}

func (v *verb) usage() string {
	return strings.TrimSpace("zoneupadm " + v.name + " " + v.args)
}

var verbs = []verb{
	{"enqueue", "[--allow RUNG,...] [--no-boot] ZONE...", "queue zones (RUNG: " + strings.Join(domain.Destructive, ", ") + ")", (*app).enqueue},
	{"list", "[-H] [-p] [-o FIELD,...] [--json]", "one line per job", (*app).list},
	{"status", "ZONE [--json]", "a zone's job and its stage history", (*app).status},
	{"cancel", "ZONE", "drop a queued job; stop a running one at a stage end", (*app).cancel},
	{"retry", "ZONE", "queue a terminal job again (same id and snapshot)", (*app).retry},
	{"pause", "", "start no new jobs; running ones go on", (*app).pause},
	{"resume", "", "start jobs again (also after the circuit breaker)", (*app).resume},
	{"log", "[-f] ZONE", "the zone's log with tool output (-f: follow)", (*app).log},
	{"report", "[--since TIME | --night DATE | --all] [--json]", "the morning report of the last window: outcomes, zone states, what to do next", (*app).report},
	{"info", "[--json]", "the daemon's settings, the window, pause and breaker, jobs per state", (*app).info},
	{"forget", "[--before TIME] [ZONE...]", "drop finished jobs from the database (never a snapshot)", (*app).forget},
	{"wait", "[--timeout DURATION] [--through-pause] [ZONE...]", "until terminal; exit 0 all done, 1 not, 2 timeout, 4 paused", (*app).wait},
	{"version", "", "the versions of zoneupadm and zoneupd", (*app).version},
	{"reload", "", "make zoneupd re-read its configuration", (*app).reload},
	{"shutdown", "[--wait]", "drain and stop zoneupd (--wait: until stopped)", (*app).shutdown},
}

// app is one invocation.
type app struct {
	socket   string
	c        *client.Client
	out, err io.Writer
	now      func() time.Time
	// smfMethod is $SMF_METHOD: set when svc.startd runs zoneupadm as the
	// refresh or stop method.
	smfMethod string
}

// failure is an error that carries its exit code; an empty msg means the
// verb has already said what went wrong.
type failure struct {
	code  int
	msg   string
	usage bool // a usage error: the message names the verb and its help
}

func (f *failure) Error() string { return f.msg }

func usageError(format string, args ...any) error {
	return &failure{code: 2, msg: fmt.Sprintf(format, args...), usage: true}
}

// exitCode ends the run with code without a further message.
func exitCode(code int) error { return &failure{code: code} }

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	a := &app{socket: getenv("ZONEUP_SOCKET"), out: stdout, err: stderr, now: time.Now, smfMethod: getenv("SMF_METHOD")}
	if a.socket == "" {
		a.socket = client.DefaultSocket
	}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch arg := args[0]; {
		case arg == "-h" || arg == "--help":
			usage(stdout)
			return 0
		case arg == "--socket":
			if len(args) < 2 {
				fmt.Fprintf(stderr, "zoneupadm: --socket needs a path\n")
				return 2
			}
			a.socket, args = args[1], args[1:]
		case strings.HasPrefix(arg, "--socket="):
			a.socket = strings.TrimPrefix(arg, "--socket=")
		default:
			fmt.Fprintf(stderr, "zoneupadm: unknown option %s (zoneupadm --help)\n", arg)
			return 2
		}
		args = args[1:]
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "help" {
		if v := findVerb(strings.Join(args[1:], " ")); v != nil {
			fmt.Fprintf(stdout, "usage: %s\n  %s\n", v.usage(), v.help)
		} else {
			usage(stdout)
		}
		return 0
	}
	v := findVerb(args[0])
	if v == nil {
		fmt.Fprintf(stderr, "zoneupadm: unknown verb %q (zoneupadm --help lists them)\n", args[0])
		return 2
	}
	a.c = client.New(a.socket)
	return a.finish(ctx, v, v.run(a, ctx, args[1:]))
}

func findVerb(name string) *verb {
	for i := range verbs {
		if verbs[i].name == name {
			return &verbs[i]
		}
	}
	return nil
}

// finish prints err as one line and maps it to the exit code.
func (a *app) finish(ctx context.Context, v *verb, err error) int {
	var f *failure
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		fmt.Fprintf(a.out, "usage: %s\n  %s\n", v.usage(), v.help)
		return 0
	case errors.As(err, &f):
		switch {
		case f.usage:
			fmt.Fprintf(a.err, "zoneupadm: %s: %s (zoneupadm help %s)\n", v.name, f.msg, v.name)
		case f.msg != "":
			fmt.Fprintf(a.err, "zoneupadm: %s\n", f.msg)
		}
		return f.code
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return 130 // Ctrl-C: the person knows
	default:
		fmt.Fprintf(a.err, "zoneupadm: %s\n", message(err))
		return 1
	}
}

// errHelp: the verb was asked for its usage.
var errHelp = errors.New("help")

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: zoneupadm [--socket PATH] VERB [ARGS]\n")
	fmt.Fprintf(w, "Controls zoneupd through its socket (default %s, or $ZONEUP_SOCKET).\n\n", client.DefaultSocket)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range verbs {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimPrefix(v.usage(), "zoneupadm "), v.help)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nlist -o fields: %s\n", strings.Join(fieldNames(), ","))
}

// message is the one line for an error that is not about one zone.
func message(err error) string {
	switch {
	case errors.Is(err, client.ErrNotRunning):
		return err.Error() // "zoneupd is not running (nothing answers on PATH)"
	case errors.Is(err, api.ErrStopping):
		return "zoneupd is shutting down and accepts nothing new"
	}
	return err.Error()
}

// zoneMessage is the one line for an error about one zone. Local checks
// and the daemon's refusals wrap the same sentinels, so a bad name reads
// the same wherever it was caught.
func zoneMessage(zone string, err error) string {
	zone = oneLineName(zone)
	switch {
	case errors.Is(err, api.ErrBadName):
		return fmt.Sprintf("'%s': not a valid zone name", zone)
	case errors.Is(err, api.ErrGlobal):
		return zone + ": the global zone cannot be upgraded by zoneup"
	case errors.Is(err, api.ErrReserved):
		return zone + ": zone names starting with SUNW are reserved for the system"
	case errors.Is(err, api.ErrUnknownZone):
		return zone + ": no such zone on this host"
	case errors.Is(err, api.ErrNoJob):
		return zone + ": no job for this zone (zoneupadm enqueue " + zone + ")"
	case errors.Is(err, api.ErrActive):
		return zone + ": already has a job that is not terminal (zoneupadm status " + zone + ")"
	case errors.Is(err, api.ErrNotTerminal):
		return zone + ": its job has not ended yet (zoneupadm wait " + zone + ", or cancel it)"
	case errors.Is(err, api.ErrTerminal):
		return zone + ": its job has already ended (" + detail(err, api.ErrTerminal) + ")"
	case errors.Is(err, client.ErrNotRunning), errors.Is(err, api.ErrStopping), errors.Is(err, api.ErrForbidden):
		return message(err)
	}
	return zone + ": " + message(err)
}

// oneLineName is a zone name as typed, unless it holds a character that
// does not print (a newline would break the one line): then those are
// written as Go escapes ('web01\n').
func oneLineName(zone string) string {
	if strings.IndexFunc(zone, func(r rune) bool { return !strconv.IsPrint(r) }) < 0 {
		return zone
	}
	q := strconv.Quote(zone)
	return q[1 : len(q)-1]
}

// detail is the daemon's message without the sentinel's own words.
func detail(err, kind error) string {
	return strings.TrimPrefix(err.Error(), kind.Error()+": ")
}

// zoneError wraps zoneMessage as an exit-1 failure.
func zoneError(zone string, err error) error {
	return &failure{code: 1, msg: zoneMessage(zone, err)}
}
