package api

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Long poll bounds: a client that gives no timeout waits DefaultPoll; none
// may hold a request longer than MaxPoll.
const (
	DefaultPoll = 30 * time.Second
	MaxPoll     = 10 * time.Minute
)

// POST /v1/enqueue: EnqueueRequest -> []EnqueueResult (200 even when some
// zones are refused: each result says so).
func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	var req EnqueueRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if len(req.Zones) == 0 {
		s.fail(w, fmt.Errorf("%w: no zones given", ErrInvalid))
		return
	}
	res, err := s.svc.Enqueue(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	if res == nil {
		res = []EnqueueResult{}
	}
	writeJSON(w, res)
}

// GET /v1/jobs[?active=1]: a JSON array of Job (with active=1, of the jobs
// that are not terminal), written one element at a time as the service
// hands them out, one job per line. Nothing is collected first, so a long
// list costs the daemon no memory and starts arriving at once.
func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	each := s.svc.Jobs
	switch v := r.URL.Query().Get("active"); v {
	case "", "0":
	case "1":
		each = s.svc.ActiveJobs
	default:
		s.fail(w, fmt.Errorf("%w: active=%q: want 1 or 0", ErrInvalid, v))
		return
	}
	var buf []byte
	// Fewer, larger writes than the response's own 4 KiB buffer makes.
	out := bufio.NewWriterSize(w, 64<<10)
	n := 0
	err := each(r.Context(), func(j Job) error {
		if err := r.Context().Err(); err != nil {
			return err
		}
		buf = buf[:0]
		if n == 0 {
			w.Header().Set("Content-Type", "application/json")
			buf = append(buf, "[\n"...)
		} else {
			buf = append(buf, ",\n"...)
		}
		buf = j.AppendJSON(buf) // what json.Marshal gives, without reflection
		n++
		_, err := out.Write(buf)
		return err
	})
	switch {
	case err != nil && n == 0:
		s.fail(w, err)
	case err != nil:
		// The 200 is out already. Cut the connection so the client sees a
		// truncated array, never a short list that looks whole.
		if r.Context().Err() == nil {
			s.log.Error().Err(err).Int("sent", n).Msg("job list failed midway")
		}
		panic(http.ErrAbortHandler)
	case n == 0:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]\n"))
	default:
		_, _ = out.WriteString("\n]\n")
		_ = out.Flush()
	}
}

// GET /v1/jobs/{zone}: the zone's newest job, with its history.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	j, err := s.svc.Status(r.Context(), r.PathValue("zone"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, j)
}

// POST /v1/jobs/{zone}/cancel: the job as it is after the request (a
// running job shows cancellation only at its next stage boundary).
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, s.svc.Cancel)
}

// POST /v1/jobs/{zone}/retry: the job, queued again.
func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, s.svc.Retry)
}

func (s *Server) act(w http.ResponseWriter, r *http.Request, fn func(context.Context, string) error) {
	zone := r.PathValue("zone")
	if err := fn(r.Context(), zone); err != nil {
		s.fail(w, err)
		return
	}
	j, err := s.svc.Status(r.Context(), zone)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, j)
}

// GET /v1/jobs/{zone}/log?after=SEQ: the log lines of the zone's newest
// job with a sequence number above SEQ (default 0: all).
func (s *Server) logLines(w http.ResponseWriter, r *http.Request) {
	var after uint64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: after=%q: not a sequence number", ErrInvalid, v))
			return
		}
		after = n
	}
	lines, err := s.svc.Log(r.Context(), r.PathValue("zone"), after)
	if err != nil {
		s.fail(w, err)
		return
	}
	if lines == nil {
		lines = []LogLine{}
	}
	writeJSON(w, lines)
}

// POST /v1/pause, /v1/resume, /v1/reload: Info after the change.
func (s *Server) pause(w http.ResponseWriter, r *http.Request)  { s.queueOp(w, r, s.svc.Pause) }
func (s *Server) resume(w http.ResponseWriter, r *http.Request) { s.queueOp(w, r, s.svc.Resume) }
func (s *Server) reload(w http.ResponseWriter, r *http.Request) { s.queueOp(w, r, s.svc.Reload) }

