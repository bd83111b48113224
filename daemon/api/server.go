package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// MaxBody bounds every request body. The largest legitimate one is an
// enqueue of a few thousand zone names.
const MaxBody = 1 << 20

// ServerOptions configure NewServer.
type ServerOptions struct {
	// AdminGroup names the group whose members may use the socket besides
	// root; empty means root only.
	AdminGroup string
	// Creds replaces the peer-credential lookup (tests only); nil means
	// PeerCred.
	Creds func(net.Conn) (Cred, error)
	Log   zerolog.Logger
	// PollWaiting, when set (tests only), is called each time a long poll
	// starts waiting for a change: a test acts then, instead of sleeping
	// "to let the poll start" (apitest.Polls).
	PollWaiting func()
}

// Server serves the control API of one Service.
type Server struct {
	svc  Service
	opts ServerOptions
	log  zerolog.Logger
	http *http.Server
	feed *changeFeed

	// ctx is the server's life: cancelled by Close and Shutdown (once the
	// listener is closed), it ends the change feed and the long polls
	// (pollContext). Other requests are not cut by it: Shutdown lets them
	// finish.
	ctx    context.Context
	cancel context.CancelFunc
}

// ShutdownGrace is how long Serve, when its context ends, lets the
// requests in flight finish before it cuts their connections. The long
// polls do not count: they end at once.
const ShutdownGrace = 5 * time.Second

// peerKey is the context key of a connection's peer.
type peerKey struct{}

// peer is what ConnContext learnt about a connection, once.
type peer struct {
	cred Cred
	err  error // nil: authorised; else wraps ErrForbidden
}

// PeerOf returns the credentials of the peer that sent the request whose
// context ctx is (ok false outside a request of the control socket): the
// service logs every operator action with the peer's uid.
func PeerOf(ctx context.Context) (Cred, bool) {
	p, ok := ctx.Value(peerKey{}).(peer)
	return p.cred, ok
}

// NewServer returns a server for svc. It starts following svc's changes at
// once (for the long poll); the end of Serve's context, Close or Shutdown
// stops that.
func NewServer(svc Service, opts ServerOptions) *Server {
	if opts.Creds == nil {
		opts.Creds = PeerCred
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		svc: svc, opts: opts, feed: newChangeFeed(),
		log: opts.Log.With().Str("component", "api").Logger(),
		ctx: ctx, cancel: cancel,
	}
	// Ordinary requests are small and quick; these bound what a stuck or
	// hostile client can hold. The long polls lift them per request.
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       time.Minute,
		ConnContext:       s.connContext,
		ErrorLog:          log.New(httpLogWriter{s.log}, "", 0),
	}
	// Shutdown runs this once it has closed the listener: no new poll can
	// arrive to find the feed gone.
	s.http.RegisterOnShutdown(cancel)
	s.feed.waiting = opts.PollWaiting
	s.feed.start(ctx, svc)
	return s
}

// Serve accepts connections on l until ctx ends, l fails, or Close or
// Shutdown is called. When ctx ends, Serve shuts the server down: it
// stops accepting, ends the long polls (they answer ErrStopping) and the
// change feed, gives the other requests in flight ShutdownGrace to finish,
// cuts what is left, and returns nil once every connection is closed. A
// failed listener's error (net.ErrClosed if someone closed l) is returned
// as it is; Close and Shutdown make Serve return nil.
//
// With an admin group set, the socket file is first given that group:
// Listen made it 0660 root's, and the group's members must be able to
// connect before their credentials can be checked.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	if a, ok := l.Addr().(*net.UnixAddr); ok && s.opts.AdminGroup != "" {
		s.shareSocket(a.Name)
	}
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(l) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := s.Shutdown(grace); err != nil {
		s.log.Warn().Err(err).Msg("control requests cut at shutdown")
		s.Close()
	}
	<-served
	return nil
}

func (s *Server) shareSocket(path string) {
	g, err := user.LookupGroup(s.opts.AdminGroup)
	if err == nil {
		var gid int
		if gid, err = strconv.Atoi(g.Gid); err == nil {
			err = os.Chown(path, -1, gid)
		}
	}
	if err != nil {
		s.log.Warn().Err(err).Str("group", s.opts.AdminGroup).Str("socket", path).
			Msg("cannot give the control socket to admin_group; only root can connect")
	}
}

// Close stops the server at once, cutting open connections.
func (s *Server) Close() error {
	s.cancel()
	return s.http.Close()
}

// Shutdown stops accepting, ends the long polls and the change feed, and
// waits (up to ctx) for the other requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx) // and so s.cancel, registered in NewServer
}

