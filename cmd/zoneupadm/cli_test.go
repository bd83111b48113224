package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
)

// cli runs zoneupadm in this process against a fake daemon.
type cli struct {
	t    testing.TB
	sock string
	srv  *api.Server
	f    *apitest.Fake
	// polls says when a long poll waits; conns gets a value for each new
	// connection to the socket.
	polls *apitest.Polls
	conns chan struct{}
}

func newCLI(t testing.TB) *cli {
	f := apitest.NewFake()
	f.Known = []string{"web01", "web02", "db01"}
	c := &cli{t: t, f: f, polls: apitest.NewPolls(), conns: make(chan struct{}, 64)}
	c.sock, c.srv = apitest.Serve(t, f, api.ServerOptions{PollWaiting: c.polls.Waiting, Creds: func(conn net.Conn) (api.Cred, error) {
		select {
		case c.conns <- struct{}{}:
		default:
		}
		return apitest.Root(conn)
	}})
	return c
}

// connected returns once zoneupadm has opened one more connection to the
// socket.
func (c *cli) connected() {
	c.t.Helper()
	select {
	case <-c.conns:
	case <-time.After(10 * time.Second):
		c.t.Fatal("zoneupadm did not connect")
	}
}

// result is what one zoneupadm run left.
type result struct {
	code     int
	out, err string
}

// start runs zoneupadm in the background; its result comes on the channel.
func (c *cli) start(ctx context.Context, args ...string) <-chan result {
	done := make(chan result, 1)
	go func() {
		var r result
		r.code, r.out, r.err = c.runCtx(ctx, args...)
		done <- r
	}()
	return done
}

// ended waits for a run start began (and fails the test after a while).
func ended(t testing.TB, done <-chan result) result {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("zoneupadm did not end")
		return result{}
	}
}

// run returns the exit code, stdout and stderr of one invocation.
func (c *cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	return c.runCtx(context.Background(), args...)
}

func (c *cli) runCtx(ctx context.Context, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errw bytes.Buffer
	env := func(k string) string {
		if k == "ZONEUP_SOCKET" {
			return c.sock
		}
		return ""
	}
	code := run(ctx, args, env, &out, &errw)
	return code, out.String(), errw.String()
}

func TestEnqueueMessages(t *testing.T) {
	c := newCLI(t)
	code, out, errs := c.run("enqueue", "--allow", "7,remove-conflicts", "web01", "x y", "global", "SUNWdefault", "nosuch", "web02", "--no-boot")
	if code != 1 {
		t.Errorf("exit %d, want 1 (some refused)", code)
	}
	wantOut := "web01: queued as job job-web01\nweb02: queued as job job-web02\n"
	wantErr := strings.Join([]string{
		"zoneupadm: 'x y': not a valid zone name",
		"zoneupadm: global: the global zone cannot be upgraded by zoneup",
		"zoneupadm: SUNWdefault: zone names starting with SUNW are reserved for the system",
		"zoneupadm: nosuch: no such zone on this host",
	}, "\n") + "\n"
	if out != wantOut || errs != wantErr {
		t.Errorf("stdout\n%s\nstderr\n%s", out, errs)
	}
	// Names that can never be jobs are not even sent.
	if calls := c.f.Calls(); !slices.Equal(calls, []string{"Enqueue web01,nosuch,web02 allow=recreate-image,remove-conflicts noboot=true"}) {
		t.Errorf("calls %q", calls)
	}

	code, _, errs = c.run("enqueue", "web01")
	if code != 1 || errs != "zoneupadm: web01: already has a job that is not terminal (zoneupadm status web01)\n" {
		t.Errorf("active: %d %q", code, errs)
	}
	code, out, _ = c.run("enqueue", "db01")
	if code != 0 || out != "db01: queued as job job-db01\n" {
		t.Errorf("all queued: %d %q", code, out)
	}
}

func TestEnqueueUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"enqueue"},
		{"enqueue", "--allow", "image-update", "web01"},
		{"enqueue", "--allow", "nuke", "web01"},
		{"enqueue", "--allow"},
		{"enqueue", "--force", "web01"},
	} {
		code, out, errs := c.run(args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, "zoneupadm: enqueue: ") || !strings.HasSuffix(errs, " (zoneupadm help enqueue)\n") || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d, %q %q", args, code, out, errs)
		}
	}
	if calls := c.f.Calls(); len(calls) != 0 {
		t.Errorf("usage errors reached the daemon: %q", calls)
	}
}

