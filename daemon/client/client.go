// Package client is the typed Go client of zoneupd's control API
// (daemon/api) over its Unix socket. zoneupadm and the integration tests
// use it; nothing else talks to the socket.
//
// Errors: a refusal by the daemon is an *Error that wraps the api sentinel
// of its code (errors.Is(err, api.ErrNoJob) ...); a daemon that does not
// listen is ErrNotRunning; anything else (a connection cut midway, a
// timeout) is returned wrapped as it came.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	"zoneup/daemon/api"
)

// ErrNotRunning: nothing answers on the socket (no socket file, or a dead
// one). The error returned wraps it and names the socket.
var ErrNotRunning = errors.New("zoneupd is not running")

// DefaultSocket is zoneupd's socket_path default (SPEC 4).
const DefaultSocket = "/var/run/zoneup/zoneupd.sock"

// Error is a refusal by the daemon: its HTTP status, its wire code, and its
// one-line message. It unwraps to the api sentinel of the code (nil for
// codes this client does not know, such as "internal").
type Error struct {
	Status  int
	Code    string
	Message string
	kind    error
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.kind }

// Client talks to one zoneupd. It is safe for concurrent use.
type Client struct {
	socket string
	hc     *http.Client
	// Timeout bounds each ordinary request (0: none). The long polls
	// (Changes, Shutdown with wait) are bounded by their ctx only.
	Timeout time.Duration
}

// New returns a client of the daemon listening on socket. It does not
// connect yet.
func New(socket string) *Client {
	c := &Client{socket: socket, Timeout: time.Minute}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext:        func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) },
		MaxIdleConns:       2,
		IdleConnTimeout:    30 * time.Second,
		DisableCompression: true,
	}}
	return c
}

// Socket returns the socket path the client talks to.
func (c *Client) Socket() string { return c.socket }

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)) {
		return nil, fmt.Errorf("%w (nothing answers on %s)", ErrNotRunning, c.socket)
	}
	return conn, err
}

// call is one request: in (if not nil) is sent as JSON, and read gets the
// body of a 2xx reply (nil: the body is dropped). long lifts c.Timeout.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in any, long bool, read func(io.Reader) error) error {
	if !long && c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := "http://zoneupd" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return decodeError(resp)
	}
	if read == nil {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		err = read(resp.Body)
	}
	if err != nil {
		return c.transportError(err)
	}
	return nil
}

// transportError drops net/http's `Get "http://zoneupd/..."` wrapping,
// which names a URL that means nothing to a person, and names the socket.
func (c *Client) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, ErrNotRunning) {
		return err
	}
	return fmt.Errorf("zoneupd on %s: %w", c.socket, err)
}

func decodeError(resp *http.Response) error {
	var r api.ErrorReply
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(b, &r); err != nil || r.Error == "" {
		r = api.ErrorReply{Code: "internal", Error: fmt.Sprintf("zoneupd answered %s", resp.Status)}
	}
	return &Error{Status: resp.StatusCode, Code: r.Code, Message: r.Error, kind: api.ErrorOf(r.Code)}
}

// decodeInto returns a read function that decodes one JSON value into v.
func decodeInto(v any) func(io.Reader) error {
	return func(r io.Reader) error { return json.NewDecoder(r).Decode(v) }
}

func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, q, nil, false, decodeInto(out))
}

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	return c.call(ctx, http.MethodPost, path, nil, in, false, decodeInto(out))
}

func jobPath(zone, action string) string {
	p := "/v1/jobs/" + url.PathEscape(zone)
	if action != "" {
		p += "/" + action
	}
	return p
}