// pollContext is r's context, ended also when the server shuts down: the
// long poll ends with the server, a client's hanging up still ends it.
func (s *Server) pollContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// connContext looks up and judges the peer once per connection.
func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	p := peer{}
	p.cred, p.err = s.opts.Creds(c)
	if p.err != nil {
		p.err = fmt.Errorf("%w: cannot tell who is calling (%v)", ErrForbidden, p.err)
	} else {
		p.err = authorize(p.cred, s.opts.AdminGroup)
	}
	if p.err != nil {
		s.log.Warn().Int("uid", p.cred.UID).Int("gid", p.cred.GID).Int("pid", p.cred.PID).
			Str("reason", p.err.Error()).Msg("control connection refused")
	}
	return context.WithValue(ctx, peerKey{}, p)
}

// route is one endpoint: method, Go 1.22 mux path pattern, handler.
type route struct {
	method, path string
	h            http.HandlerFunc
}

func (s *Server) routes() http.Handler {
	rs := []route{
		{"POST", "/v1/enqueue", s.enqueue},
		{"GET", "/v1/jobs", s.jobs},
		{"GET", "/v1/jobs/{zone}", s.status},
		{"POST", "/v1/jobs/{zone}/cancel", s.cancelJob},
		{"POST", "/v1/jobs/{zone}/retry", s.retry},
		{"GET", "/v1/jobs/{zone}/log", s.logLines},
		{"POST", "/v1/pause", s.pause},
		{"POST", "/v1/resume", s.resume},
		{"GET", "/v1/report", s.report},
		{"GET", "/v1/changes", s.changes},
		{"POST", "/v1/reload", s.reload},
		{"POST", "/v1/shutdown", s.shutdown},
		{"GET", "/v1/info", s.info},
		{"POST", "/v1/forget", s.forget},
	}
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	var paths []string
	for _, r := range rs {
		mux.HandleFunc(r.method+" "+r.path, r.h)
		if allowed[r.path] == nil {
			paths = append(paths, r.path)
		}
		allowed[r.path] = append(allowed[r.path], r.method)
	}
	// The mux would answer a wrong method or path itself, in plain text;
	// these give the same answers in the JSON every client expects. A
	// pattern with a method beats the same pattern without one.
	for _, p := range paths {
		allow := strings.Join(allowed[p], ", ")
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeErrorReply(w, http.StatusMethodNotAllowed, CodeOf(ErrInvalid),
				fmt.Sprintf("%s %s: method not allowed (use %s)", r.Method, r.URL.Path, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErrorReply(w, http.StatusNotFound, CodeOf(ErrInvalid), fmt.Sprintf("%s: no such endpoint", r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := r.Context().Value(peerKey{}).(peer)
		if !ok {
			p.err = fmt.Errorf("%w: no peer credentials", ErrForbidden)
		}
		if p.err != nil {
			s.fail(w, p.err)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		if r.Method != http.MethodPost {
			mux.ServeHTTP(w, r)
			return
		}
		// Every operator action (every POST) is one line of the service
		// log with who asked and how it went: the audit trail.
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(sw, r)
		s.log.Info().Str("action", strings.TrimPrefix(r.URL.Path, "/v1/")).Str("query", r.URL.RawQuery).
			Int("peer_uid", p.cred.UID).Int("peer_gid", p.cred.GID).Int("peer_pid", p.cred.PID).Int("status", sw.status).
			Msg("operator action")
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (the long
// requests lift their deadlines through it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// decode reads a JSON request body into v: one value, known fields only.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return err
	default:
		return fmt.Errorf("%w: request body: %w", ErrInvalid, err)
	}
}

// writeJSON replies v with status 200, indented for people who read
// --json output.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // a write error means the client is gone
}

// fail replies err as {"code", "error"} with the status of its kind.
func (s *Server) fail(w http.ResponseWriter, err error) {
	status, code := StatusOf(err), CodeOf(err)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		status, code = http.StatusRequestEntityTooLarge, CodeOf(ErrInvalid)
		err = fmt.Errorf("request body larger than %d bytes", tooBig.Limit)
	}
	if status >= 500 && !errors.Is(err, ErrStopping) {
		s.log.Error().Err(err).Msg("request failed")
	}
	writeErrorReply(w, status, code, err.Error())
}

func writeErrorReply(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorReply{Code: code, Error: oneLine(msg)})
}

// oneLine folds a message onto one line: the CLI prints it as one.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// httpLogWriter sends net/http's own complaints (bad requests, TLS
// probes, timeouts) to the daemon's log as events.
type httpLogWriter struct{ l zerolog.Logger }

func (h httpLogWriter) Write(p []byte) (int, error) {
	h.l.Warn().Str("error", strings.TrimSpace(string(p))).Msg("control connection problem")
	return len(p), nil
}