func TestNotRunningMessage(t *testing.T) {
	c := newCLI(t)
	c.sock = apitest.SocketPath(t) // nobody listens there
	for _, args := range [][]string{{"list"}, {"enqueue", "web01"}, {"status", "web01"}, {"wait"}, {"report"}, {"pause"}} {
		code, _, errs := c.run(args...)
		want := 1
		if args[0] == "wait" {
			want = 3 // wait keeps 1 for "a job did not end done"
		}
		if code != want || errs != "zoneupadm: zoneupd is not running (nothing answers on "+c.sock+")\n" {
			t.Errorf("%q: exit %d, %q", args, code, errs)
		}
	}
	code, out, errs := c.run("shutdown", "--wait")
	if code != 0 || errs != "" || !strings.Contains(out, "not running") {
		t.Errorf("shutdown without a daemon: %d %q %q", code, out, errs)
	}
}

// night puts a morning's worth of jobs into the fake.
func night(f *apitest.Fake) {
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	f.Put(api.Job{Zone: "web01", ID: "20240501T010000Z-a1", State: "done", Terminal: true, Result: "upgraded", Rung: "remove-conflicts",
		Snapshot: "rpool/zones/web01@zoneup-20240501T010000Z-a1", Allow: []string{"remove-conflicts"},
		RemovedPackages: []string{"web/server/apache-22", "web/php-52"}, Attempt: 1,
		Enqueued: t0, Started: t0, Ended: t0.Add(3*time.Minute + 12*time.Second),
		History: []api.Step{{Stage: "preflight", Started: "2024-05-01T01:00:00Z", Ended: "2024-05-01T01:00:02Z", Outcome: "ok"},
			{Stage: "attach", Rung: "attach-update", Started: "2024-05-01T01:00:02Z", Ended: "2024-05-01T01:01:00Z", Outcome: "failed", Error: "no solution: entire"}}})
	f.Put(api.Job{Zone: "db01", ID: "20240501T010000Z-b2", State: "rolled-back", Terminal: true, Result: "rolled-back",
		Snapshot: "rpool/zones/db01@zoneup-20240501T010000Z-b2", Error: "not rescued within policy: no solution", Attempt: 1,
		Enqueued: t0, Started: t0, Ended: t0.Add(10 * time.Minute),
		History: []api.Step{{Stage: "remediate", Rung: "recreate-image", Started: "2024-05-01T01:09:00Z", Ended: "2024-05-01T01:09:00Z",
			Outcome: "skipped", Error: "destructive rung not allowed by policy"}}})
	f.Put(api.Job{Zone: "web02", ID: "20240501T010000Z-c3", State: "attach", Attempt: 1, Enqueued: t0, Started: time.Now().Add(-5 * time.Second)})
}

func TestListForms(t *testing.T) {
	c := newCLI(t)
	night(c.f)
	code, out, _ := c.run("list", "-H", "-o", "zone,result,snapshot")
	want := "web01  upgraded     rpool/zones/web01@zoneup-20240501T010000Z-a1\n" +
		"db01   rolled-back  rpool/zones/db01@zoneup-20240501T010000Z-b2\n" +
		"web02  -            -\n"
	if code != 0 || out != want {
		t.Errorf("list -H -o: %d\n%s", code, out)
	}
	code, out, _ = c.run("list")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "ZONE   STATE        RUNG              STAGE_ELAPSED  RESULT       ELAPSED  WAITING  ID") ||
		!strings.Contains(lines[1], "remove-conflicts  -              upgraded     3m12s    -        20240501T010000Z-a1") {
		t.Errorf("list:\n%s", out)
	}
	code, out, _ = c.run("list", "-Hpo", "zone,error,removed_packages")
	want = "web01::web/server/apache-22,web/php-52\n" +
		"db01:not rescued within policy\\: no solution:\n" +
		"web02::\n"
	if code != 0 || out != want {
		t.Errorf("list -p:\n%s", out)
	}
	code, out, _ = c.run("list", "--json")
	var jobs []api.Job
	if err := json.Unmarshal([]byte(out), &jobs); code != 0 || err != nil || len(jobs) != 3 || jobs[0].RemovedPackages[1] != "web/php-52" {
		t.Errorf("list --json: %d %v\n%s", code, err, out)
	}
	code, _, errs := c.run("list", "-o", "zone,colour")
	if code != 2 || !strings.Contains(errs, `unknown field "colour"`) {
		t.Errorf("unknown field: %d %q", code, errs)
	}
	code, _, _ = c.run("list", "--json", "-H")
	if code != 2 {
		t.Errorf("--json -H: exit %d", code)
	}
}

