package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
)

// wire talks raw HTTP to a socket, so these tests check the wire format
// itself, not what daemon/client makes of it.
type wire struct {
	t  testing.TB
	hc *http.Client
}

func newWire(t testing.TB, sock string) *wire {
	return &wire{t: t, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}}
}

// do sends a request and returns the status and body.
func (w *wire) do(method, path, body string) (int, []byte) {
	w.t.Helper()
	req, err := http.NewRequest(method, "http://zoneupd"+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// ok sends a request that must succeed and decodes its reply into out.
func (w *wire) ok(method, path, body string, out any) {
	w.t.Helper()
	status, b := w.do(method, path, body)
	if status != 200 {
		w.t.Fatalf("%s %s: %d %s", method, path, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// refused sends a request that must fail with status and code.
func (w *wire) refused(method, path, body string, status int, code string) api.ErrorReply {
	w.t.Helper()
	got, b := w.do(method, path, body)
	var r api.ErrorReply
	if err := json.Unmarshal(b, &r); err != nil {
		w.t.Fatalf("%s %s: error reply is not JSON: %v: %s", method, path, err, b)
	}
	if got != status || r.Code != code || r.Error == "" || strings.Contains(r.Error, "\n") {
		w.t.Fatalf("%s %s: got %d %+v, want %d %q with a one-line message", method, path, got, r, status, code)
	}
	return r
}

func serve(t testing.TB, f *apitest.Fake, opts api.ServerOptions) *wire {
	sock, _ := apitest.Serve(t, f, opts)
	return newWire(t, sock)
}

func TestEveryEndpoint(t *testing.T) {
	f := apitest.NewFake()
	f.Known = []string{"web01", "db01"}
	w := serve(t, f, api.ServerOptions{})

	var res []api.EnqueueResult
	w.ok("POST", "/v1/enqueue", `{"zones":["web01","nosuch"],"allow":["recreate-image"],"no_boot":true}`, &res)
	if len(res) != 2 || res[0].ID != "job-web01" || res[1].Code != "unknown-zone" || res[1].Error == "" {
		t.Fatalf("enqueue results %+v", res)
	}

	var jobs []api.Job
	w.ok("GET", "/v1/jobs", "", &jobs)
	if len(jobs) != 1 || jobs[0].Zone != "web01" || !jobs[0].NoBoot || !slices.Equal(jobs[0].Allow, []string{"recreate-image"}) {
		t.Fatalf("jobs %+v", jobs)
	}

	var j api.Job
	w.ok("GET", "/v1/jobs/web01", "", &j)
	if j.ID != "job-web01" || j.State != "queued" || j.History == nil || j.Warnings == nil {
		t.Fatalf("status %+v", j)
	}

	w.ok("POST", "/v1/jobs/web01/cancel", "", &j)
	if j.State != "cancelled" || !j.Terminal {
		t.Fatalf("cancel answered %+v", j)
	}
	w.ok("POST", "/v1/jobs/web01/retry", "", &j)
	if j.State != "queued" || j.Attempt != 2 {
		t.Fatalf("retry answered %+v", j)
	}

	var in api.Info
	w.ok("POST", "/v1/pause", "", &in)
	if !in.Paused || in.Reason == "" {
		t.Fatalf("pause answered %+v", in)
	}
	w.ok("POST", "/v1/resume", "", &in)
	if in.Paused {
		t.Fatalf("resume answered %+v", in)
	}
	w.ok("GET", "/v1/info", "", &in)
	if in.PID != os.Getpid() || in.Queued != 1 {
		t.Fatalf("info %+v", in)
	}

	var rep api.Report
	w.ok("GET", "/v1/report", "", &rep)
	if rep.Queued != 1 || len(rep.Jobs) != 1 {
		t.Fatalf("report %+v", rep)
	}

	f.AddLog("web01", "event", "one")
	f.AddLog("web01", "tool", "two")
	var lines []api.LogLine
	w.ok("GET", "/v1/jobs/web01/log?after=1", "", &lines)
	if len(lines) != 1 || lines[0].Text != "two" || lines[0].Seq != 2 {
		t.Fatalf("log after=1: %+v", lines)
	}
	w.ok("GET", "/v1/jobs/web01/log", "", &lines)
	if len(lines) != 2 {
		t.Fatalf("log: %+v", lines)
	}

	var ch api.Changes
	w.ok("GET", "/v1/changes?since=0&timeout=0s", "", &ch)
	if ch.Seq == 0 || !ch.Changed {
		t.Fatalf("changes since 0: %+v", ch)
	}

	w.ok("POST", "/v1/reload", "", &in)
	w.ok("POST", "/v1/shutdown", "", &in)
	if !in.Stopping {
		t.Fatalf("shutdown answered %+v", in)
	}

	want := []string{
		"Enqueue web01,nosuch allow=recreate-image noboot=true", "Jobs", "Status web01",
		"Cancel web01", "Status web01", "Retry web01", "Status web01", "Pause", "Resume", "Report",
		"Log web01 1", "Log web01 0", "Reload", "Shutdown",
	}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
}

func TestLogOfZoneWithoutJob(t *testing.T) {
	w := serve(t, apitest.NewFake(), api.ServerOptions{})
	w.refused("GET", "/v1/jobs/db01/log", "", 404, "no-job")
	w.refused("GET", "/v1/jobs/db01/log?after=x", "", 400, "invalid")
}

// Every error kind reaches the wire as its status and code; anything else
// is a 500 "internal".
func TestErrorMapping(t *testing.T) {
	f := apitest.NewFake()
	w := serve(t, f, api.ServerOptions{})
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{api.ErrBadName, 400, "bad-name"},
		{api.ErrGlobal, 400, "global"},
		{api.ErrReserved, 400, "reserved"},
		{api.ErrInvalid, 400, "invalid"},
		{api.ErrForbidden, 403, "forbidden"},
		{api.ErrUnknownZone, 404, "unknown-zone"},
		{api.ErrNoJob, 404, "no-job"},
		{api.ErrActive, 409, "active"},
		{api.ErrNotTerminal, 409, "not-terminal"},
		{api.ErrTerminal, 409, "terminal"},
		{api.ErrStopping, 503, "stopping"},
		{errors.New("disk on fire\nsecond line"), 500, "internal"},
	} {
		f.Errs["Status"] = fmt.Errorf("web01: %w", c.err)
		r := w.refused("GET", "/v1/jobs/web01", "", c.status, c.code)
		if !strings.HasPrefix(r.Error, "web01: ") {
			t.Errorf("%v: message %q does not carry the service's text", c.err, r.Error)
		}
		if api.ErrorOf(r.Code) != nil && !errors.Is(c.err, api.ErrorOf(r.Code)) {
			t.Errorf("code %q maps back to %v, not %v", r.Code, api.ErrorOf(r.Code), c.err)
		}
	}
}

func TestMethodsAndPaths(t *testing.T) {
	w := serve(t, apitest.NewFake(), api.ServerOptions{})
	w.refused("GET", "/v1/enqueue", "", 405, "invalid")
	w.refused("DELETE", "/v1/jobs/web01", "", 405, "invalid")
	w.refused("POST", "/v1/jobs", "", 405, "invalid")
	w.refused("GET", "/v1/shutdown", "", 405, "invalid")
	w.refused("GET", "/v2/jobs", "", 404, "invalid")
	w.refused("GET", "/v1/jobs/web01/nonsense", "", 404, "invalid")
	req, _ := http.NewRequest("GET", "http://zoneupd/v1/pause", nil)
	resp, err := w.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Allow") != "POST" {
		t.Errorf("405 Allow header %q", resp.Header.Get("Allow"))
	}
}

func TestRequestBodies(t *testing.T) {
	f := apitest.NewFake()
	w := serve(t, f, api.ServerOptions{})
	big := `{"zones":["` + strings.Repeat("a", api.MaxBody) + `"]}`
	r := w.refused("POST", "/v1/enqueue", big, 413, "invalid")
	if !strings.Contains(r.Error, "larger than") {
		t.Errorf("oversized body: %q", r.Error)
	}
	w.refused("POST", "/v1/enqueue", `{"zones":["web01"],"force":true}`, 400, "invalid")
	w.refused("POST", "/v1/enqueue", `{"zones":["web01"]}{"zones":["web02"]}`, 400, "invalid")
	w.refused("POST", "/v1/enqueue", `{"zones":[]}`, 400, "invalid")
	w.refused("POST", "/v1/enqueue", `zones=web01`, 400, "invalid")
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("refused bodies reached the service: %q", calls)
	}
}

// currentGroup is a group that exists on the test host: the process's own.
func currentGroup(t *testing.T) (string, int) {
	t.Helper()
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skipf("no name for gid %d: %v", os.Getgid(), err)
	}
	gid, _ := strconv.Atoi(g.Gid)
	return g.Name, gid
}

func TestPeerAuthorisation(t *testing.T) {
	group, gid := currentGroup(t)
	other := gid + 4242
	for _, c := range []struct {
		name       string
		adminGroup string
		cred       api.Cred
		credErr    error
		allowed    bool
		msg        string
	}{
		{"root", "", api.Cred{UID: 0, GID: other}, nil, true, ""},
		{"user, no admin group", "", api.Cred{UID: 1000, GID: gid}, nil, false, "permission denied: only root may use zoneupd"},
		{"user outside the group", group, api.Cred{UID: 1000, GID: other, Groups: []int{other + 1}}, nil, false,
			"permission denied: only root or members of group " + group + " may use zoneupd"},
		{"primary group member", group, api.Cred{UID: 1000, GID: gid}, nil, true, ""},
		{"supplementary group member", group, api.Cred{UID: 1000, GID: other, Groups: []int{other + 1, gid}}, nil, true, ""},
		{"group that does not exist", "zoneup-no-such-group", api.Cred{UID: 1000, GID: gid}, nil, false,
			"permission denied: only root or members of group zoneup-no-such-group may use zoneupd"},
		{"no credentials", group, api.Cred{}, errors.New("not supported on plan9"), false, "permission denied: cannot tell who is calling"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := apitest.NewFake()
			w := serve(t, f, api.ServerOptions{AdminGroup: c.adminGroup,
				Creds: func(net.Conn) (api.Cred, error) { return c.cred, c.credErr }})
			if c.allowed {
				w.ok("GET", "/v1/info", "", nil)
				return
			}
			r := w.refused("GET", "/v1/jobs", "", 403, "forbidden")
			if !strings.HasPrefix(r.Error, c.msg) {
				t.Errorf("message %q, want it to start %q", r.Error, c.msg)
			}
			w.refused("POST", "/v1/shutdown", "", 403, "forbidden")
			if calls := f.Calls(); len(calls) != 0 {
				t.Errorf("a refused peer reached the service: %q", calls)
			}
		})
	}
}

