package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/api"
	"zoneup/host"
	"zoneup/persist"
)

// Options is what zoneupd hands to Run.
type Options struct {
	Config Config
	// Reload re-reads the configuration (SIGHUP, zoneupadm reload);
	// ConfigSource.Load.
	Reload func(context.Context) (Config, error)
	Log    zerolog.Logger
	// Creds overrides the peer-credential lookup of the control socket
	// (tests only).
	Creds func(net.Conn) (api.Cred, error)
	// Hangup delivers SIGHUP: re-read the configuration.
	Hangup <-chan os.Signal
	// Ready is called once the control socket listens.
	Ready func()
	// Spawn runs the host's tools in place of their processes (tests: the
	// simulator in process, sim.Host); nil runs the tools found on PATH.
	Spawn host.SpawnFunc
}

// Run is the daemon: open the store (the single-instance guard), listen on
// the control socket, then recover the stored jobs behind it and schedule.
// It returns nil after an orderly drain (ctx cancelled or a shutdown
// request), or an error wrapping persist.ErrLocked / persist.ErrCorrupt /
// ErrConfig for the exit code mapping (ExitCode). When it returns, nothing
// it started runs on: the control server has closed every connection
// (long polls included) and the SIGHUP loop has ended.
func Run(ctx context.Context, o Options) error {
	cfg := o.Config
	if cfg.AdminGroup != "" {
		if _, err := user.LookupGroup(cfg.AdminGroup); err != nil {
			return &KeyError{Key: "admin_group", Value: cfg.AdminGroup, Why: "no such group on this host"}
		}
	}
	store, err := persist.Open(cfg.DBPath, persist.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer store.Close()
	if store.ModeWas != 0 {
		o.Log.Warn().Str("db", cfg.DBPath).Str("was", fmt.Sprintf("%04o", uint32(store.ModeWas))).
			Msg("database was readable by others: made 0600")
	}
	if err := store.Check(); err != nil {
		if errors.Is(err, persist.ErrCorrupt) {
			return err // it names the file and the way out already
		}
		return fmt.Errorf("%w: %s: %v (move it aside; it is never overwritten)", persist.ErrCorrupt, cfg.DBPath, err)
	}
	e := NewEngine(store, cfg, o.Reload, o.Log)
	e.spawn = o.Spawn
	l, err := api.Listen(cfg.SocketPath, 0o660)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSocket, err)
	}
	defer l.Close()
	// life is the daemon's context for what must outlive the drain: the
	// control socket answers shutdown --wait (the SMF stop method) and
	// status until everything is persisted. It ends when Run is done with
	// the engine, and Run returns only once the server (its long polls and
	// change feed with it) and the SIGHUP loop have ended.
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	defer end()
	srv := api.NewServer(e, api.ServerOptions{AdminGroup: cfg.AdminGroup, Creds: o.Creds, Log: o.Log})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(life, l) }()
	o.Log.Info().Str("socket", cfg.SocketPath).Str("db", cfg.DBPath).Msg("listening")
	if o.Ready != nil {
		o.Ready()
	}
	hupDone := make(chan struct{})
	go func() {
		defer close(hupDone)
		reloadOnHangup(life, o.Hangup, e.Reload, o.Log)
	}()
	stopped := func() {
		<-e.Done()
		end()
		if served != nil {
			<-served
		}
		<-hupDone
	}

	if err := e.start(); err != nil {
		e.Shutdown()
		stopped()
		return err
	}
	select {
	case <-ctx.Done():
		e.Shutdown()
	case <-e.Done():
	case err := <-served:
		served = nil
		if err != nil && !errors.Is(err, net.ErrClosed) {
			o.Log.Error().Err(err).Msg("control socket failed")
		}
		e.Shutdown()
	}
	stopped()
	o.Log.Info().Msg("stopped")
	return nil
}

// reloadOnHangup re-reads the configuration at every SIGHUP (hup) until
// ctx ends; reload runs within ctx, so a svcprop still running then is
// stopped.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, reload func(context.Context) error, log zerolog.Logger) {
	for {
		select {
		case <-hup:
			if err := reload(ctx); err != nil && ctx.Err() == nil {
				log.Error().Err(err).Msg("reload refused; the old configuration stays")
			}
		case <-ctx.Done():
			return
		}
	}
}

// ErrSocket: the control socket cannot be set up (another daemon listens,
// or the path is not ours to replace).
var ErrSocket = errors.New("control socket")