func TestStatus(t *testing.T) {
	c := newCLI(t)
	night(c.f)
	code, out, _ := c.run("status", "web01", "--json")
	var j api.Job
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil || j.Rung != "remove-conflicts" || len(j.History) != 2 {
		t.Fatalf("status --json: %d %v\n%s", code, err, out)
	}
	code, out, _ = c.run("status", "web01")
	for _, want := range []string{
		"zone:             web01\n",
		"removed packages: web/server/apache-22\n                  web/php-52\n",
		"snapshot:         rpool/zones/web01@zoneup-20240501T010000Z-a1\n",
		"STAGE      RUNG           STARTED", "attach     attach-update  ", "failed   no solution: entire\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := c.run("status", "db02"); code != 1 || errs != "zoneupadm: db02: no job for this zone (zoneupadm enqueue db02)\n" {
		t.Errorf("no job: %d %q", code, errs)
	}
	if code, _, errs := c.run("status", "global"); code != 1 || !strings.Contains(errs, "global zone cannot be upgraded") {
		t.Errorf("global: %d %q", code, errs)
	}
	if code, _, _ := c.run("status"); code != 2 {
		t.Errorf("no zone: exit %d", code)
	}
}

func TestCancelRetryQueue(t *testing.T) {
	c := newCLI(t)
	night(c.f)
	if code, out, _ := c.run("cancel", "web02"); code != 0 || !strings.HasPrefix(out, "web02: job 20240501T010000Z-c3 cancelled") {
		t.Errorf("cancel: %d %q", code, out)
	}
	if code, _, errs := c.run("cancel", "web01"); code != 1 || !strings.HasPrefix(errs, "zoneupadm: web01: its job has already ended (web01 is done)") {
		t.Errorf("cancel of a done job: %d %q", code, errs)
	}
	if code, out, _ := c.run("retry", "db01"); code != 0 || out != "db01: queued again as job 20240501T010000Z-b2 (attempt 2)\n" {
		t.Errorf("retry: %d %q", code, out)
	}
	if code, _, errs := c.run("retry", "db01"); code != 1 || !strings.Contains(errs, "db01: its job has not ended yet") {
		t.Errorf("retry of a queued job: %d %q", code, errs)
	}
	for _, v := range []string{"pause", "resume", "reload"} {
		if code, out, _ := c.run(v); code != 0 || out == "" {
			t.Errorf("%s: %d %q", v, code, out)
		}
	}
	if code, _, _ := c.run("pause", "now"); code != 2 {
		t.Errorf("pause now: exit %d", code)
	}
	want := []string{"Cancel web02", "Status web02", "Cancel web01", "Retry db01", "Status db01", "Retry db01", "Pause", "Resume", "Reload"}
	if got := c.f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %q", got)
	}
}