// The credentials are looked up once per connection, not per request.
func TestCredsOncePerConnection(t *testing.T) {
	var mu sync.Mutex
	n := 0
	w := serve(t, apitest.NewFake(), api.ServerOptions{Creds: func(net.Conn) (api.Cred, error) {
		mu.Lock()
		n++
		mu.Unlock()
		return api.Cred{}, nil
	}})
	for range 5 {
		w.ok("GET", "/v1/info", "", nil)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 1 {
		t.Errorf("%d credential lookups for one kept-alive connection", n)
	}
}

// The real lookup (SO_PEERCRED here, getpeerucred on Solaris) sees this
// very process on the other end.
func TestRealPeerCred(t *testing.T) {
	got := make(chan api.Cred, 1)
	w := serve(t, apitest.NewFake(), api.ServerOptions{Creds: func(c net.Conn) (api.Cred, error) {
		cred, err := api.PeerCred(c)
		if err != nil {
			t.Skipf("no peer credentials here: %v", err)
		}
		got <- cred
		return cred, err
	}})
	status, _ := w.do("GET", "/v1/info", "")
	c := <-got
	if c.UID != os.Geteuid() || c.GID != os.Getegid() || c.PID != os.Getpid() {
		t.Errorf("peer %+v, this process is uid %d gid %d pid %d", c, os.Geteuid(), os.Getegid(), os.Getpid())
	}
	if groups, _ := os.Getgroups(); len(groups) > 0 && !slices.Equal(c.Groups, groups) {
		t.Errorf("peer groups %v, this process has %v", c.Groups, groups)
	}
	if want := 200; os.Geteuid() != 0 {
		want = 403
		if status != want {
			t.Errorf("non-root test run: status %d, want %d", status, want)
		}
	} else if status != want {
		t.Errorf("root: status %d", status)
	}
}

// manyJobs is a fake with n jobs that look like a night's.
func manyJobs(n int) *apitest.Fake {
	f := apitest.NewFake()
	start := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	for i := range n {
		f.Put(api.Job{
			Zone: fmt.Sprintf("zone%05d", i), ID: fmt.Sprintf("20240501T010000Z-%05d", i), State: "done", Terminal: true,
			Result: "upgraded", Rung: "image-update", Snapshot: fmt.Sprintf("rpool/zones/zone%05d@zoneup-%05d", i, i),
			Allow: []string{"remove-conflicts"}, RemovedPackages: []string{"web/server/apache-22", "web/php-52"},
			Warnings: []string{"svcs -x: svc:/network/smtp:sendmail is maintenance"}, Enqueued: start, Started: start, Ended: start.Add(3 * time.Minute),
			History: []api.Step{{Stage: "preflight", Started: "2024-05-01T01:00:00Z", Ended: "2024-05-01T01:00:01Z", Outcome: "ok"},
				{Stage: "attach", Rung: "attach-update", Started: "2024-05-01T01:00:01Z", Ended: "2024-05-01T01:01:00Z", Outcome: "failed", Error: "no solution"}},
		})
	}
	return f
}

// GET /v1/jobs?active=1: the jobs that are not terminal only.
func TestJobsActive(t *testing.T) {
	f := apitest.NewFake()
	f.Put(api.Job{Zone: "web01", ID: "a", State: "done", Terminal: true})
	f.Put(api.Job{Zone: "web02", ID: "b", State: "attach"})
	f.Put(api.Job{Zone: "db01", ID: "c", State: "rolled-back", Terminal: true})
	w := serve(t, f, api.ServerOptions{})
	var jobs []api.Job
	w.ok("GET", "/v1/jobs?active=1", "", &jobs)
	if len(jobs) != 1 || jobs[0].Zone != "web02" {
		t.Fatalf("active jobs %+v", jobs)
	}
	w.ok("GET", "/v1/jobs?active=0", "", &jobs)
	if len(jobs) != 3 {
		t.Fatalf("active=0: %+v", jobs)
	}
	w.refused("GET", "/v1/jobs?active=yes", "", 400, "invalid")
}

func TestJobsEmpty(t *testing.T) {
	w := serve(t, apitest.NewFake(), api.ServerOptions{})
	status, body := w.do("GET", "/v1/jobs", "")
	if status != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("empty list: %d %q", status, body)
	}
}

