package api

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// stubService has only what the change feed and the long poll touch.
type stubService struct {
	Service
	mu sync.Mutex
	ch chan struct{}
}

func newStub() *stubService { return &stubService{ch: make(chan struct{})} }

func (s *stubService) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *stubService) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

func TestChangeFeed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc := newStub()
	f := newChangeFeed()
	f.start(ctx, svc)
	seq, _ := f.current()
	if seq != 1 {
		t.Fatalf("counter %d after start, want 1", seq)
	}
	if got := f.wait(ctx, seq, 20*time.Millisecond); got.Changed || got.Seq != seq {
		t.Errorf("quiet wait: %+v", got)
	}
	if got := f.wait(ctx, 0, time.Hour); !got.Changed || got.Seq != 1 {
		t.Errorf("wait since 0: %+v", got)
	}
	// Changes in a burst, none of them waited for: the counter moves, and
	// a poll with the old value answers at once.
	for range 3 {
		svc.fire()
	}
	if got := f.wait(ctx, seq, 5*time.Second); !got.Changed || got.Seq == seq {
		t.Errorf("after a burst: %+v", got)
	}
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	now, _ := f.current()
	if got := f.wait(cctx, now, time.Hour); got.Changed {
		t.Errorf("cancelled wait: %+v", got)
	}
}

// A long poll outlives the server's read and write timeouts.
func TestLongPollLiftsDeadlines(t *testing.T) {
	dir, err := os.MkdirTemp("", "zu")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "s")
	l, err := Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(newStub(), ServerOptions{Creds: func(net.Conn) (Cred, error) { return Cred{}, nil }})
	s.http.ReadTimeout, s.http.WriteTimeout = 100*time.Millisecond, 100*time.Millisecond
	go s.Serve(context.Background(), l)
	defer s.Close()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", path)
	}}}
	t0 := time.Now()
	resp, err := hc.Get("http://zoneupd/v1/changes?timeout=400ms")
	if err != nil {
		t.Fatalf("long poll cut: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(t0) < 400*time.Millisecond {
		t.Errorf("status %d after %v", resp.StatusCode, time.Since(t0))
	}
}