func TestWaitExitCodes(t *testing.T) {
	t.Run("all done", func(t *testing.T) {
		c := newCLI(t)
		c.f.Put(api.Job{Zone: "web01", ID: "a", State: "done", Terminal: true, Result: "upgraded"})
		if code, out, errs := c.run("wait"); code != 0 || out != "" || errs != "" {
			t.Errorf("exit %d %q %q", code, out, errs)
		}
	})
	t.Run("one not done", func(t *testing.T) {
		c := newCLI(t)
		night(c.f)
		c.f.SetState("web02", "done")
		code, _, errs := c.run("wait")
		if code != 1 || errs != "zoneupadm: not every job ended done: db01 rolled-back\n" {
			t.Errorf("exit %d %q", code, errs)
		}
		if code, _, _ := c.run("wait", "web01", "web02"); code != 0 {
			t.Errorf("wait for the done ones: exit %d", code)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c := newCLI(t)
		night(c.f)
		t0 := time.Now()
		code, _, errs := c.run("wait", "--timeout", "300ms")
		if d := time.Since(t0); code != 2 || d < 300*time.Millisecond || d > 5*time.Second ||
			errs != "zoneupadm: wait: timed out after 300ms; not terminal yet: web02 attach\n" {
			t.Errorf("exit %d after %v: %q", code, d, errs)
		}
	})
	t.Run("paused queue", func(t *testing.T) {
		c := newCLI(t)
		c.f.Put(api.Job{Zone: "web01", ID: "a", State: "queued"})
		if err := c.f.Pause(context.Background()); err != nil {
			t.Fatal(err)
		}
		code, _, errs := c.run("wait", "--timeout", "20s")
		if code != 4 || !strings.Contains(errs, "the queue is paused (paused by the operator)") || !strings.Contains(errs, "web01 queued") {
			t.Errorf("exit %d %q", code, errs)
		}
		// --through-pause waits on, until its own timeout.
		if code, _, errs := c.run("wait", "--through-pause", "--timeout", "200ms"); code != 2 {
			t.Errorf("--through-pause: exit %d %q", code, errs)
		}
	})
	t.Run("all jobs: the active ones at each change, every one once at the end", func(t *testing.T) {
		c := newCLI(t)
		night(c.f)
		done := c.start(context.Background(), "wait", "--timeout", "20s")
		c.polls.Next(t)
		c.f.SetState("web02", "attach")
		c.polls.Next(t)
		c.f.SetState("web02", "done")
		if r := ended(t, done); r.code != 1 || r.err != "zoneupadm: not every job ended done: db01 rolled-back\n" {
			t.Errorf("exit %d %q", r.code, r.err)
		}
		var lists []string
		for _, call := range c.f.Calls() {
			if call == "Jobs" || call == "ActiveJobs" {
				lists = append(lists, call)
			}
		}
		if want := []string{"ActiveJobs", "ActiveJobs", "ActiveJobs", "Jobs"}; !slices.Equal(lists, want) {
			t.Errorf("listings %q, want %q", lists, want)
		}
	})
	t.Run("woken by the change", func(t *testing.T) {
		c := newCLI(t)
		night(c.f)
		t0 := time.Now()
		done := c.start(context.Background(), "wait", "--timeout", "20s", "web02")
		c.polls.Next(t) // wait has looked and waits for a change
		select {
		case r := <-done:
			t.Fatalf("wait ended before its job did: exit %d %q", r.code, r.err)
		default:
		}
		c.f.SetState("web02", "done")
		if r := ended(t, done); r.code != 0 || time.Since(t0) > 5*time.Second {
			t.Errorf("exit %d after %v: %q", r.code, time.Since(t0), r.err)
		}
	})
	t.Run("errors exit 3, apart from 1 (not done) and 2 (timeout)", func(t *testing.T) {
		c := newCLI(t)
		if code, _, _ := c.run("wait", "--timeout", "soon"); code != 3 {
			t.Errorf("--timeout soon: exit %d", code)
		}
		if code, _, errs := c.run("wait", "nojob"); code != 3 || !strings.Contains(errs, "nojob: no job") {
			t.Errorf("no job: exit %d %q", code, errs)
		}
	})
}

func TestLog(t *testing.T) {
	c := newCLI(t)
	night(c.f)
	c.f.AddLog("web02", "tool", "$ zoneadm -z web02 attach -u  (exit 1, 2.1s)")
	c.f.AddLog("web02", "stderr", "ERROR: attach failed\nLog File: /var/log/zones/zoneadm.attach")
	code, out, _ := c.run("log", "web02")
	ts := localTime(time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC))
	want := ts + "  tool        $ zoneadm -z web02 attach -u  (exit 1, 2.1s)\n" +
		ts + "  stderr      ERROR: attach failed\n" +
		strings.Repeat(" ", logIndent) + "Log File: /var/log/zones/zoneadm.attach\n"
	if code != 0 || out != want {
		t.Errorf("log:\n%s\nwant\n%s", out, want)
	}

	// -f prints new lines as they come and ends with the job.
	t0 := time.Now()
	done := c.start(context.Background(), "log", "-f", "web02")
	c.polls.Next(t) // the lines so far are out; -f waits for more
	c.f.AddLog("web02", "event", "attach -> boot")
	c.polls.Next(t)
	c.f.AddLog("web02", "event", "verify -> done")
	c.f.SetState("web02", "done")
	if r := ended(t, done); r.code != 0 || strings.Count(r.out, "\n") != 5 || !strings.HasSuffix(r.out, "verify -> done\n") || time.Since(t0) > 5*time.Second {
		t.Errorf("log -f: exit %d after %v:\n%s", r.code, time.Since(t0), r.out)
	}

	// Ctrl-C ends -f quietly.
	if code, _, errs := c.run("log", "-f", "web01x"); code != 1 || !strings.Contains(errs, "no job") {
		t.Errorf("log -f of no job: %d %q", code, errs)
	}
	c.f.Put(api.Job{Zone: "db01", ID: "d", State: "attach"})
	ctx, cancel := context.WithCancel(context.Background())
	done = c.start(ctx, "log", "-f", "db01")
	c.polls.Next(t)
	cancel()
	if r := ended(t, done); r.code != 130 || r.err != "" {
		t.Errorf("interrupted log -f: %d %q", r.code, r.err)
	}
}

