package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
	"zoneup/daemon/client"
)

func start(t testing.TB, f *apitest.Fake) (*client.Client, *api.Server) {
	t.Helper()
	sock, srv := apitest.Serve(t, f, api.ServerOptions{})
	return client.New(sock), srv
}

func TestNotRunning(t *testing.T) {
	ctx := context.Background()
	t.Run("no socket file", func(t *testing.T) {
		path := apitest.SocketPath(t)
		_, err := client.New(path).Jobs(ctx)
		if !errors.Is(err, client.ErrNotRunning) || err.Error() != "zoneupd is not running (nothing answers on "+path+")" {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("dead socket file", func(t *testing.T) {
		path := apitest.SocketPath(t)
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
		if _, err := client.New(path).Info(ctx); !errors.Is(err, client.ErrNotRunning) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		if err := client.New(apitest.SocketPath(t)).Shutdown(ctx, true); !errors.Is(err, client.ErrNotRunning) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestServerErrorsKeepTheirKind(t *testing.T) {
	ctx := context.Background()
	f := apitest.NewFake()
	c, _ := start(t, f)
	_, err := c.Status(ctx, "web01")
	var e *client.Error
	if !errors.Is(err, api.ErrNoJob) || !errors.As(err, &e) || e.Code != "no-job" || e.Status != 404 || err.Error() != "no job for zone: web01" {
		t.Fatalf("got %#v", err)
	}
	f.Errs["Report"] = errors.New("bbolt: disk I/O error")
	_, err = c.Report(ctx, api.ReportRequest{})
	if !errors.As(err, &e) || e.Code != "internal" || errors.Unwrap(err) != nil || err.Error() != "bbolt: disk I/O error" {
		t.Fatalf("got %#v", err)
	}
	f.Errs["Pause"] = fmt.Errorf("%w: breaker", api.ErrStopping)
	if _, err := c.Pause(ctx); !errors.Is(err, api.ErrStopping) {
		t.Fatalf("got %v", err)
	}
}

func TestEveryCall(t *testing.T) {
	ctx := context.Background()
	f := apitest.NewFake()
	f.Known = []string{"web01", "db01"}
	c, _ := start(t, f)

	res, err := c.Enqueue(ctx, api.EnqueueRequest{Zones: []string{"web01", "db01", "nosuch"}, Allow: []string{"remove-conflicts"}})
	if err != nil || len(res) != 3 {
		t.Fatalf("enqueue: %v %+v", err, res)
	}
	if client.EnqueueError(res[0]) != nil || !errors.Is(client.EnqueueError(res[2]), api.ErrUnknownZone) {
		t.Errorf("enqueue results %+v", res)
	}
	jobs, err := c.Jobs(ctx)
	if err != nil || len(jobs) != 2 || jobs[1].Zone != "db01" {
		t.Fatalf("jobs: %v %+v", err, jobs)
	}
	var raw bytes.Buffer
	if err := c.JobsJSON(ctx, &raw); err != nil {
		t.Fatal(err)
	}
	var decoded []api.Job
	if err := json.Unmarshal(raw.Bytes(), &decoded); err != nil || len(decoded) != 2 {
		t.Fatalf("raw jobs: %v %s", err, raw.Bytes())
	}
	if j, err := c.Status(ctx, "web01"); err != nil || j.ID != "job-web01" {
		t.Fatalf("status: %v %+v", err, j)
	}
	if j, err := c.Cancel(ctx, "web01"); err != nil || j.State != "cancelled" {
		t.Fatalf("cancel: %v %+v", err, j)
	}
	if j, err := c.Retry(ctx, "web01"); err != nil || j.Attempt != 2 {
		t.Fatalf("retry: %v %+v", err, j)
	}
	if _, err := c.Retry(ctx, "web01"); !errors.Is(err, api.ErrNotTerminal) {
		t.Fatalf("retry of a queued job: %v", err)
	}
	if in, err := c.Pause(ctx); err != nil || !in.Paused {
		t.Fatalf("pause: %v %+v", err, in)
	}
	if in, err := c.Resume(ctx); err != nil || in.Paused {
		t.Fatalf("resume: %v %+v", err, in)
	}
	if _, err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if in, err := c.Info(ctx); err != nil || in.PID != os.Getpid() {
		t.Fatalf("info: %v %+v", err, in)
	}
	if r, err := c.Report(ctx, api.ReportRequest{}); err != nil || r.Queued != 2 {
		t.Fatalf("report: %v %+v", err, r)
	}
	f.AddLog("web01", "event", "a")
	f.AddLog("web01", "stdout", "b\nc")
	if l, err := c.Log(ctx, "web01", 1); err != nil || len(l) != 1 || l[0].Text != "b\nc" {
		t.Fatalf("log: %v %+v", err, l)
	}
	// A zone name is a path segment: odd names must not reach another
	// endpoint.
	if _, err := c.Status(ctx, "../info"); !errors.Is(err, api.ErrNoJob) {
		t.Fatalf("status ../info: %v", err)
	}
	if err := c.Shutdown(ctx, false); err != nil {
		t.Fatal(err)
	}
	want := []string{"Enqueue web01,db01,nosuch allow=remove-conflicts noboot=false", "Jobs", "Jobs", "Status web01",
		"Cancel web01", "Status web01", "Retry web01", "Status web01", "Retry web01", "Pause", "Resume", "Reload",
		"Report", "Log web01 1", "Status ../info", "Shutdown"}
	if got := f.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
}

// Watch wakes on the daemon's change, not on a timer, even one that lands
// while it checks, before it polls.
func TestWatchWakesOnChange(t *testing.T) {
	ctx := context.Background()
	f := apitest.NewFake()
	f.Put(api.Job{Zone: "web01", ID: "j", State: "attach"})
	c, _ := start(t, f)
	checks := 0
	t0 := time.Now()
	err := c.Watch(ctx, func() (bool, error) {
		checks++
		j, err := c.Status(ctx, "web01")
		if checks == 1 {
			f.SetState("web01", "done") // after the look, before the poll
		}
		return j.Terminal, err
	})
	if err != nil || time.Since(t0) > 5*time.Second || checks != 2 {
		t.Fatalf("watch: %v after %v and %d checks", err, time.Since(t0), checks)
	}
}

func TestChanges(t *testing.T) {
	ctx := context.Background()
	f := apitest.NewFake()
	polls := apitest.NewPolls()
	sock, _ := apitest.Serve(t, f, api.ServerOptions{PollWaiting: polls.Waiting})
	c := client.New(sock)
	t0 := time.Now()
	if ch, err := c.Changes(ctx, 100*time.Millisecond); err != nil || ch.Changed || time.Since(t0) < 100*time.Millisecond {
		t.Fatalf("quiet: %v %+v after %v", err, ch, time.Since(t0))
	}
	polls.Next(t) // that one
	type answer struct {
		ch  api.Changes
		err error
	}
	got := make(chan answer, 1)
	t0 = time.Now()
	go func() {
		ch, err := c.Changes(ctx, 20*time.Second)
		got <- answer{ch, err}
	}()
	polls.Next(t) // the change comes once the poll waits: "from now on" includes it
	f.Put(api.Job{Zone: "web01", ID: "j", State: "queued"})
	if a := <-got; a.err != nil || !a.ch.Changed || time.Since(t0) > 5*time.Second {
		t.Fatalf("change: %v %+v after %v", a.err, a.ch, time.Since(t0))
	}
	cur, err := c.ChangesSince(ctx, 0, 0)
	if err != nil || cur.Seq == 0 {
		t.Fatalf("current: %v %+v", err, cur)
	}
	f.SetState("web01", "done") // between two polls
	if ch, err := c.ChangesSince(ctx, cur.Seq, 20*time.Second); err != nil || !ch.Changed || ch.Seq == cur.Seq {
		t.Fatalf("since: %v %+v", err, ch)
	}
}

func TestWatchDeadline(t *testing.T) {
	c, _ := start(t, apitest.NewFake())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := c.Watch(ctx, func() (bool, error) { return false, nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 3*time.Second {
		t.Fatalf("watch: %v after %v", err, time.Since(t0))
	}
}

// Shutdown with wait returns once the daemon is done and gone.
func TestShutdownWait(t *testing.T) {
	f := apitest.NewFake()
	f.HoldDone = true
	conns := make(chan struct{}, 8)
	sock, srv := apitest.Serve(t, f, api.ServerOptions{Creds: func(c net.Conn) (api.Cred, error) {
		conns <- struct{}{}
		return apitest.Root(c)
	}})
	c := client.New(sock)
	returned := make(chan error, 1)
	go func() { returned <- c.Shutdown(context.Background(), true) }()
	<-conns // the request's
	<-f.DoneAsked()
	f.Finish()
	<-conns // the one the client holds open to see the daemon go
	select {
	case err := <-returned:
		t.Fatalf("returned while the daemon still listens: %v", err)
	default:
	}
	srv.Close() // what the daemon's exit does to its socket
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown(wait) did not return after the daemon went away")
	}
}