// failingJobs hands out some jobs, then fails.
type failingJobs struct {
	*apitest.Fake
	after int
}

func (f failingJobs) Jobs(ctx context.Context, fn func(api.Job) error) error {
	n := 0
	err := f.Fake.Jobs(ctx, func(j api.Job) error {
		if n++; n > f.after {
			return errors.New("bbolt: read failed")
		}
		return fn(j)
	})
	return err
}

func TestJobsStreamFailure(t *testing.T) {
	t.Run("before the first job", func(t *testing.T) {
		sock, _ := apitest.Serve(t, failingJobs{manyJobs(3), 0}, api.ServerOptions{})
		newWire(t, sock).refused("GET", "/v1/jobs", "", 500, "internal")
	})
	t.Run("midway", func(t *testing.T) {
		sock, _ := apitest.Serve(t, failingJobs{manyJobs(100), 50}, api.ServerOptions{})
		// The connection is cut: before the headers if the first jobs
		// were still buffered, else midway through the body.
		resp, err := newWire(t, sock).hc.Get("http://zoneupd/v1/jobs")
		if err != nil {
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil {
			t.Fatalf("a failed list arrived whole-looking: %s", body)
		}
		var jobs []api.Job
		if json.Unmarshal(body, &jobs) == nil {
			t.Errorf("truncated list parses as %d jobs", len(jobs))
		}
	})
}

func TestLongPoll(t *testing.T) {
	f := apitest.NewFake()
	polls := apitest.NewPolls()
	w := serve(t, f, api.ServerOptions{PollWaiting: polls.Waiting})
	var cur api.Changes
	w.ok("GET", "/v1/changes?since=0&timeout=0s", "", &cur)

	t.Run("returns on a change", func(t *testing.T) {
		var ch api.Changes
		done := make(chan struct{})
		t0 := time.Now()
		go func() {
			defer close(done)
			w.ok("GET", fmt.Sprintf("/v1/changes?since=%d&timeout=20s", cur.Seq), "", &ch)
		}()
		polls.Next(t) // the poll waits: the change below wakes it, not a look before it
		f.Put(api.Job{Zone: "web01", ID: "j1", State: "attach"})
		<-done
		if !ch.Changed || ch.Seq == cur.Seq || time.Since(t0) > 5*time.Second {
			t.Errorf("poll answered %+v after %v", ch, time.Since(t0))
		}
		cur = ch
	})
	t.Run("returns at the timeout", func(t *testing.T) {
		var ch api.Changes
		t0 := time.Now()
		w.ok("GET", fmt.Sprintf("/v1/changes?since=%d&timeout=150ms", cur.Seq), "", &ch)
		polls.Next(t)
		if d := time.Since(t0); ch.Changed || ch.Seq != cur.Seq || d < 150*time.Millisecond || d > 5*time.Second {
			t.Errorf("poll answered %+v after %v", ch, d)
		}
	})
	t.Run("a change between polls is not missed", func(t *testing.T) {
		f.SetState("web01", "done")
		var ch api.Changes
		t0 := time.Now()
		w.ok("GET", fmt.Sprintf("/v1/changes?since=%d&timeout=20s", cur.Seq), "", &ch)
		if !ch.Changed || time.Since(t0) > 5*time.Second {
			t.Errorf("poll answered %+v after %v", ch, time.Since(t0))
		}
	})
	t.Run("a counter from another daemon wakes at once", func(t *testing.T) {
		var ch api.Changes
		w.ok("GET", "/v1/changes?since=999999&timeout=20s", "", &ch)
		if !ch.Changed {
			t.Errorf("poll answered %+v", ch)
		}
	})
	t.Run("bad parameters", func(t *testing.T) {
		w.refused("GET", "/v1/changes?timeout=soon", "", 400, "invalid")
		w.refused("GET", "/v1/changes?since=-1", "", 400, "invalid")
	})
}

func TestCloseEndsLongPoll(t *testing.T) {
	polls := apitest.NewPolls()
	sock, srv := apitest.Serve(t, apitest.NewFake(), api.ServerOptions{PollWaiting: polls.Waiting})
	w := newWire(t, sock)
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := w.hc.Get("http://zoneupd/v1/changes?timeout=60s")
		if err == nil {
			resp.Body.Close()
		}
	}()
	polls.Next(t)
	srv.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("long poll outlived the server")
	}
}