func TestReportVerb(t *testing.T) {
	c := newCLI(t)
	night(c.f)
	c.f.Now = time.Date(2024, 5, 1, 6, 0, 0, 0, time.UTC)
	code, out, _ := c.run("report", "--json")
	var r api.Report
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.Summary["upgraded"] != 1 || r.Running != 1 || r.Summary["blocked"] != 0 || len(r.Summary) != 5 || len(r.Jobs) != 3 {
		t.Fatalf("report --json: %d %v\n%s", code, err, out)
	}
	code, out, _ = c.run("report")
	if code != 0 || !strings.Contains(out, "3 jobs: 1 upgraded, 1 rolled-back, 1 running") {
		t.Errorf("report:\n%s", out)
	}
	// The scope goes to the daemon as asked; two at once is a usage error.
	for _, args := range [][]string{{"--all"}, {"--night", "2024-04-30"}, {"--since", "2024-04-30 22:00"}, {"--since", "2024-04-30T22:00:00Z"}} {
		if code, _, errs := c.run(append([]string{"report"}, args...)...); code != 0 {
			t.Errorf("report %v: %d %s", args, code, errs)
		}
	}
	for _, args := range [][]string{{"--all", "--night", "2024-04-30"}, {"--night", "yesterday"}, {"--since", "soon"}} {
		if code, _, _ := c.run(append([]string{"report"}, args...)...); code != 2 {
			t.Errorf("report %v: exit %d, want 2", args, code)
		}
	}
}

func TestShutdownVerb(t *testing.T) {
	c := newCLI(t)
	if code, out, _ := c.run("shutdown"); code != 0 || !strings.Contains(out, "draining") {
		t.Errorf("shutdown: %d %q", code, out)
	}

	c = newCLI(t)
	c.f.HoldDone = true
	done := c.start(context.Background(), "shutdown", "--wait")
	c.connected() // the request's connection
	<-c.f.DoneAsked()
	c.f.Finish()
	c.connected() // the one zoneupadm holds open to see the daemon go
	c.srv.Close() // the daemon exits
	if r := ended(t, done); r.code != 0 || r.out != "zoneupd has stopped\n" {
		t.Errorf("shutdown --wait: %d %q %q", r.code, r.out, r.err)
	}
}

func TestHelpAndGlobalFlags(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		code, out, _ := c.run(args...)
		if code != 0 {
			t.Errorf("%q: exit %d", args, code)
		}
		for _, v := range verbs {
			if !strings.Contains(out, "\n  "+v.name+" ") && !strings.Contains(out, "\n  "+v.name+"\n") && !strings.Contains(out, "\n  "+v.name) {
				t.Errorf("%q does not list %s:\n%s", args, v.name, out)
			}
		}
	}
	if code, out, _ := c.run("status", "--help"); code != 0 || !strings.HasPrefix(out, "usage: zoneupadm status ZONE [--json]") {
		t.Errorf("status --help: %d %q", code, out)
	}
	if code, _, _ := c.run(); code != 2 {
		t.Errorf("no verb: exit %d", code)
	}
	if code, _, errs := c.run("frobnicate"); code != 2 || !strings.Contains(errs, "unknown verb") {
		t.Errorf("unknown verb: %d %q", code, errs)
	}
	// --socket beats $ZONEUP_SOCKET.
	night(c.f)
	if code, _, errs := c.run("--socket", c.sock+"x", "list"); code != 1 || !strings.Contains(errs, c.sock+"x") {
		t.Errorf("--socket: %d %q", code, errs)
	}
	if code, out, _ := c.run("--socket="+c.sock, "list", "-H", "-o", "zone"); code != 0 || out != "web01\ndb01\nweb02\n" {
		t.Errorf("--socket=: %d %q", code, out)
	}
}

// The CLI refuses a name as the daemon does: SUNW first, then the syntax.
func TestZoneNamesAsTheDaemon(t *testing.T) {
	cases := map[string]error{"web01": nil, "global": api.ErrGlobal, "SUNWdefault": api.ErrReserved, "SUNW!x": api.ErrReserved,
		"-x": api.ErrBadName, "a b": api.ErrBadName, strings.Repeat("a", 64): api.ErrBadName}
	for name, want := range cases {
		if got := checkZone(name); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}