func (s *Server) queueOp(w http.ResponseWriter, r *http.Request, fn func(context.Context) error) {
	if err := fn(r.Context()); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, s.svc.Info(r.Context()))
}

// GET /v1/report[?since=RFC3339|night=YYYY-MM-DD|all=1]: the morning
// report, by default of the last window.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var req ReportRequest
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: since=%q: not an RFC 3339 time", ErrInvalid, v))
			return
		}
		req.Since = t
	}
	if v := q.Get("night"); v != "" {
		if _, err := time.Parse("2006-01-02", v); err != nil {
			s.fail(w, fmt.Errorf("%w: night=%q: not a date (YYYY-MM-DD)", ErrInvalid, v))
			return
		}
		req.Night = v
	}
	if v := q.Get("all"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: all=%q: not a boolean", ErrInvalid, v))
			return
		}
		req.All = b
	}
	n := 0
	for _, set := range []bool{!req.Since.IsZero(), req.Night != "", req.All} {
		if set {
			n++
		}
	}
	if n > 1 {
		s.fail(w, fmt.Errorf("%w: give one of since, night and all", ErrInvalid))
		return
	}
	rep, err := s.svc.Report(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	if rep.Summary == nil {
		rep.Summary = map[string]int{}
	}
	if rep.Jobs == nil {
		rep.Jobs = []Job{}
	}
	writeJSON(w, rep)
}

// GET /v1/changes?since=SEQ&timeout=30s: the long poll. It answers when
// the server's change counter differs from SEQ (at once if it does), when
// the timeout runs out, or when the server stops. Without since it waits
// for the next change from now; timeout=0 answers at once, which is how a
// client learns the current counter before it looks at the jobs. A poll
// the server's shutdown ends is answered ErrStopping.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	timeout := DefaultPoll
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			s.fail(w, fmt.Errorf("%w: timeout=%q: not a duration", ErrInvalid, v))
			return
		}
		timeout = min(d, MaxPoll)
	}
	since, _ := s.feed.current()
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: since=%q: not a sequence number", ErrInvalid, v))
			return
		}
		since = n
	}
	liftDeadlines(w, time.Now().Add(timeout+30*time.Second))
	ctx, done := s.pollContext(r)
	defer done()
	ch := s.feed.wait(ctx, since, timeout)
	if s.ctx.Err() != nil {
		// The server is shutting down: say so, rather than "no change",
		// which a client would answer by polling again at once.
		s.fail(w, fmt.Errorf("%w: the control socket closes", ErrStopping))
		return
	}
	writeJSON(w, ch)
}

// POST /v1/shutdown[?wait=1]: start the drain. With wait, answer only once
// the daemon has persisted everything (Service.Done), which may take the
// whole drain grace.
func (s *Server) shutdown(w http.ResponseWriter, r *http.Request) {
	wait := false
	if v := r.URL.Query().Get("wait"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.fail(w, fmt.Errorf("%w: wait=%q: not a boolean", ErrInvalid, v))
			return
		}
		wait = b
	}
	s.log.Info().Bool("wait", wait).Msg("shutdown requested")
	s.svc.Shutdown()
	if wait {
		liftDeadlines(w, time.Time{})
		select {
		case <-s.svc.Done():
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, s.svc.Info(r.Context()))
}

// POST /v1/forget: ForgetRequest -> ForgetResult.
func (s *Server) forget(w http.ResponseWriter, r *http.Request) {
	var req ForgetRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if len(req.Zones) == 0 && req.Before.IsZero() {
		s.fail(w, fmt.Errorf("%w: forget needs zones or a time before which jobs ended", ErrInvalid))
		return
	}
	res, err := s.svc.Forget(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	if res.Forgotten == nil {
		res.Forgotten = []string{}
	}
	writeJSON(w, res)
}

// GET /v1/info: the daemon and its queue.
func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.svc.Info(r.Context()))
}

// liftDeadlines replaces the server's read and write timeouts for one long
// request (zero: none). The read deadline matters too: net/http keeps a
// read pending to notice a client hanging up, and its timeout would cancel
// the request.
func liftDeadlines(w http.ResponseWriter, t time.Time) {
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(t)
	_ = rc.SetWriteDeadline(t)
}
