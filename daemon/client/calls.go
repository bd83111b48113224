package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"zoneup/daemon/api"
)

// Enqueue queues zones; each result says whether its zone was queued (ID)
// or refused (Code, Error). The error is for the request as a whole.
func (c *Client) Enqueue(ctx context.Context, req api.EnqueueRequest) ([]api.EnqueueResult, error) {
	var out []api.EnqueueResult
	err := c.post(ctx, "/v1/enqueue", req, &out)
	return out, err
}

// EachJob calls fn for every job as the daemon streams them, in enqueue
// order, without holding the list. An error from fn stops the stream and
// is returned. A stream cut midway is an error, never a short list.
func (c *Client) EachJob(ctx context.Context, fn func(api.Job) error) error {
	return c.eachJob(ctx, nil, fn)
}

func (c *Client) eachJob(ctx context.Context, q url.Values, fn func(api.Job) error) error {
	return c.call(ctx, http.MethodGet, "/v1/jobs", q, nil, false, func(r io.Reader) error {
		dec := json.NewDecoder(r)
		if t, err := dec.Token(); err != nil {
			return err
		} else if t != json.Delim('[') {
			return fmt.Errorf("job list: want an array, got %v", t)
		}
		for dec.More() {
			var j api.Job
			if err := dec.Decode(&j); err != nil {
				return err
			}
			if err := fn(j); err != nil {
				return err
			}
		}
		_, err := dec.Token() // the closing ]
		return err
	})
}

// Jobs returns every job, in enqueue order.
func (c *Client) Jobs(ctx context.Context) ([]api.Job, error) {
	out := []api.Job{}
	err := c.EachJob(ctx, func(j api.Job) error { out = append(out, j); return nil })
	return out, err
}

// ActiveJobs returns the jobs that are not terminal, in enqueue order: a
// question whose cost does not grow with the finished jobs the daemon
// keeps.
func (c *Client) ActiveJobs(ctx context.Context) ([]api.Job, error) {
	out := []api.Job{}
	err := c.eachJob(ctx, url.Values{"active": {"1"}}, func(j api.Job) error { out = append(out, j); return nil })
	return out, err
}

