package daemon

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/api"
	"zoneup/daemon/client"
)

// The SIGHUP loop reloads at each hangup and ends with its context, also
// when a reload is still running then: the reload gets the context and is
// cut short with it.
func TestReloadOnHangupEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		hup := make(chan os.Signal)
		var reloads atomic.Int32
		var stuck atomic.Bool
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			reloadOnHangup(ctx, hup, func(ctx context.Context) error {
				if reloads.Add(1) == 3 {
					stuck.Store(true)
					<-ctx.Done() // a svcprop that hangs
					return ctx.Err()
				}
				return errors.New("bad configuration: concurrency = \"0\"")
			}, zerolog.Nop())
		}()
		hup <- syscall.SIGHUP
		hup <- syscall.SIGHUP // a refused reload does not end the loop
		synctest.Wait()
		if n := reloads.Load(); n != 2 {
			t.Fatalf("%d reloads after two hangups", n)
		}
		hup <- syscall.SIGHUP
		synctest.Wait()
		if !stuck.Load() {
			t.Fatal("the third hangup did not reload")
		}
		cancel()
		synctest.Wait()
		select {
		case <-ended:
		default:
			t.Fatal("the SIGHUP loop outlived its context")
		}
	})
}

// When Run's context ends, a client's long poll ends promptly (the
// daemon says it is stopping, then stops listening), Run returns, and
// nothing Run started is left: not the control server, its change feed,
// its connections, nor the SIGHUP loop.
func TestRunEndsLongPollsAndLeavesNothingRunning(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	cfg, err := ParseConfig(map[string]string{"db_path": filepath.Join(dir, "db"), "socket_path": sock})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	hup := make(chan os.Signal) // unbuffered: a send is taken only by a running loop
	reloaded := make(chan struct{}, 1)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Log: zerolog.Nop(), Hangup: hup, Ready: func() { close(ready) },
			Creds: func(net.Conn) (api.Cred, error) { return api.Cred{}, nil },
			Reload: func(context.Context) (Config, error) {
				reloaded <- struct{}{}
				return cfg, nil
			}})
	}()
	<-ready
	hup <- syscall.SIGHUP
	<-reloaded

	c := client.New(sock)
	looked := make(chan struct{}, 1)
	watched := make(chan error, 1)
	go func() {
		watched <- c.Watch(context.Background(), func() (bool, error) {
			select {
			case looked <- struct{}{}:
			default:
			}
			return false, nil // wait for ever, as zoneupadm wait on a job that never ends
		})
	}()
	<-looked
	t0 := time.Now()
	cancel()
	select {
	case err := <-watched:
		if !errors.Is(err, api.ErrStopping) && !errors.Is(err, client.ErrNotRunning) {
			t.Errorf("the long poll ended with %v; want the daemon stopping or gone", err)
		}
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("the long poll ended %v after the daemon's context", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll outlived the daemon's context")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if _, err := c.Info(context.Background()); !errors.Is(err, client.ErrNotRunning) {
		t.Errorf("after Run: %v, want nothing listening", err)
	}
	select {
	case hup <- syscall.SIGHUP:
		t.Error("a SIGHUP loop outlived Run")
	default:
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after Run, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