// When Serve's context ends (the daemon is done), the long poll in flight
// is answered "stopping" at once, no new connection is taken, the request
// in flight gets to finish, and Serve returns having left nothing running:
// the change feed's goroutine and every connection's are gone.
func TestServeEndsWithItsContext(t *testing.T) {
	before := runtime.NumGoroutine()
	f := apitest.NewFake()
	f.HoldDone = true
	polls := apitest.NewPolls()
	sock := apitest.SocketPath(t)
	l, err := api.Listen(sock, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(f, api.ServerOptions{Creds: apitest.Root, PollWaiting: polls.Waiting})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	w := newWire(t, sock)
	var cur api.Changes
	w.ok("GET", "/v1/changes?since=0&timeout=0s", "", &cur) // answered at once: no poll waits

	type reply struct {
		status int
		body   []byte
	}
	poll, shutdown := make(chan reply, 1), make(chan reply, 1)
	go func() {
		resp, err := w.hc.Get(fmt.Sprintf("http://zoneupd/v1/changes?since=%d&timeout=10m", cur.Seq))
		if err != nil {
			poll <- reply{0, []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		poll <- reply{resp.StatusCode, body}
	}()
	polls.Next(t)
	go func() {
		resp, err := w.hc.Post("http://zoneupd/v1/shutdown?wait=1", "", nil)
		if err != nil {
			shutdown <- reply{0, []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		shutdown <- reply{resp.StatusCode, body}
	}()
	<-f.DoneAsked() // a request in flight that is not a long poll
	t0 := time.Now()
	cancel()
	select {
	case r := <-poll:
		var e api.ErrorReply
		if err := json.Unmarshal(r.body, &e); err != nil || r.status != 503 || e.Code != "stopping" || time.Since(t0) > 2*time.Second {
			t.Errorf("long poll answered %d %s after %v, want 503 stopping at once", r.status, r.body, time.Since(t0))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the long poll outlived the server's context")
	}
	if _, err := net.Dial("unix", sock); err == nil {
		t.Error("the socket still takes connections")
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	default:
	}
	f.Finish()
	var in api.Info
	if r := <-shutdown; r.status != 200 || json.Unmarshal(r.body, &in) != nil || !in.Stopping {
		t.Errorf("the request in flight was answered %d %q, want its answer", r.status, r.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	w.hc.CloseIdleConnections()
	waitGoroutines(t, before)
}

// waitGoroutines fails the test unless the goroutines are back to n
// within a few seconds (those that ended still take a moment to go).
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestShutdownWait(t *testing.T) {
	f := apitest.NewFake()
	f.HoldDone = true
	w := serve(t, f, api.ServerOptions{})
	answered := make(chan api.Info, 1)
	go func() {
		var in api.Info
		w.ok("POST", "/v1/shutdown?wait=1", "", &in)
		answered <- in
	}()
	<-f.DoneAsked() // the request waits for the drain: it cannot answer before Finish
	select {
	case <-answered:
		t.Fatal("shutdown --wait answered before the daemon was done")
	default:
	}
	f.Finish()
	select {
	case in := <-answered:
		if !in.Stopping {
			t.Errorf("answer %+v", in)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer after Done")
	}
	w.refused("POST", "/v1/shutdown?wait=later", "", 400, "invalid")
}
