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
	// Reload re-reads the configuration (SIGHUP, zoneupadm reload).
	Reload func() (Config, error)
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
// ErrConfig for the exit code mapping.
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
		return fmt.Errorf("%w: %v", ErrSocket, err)
	}
	srv := api.NewServer(e, api.ServerOptions{AdminGroup: cfg.AdminGroup, Creds: o.Creds, Log: o.Log})
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	o.Log.Info().Str("socket", cfg.SocketPath).Str("db", cfg.DBPath).Msg("listening")
	if o.Ready != nil {
		o.Ready()
	}
	go func() {
		for range o.Hangup {
			if err := e.Reload(); err != nil {
				o.Log.Error().Err(err).Msg("reload refused; the old configuration stays")
			}
		}
	}()

	if err := e.start(); err != nil {
		e.Shutdown()
		<-e.Done()
		l.Close()
		return err
	}
	select {
	case <-ctx.Done():
		e.Shutdown()
	case <-e.Done():
	case err := <-serveErr:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			o.Log.Error().Err(err).Msg("control socket failed")
		}
		e.Shutdown()
	}
	<-e.Done()
	l.Close()
	o.Log.Info().Msg("stopped")
	return nil
}

// ErrSocket: the control socket cannot be set up (another daemon listens,
// or the path is not ours to replace).
var ErrSocket = errors.New("control socket")