// JobsJSON copies the daemon's JSON array of jobs to w as it arrives (what
// zoneupadm list --json prints), without decoding it.
func (c *Client) JobsJSON(ctx context.Context, w io.Writer) error {
	return c.call(ctx, http.MethodGet, "/v1/jobs", nil, nil, false, func(r io.Reader) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// Status returns the zone's newest job with its history.
func (c *Client) Status(ctx context.Context, zone string) (api.Job, error) {
	var j api.Job
	err := c.get(ctx, jobPath(zone, ""), nil, &j)
	return j, err
}

// Cancel drops the zone's queued job or asks its running one to stop at
// the next stage boundary; it returns the job as it is then.
func (c *Client) Cancel(ctx context.Context, zone string) (api.Job, error) {
	var j api.Job
	err := c.post(ctx, jobPath(zone, "cancel"), nil, &j)
	return j, err
}

// Retry queues the zone's terminal job again (same id, history and
// snapshot) and returns it.
func (c *Client) Retry(ctx context.Context, zone string) (api.Job, error) {
	var j api.Job
	err := c.post(ctx, jobPath(zone, "retry"), nil, &j)
	return j, err
}

// Pause stops the queue (running jobs go on); Resume starts it again.
func (c *Client) Pause(ctx context.Context) (api.Info, error)  { return c.info(ctx, "/v1/pause") }
func (c *Client) Resume(ctx context.Context) (api.Info, error) { return c.info(ctx, "/v1/resume") }

// Reload makes the daemon re-read its configuration.
func (c *Client) Reload(ctx context.Context) (api.Info, error) { return c.info(ctx, "/v1/reload") }

func (c *Client) info(ctx context.Context, path string) (api.Info, error) {
	var in api.Info
	err := c.post(ctx, path, nil, &in)
	return in, err
}

// Info describes the daemon and its queue.
func (c *Client) Info(ctx context.Context) (api.Info, error) {
	var in api.Info
	err := c.get(ctx, "/v1/info", nil, &in)
	return in, err
}

// Report returns the morning report of the jobs req chooses (the zero
// request: the last window's).
func (c *Client) Report(ctx context.Context, req api.ReportRequest) (api.Report, error) {
	q := url.Values{}
	switch {
	case req.All:
		q.Set("all", "1")
	case req.Night != "":
		q.Set("night", req.Night)
	case !req.Since.IsZero():
		q.Set("since", req.Since.Format(time.RFC3339))
	}
	var r api.Report
	err := c.get(ctx, "/v1/report", q, &r)
	return r, err
}

// Forget drops terminal jobs.
func (c *Client) Forget(ctx context.Context, req api.ForgetRequest) (api.ForgetResult, error) {
	var out api.ForgetResult
	err := c.post(ctx, "/v1/forget", req, &out)
	return out, err
}

// Log returns the log lines of the zone's newest job with a sequence
// number above after (0: all).
func (c *Client) Log(ctx context.Context, zone string, after uint64) ([]api.LogLine, error) {
	var out []api.LogLine
	err := c.get(ctx, jobPath(zone, "log"), url.Values{"after": {strconv.FormatUint(after, 10)}}, &out)
	return out, err
}

// Changes long-polls the daemon: it returns at the next change of any job
// or of the queue from now on, or after timeout with Changed false. A
// change that lands between two calls is not seen by the second; a loop
// that must not miss one uses ChangesSince, or Watch.
func (c *Client) Changes(ctx context.Context, timeout time.Duration) (api.Changes, error) {
	return c.changes(ctx, url.Values{"timeout": {timeout.String()}})
}

// ChangesSince returns when the daemon's change counter differs from since
// (at once if it already does: a change was missed, or the daemon
// restarted), or after timeout with Changed false. ChangesSince(ctx, 0, 0)
// returns the current counter at once.
func (c *Client) ChangesSince(ctx context.Context, since uint64, timeout time.Duration) (api.Changes, error) {
	return c.changes(ctx, url.Values{"since": {strconv.FormatUint(since, 10)}, "timeout": {timeout.String()}})
}

func (c *Client) changes(ctx context.Context, q url.Values) (api.Changes, error) {
	var ch api.Changes
	err := c.call(ctx, http.MethodGet, "/v1/changes", q, nil, true, decodeInto(&ch))
	return ch, err
}

// Watch calls check, and again after every change of the daemon's jobs or
// queue, until check reports done, fails, or ctx ends (ctx.Err()). It never
// sleeps: between checks it long-polls ChangesSince, and it learns the change
// counter before each check, so a change during a check is never missed.
func (c *Client) Watch(ctx context.Context, check func() (done bool, err error)) error {
	cur, err := c.ChangesSince(ctx, 0, 0)
	if err != nil {
		return err
	}
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		for {
			poll := api.DefaultPoll
			if dl, ok := ctx.Deadline(); ok {
				if poll = min(poll, time.Until(dl)); poll <= 0 {
					return context.DeadlineExceeded
				}
			}
			next, err := c.ChangesSince(ctx, cur.Seq, poll)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			if next.Changed {
				cur = next
				break
			}
		}
	}
}

// Shutdown asks the daemon to drain and stop. With wait it returns only
// once the daemon has persisted everything and no longer listens; the
// daemon may exit before its answer is out, so a connection cut after the
// request counts as success once nothing listens any more. Without a
// daemon it returns ErrNotRunning.
func (c *Client) Shutdown(ctx context.Context, wait bool) error {
	q := url.Values{}
	if wait {
		q.Set("wait", "1")
	}
	err := c.call(ctx, http.MethodPost, "/v1/shutdown", q, nil, wait, nil)
	var refused *Error
	if !wait || errors.Is(err, ErrNotRunning) || errors.As(err, &refused) {
		return err
	}
	if gone := c.waitGone(ctx); gone != nil {
		if err != nil {
			return err
		}
		return gone
	}
	return nil
}

// waitGone returns nil once nothing listens on the socket. It holds a
// connection open without sending anything: the daemon's kernel closes it
// when the process exits, so this wakes at the exit, not on a timer. (The
// server's idle timeout may close it earlier; then it connects again.)
func (c *Client) waitGone(ctx context.Context) error {
	buf := make([]byte, 1)
	for {
		conn, err := c.dial(ctx)
		if errors.Is(err, ErrNotRunning) {
			return nil
		}
		if err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
		for err == nil {
			_, err = conn.Read(buf)
		}
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// EnqueueError returns the refusal of one enqueue result as an *Error
// wrapping its api sentinel, or nil when the zone was queued.
func EnqueueError(r api.EnqueueResult) error {
	if r.Code == "" && r.Error == "" {
		return nil
	}
	msg := r.Error
	if msg == "" {
		msg = r.Code
	}
	return &Error{Status: api.StatusOf(api.ErrorOf(r.Code)), Code: r.Code, Message: msg, kind: api.ErrorOf(r.Code)}
}
