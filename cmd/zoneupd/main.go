// Command zoneupd is the zoneup daemon: it upgrades the queued non-global
// zones through the persisted stage machine, inside the maintenance window.
// It runs in the foreground; --background (the SMF start method) starts the
// same daemon in its own session and returns once its socket answers.
//
// This file only wires the process (signals, the logger): the command
// line, the configuration and the exit code of an error are the daemon's
// (daemon.ParseCommand, ConfigSource, ExitCode), the --background start
// SMF's (smf.StartBackground).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon"
	"zoneup/daemon/api"
	"zoneup/smf"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd, err := daemon.ParseCommand(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		daemon.Usage(os.Stdout)
		return smf.ExitOK
	case err != nil:
		fmt.Fprintf(os.Stderr, "zoneupd: %v (see zoneupd --help)\n", err)
		return smf.ExitConfig // a bad start method is bad configuration: SMF must not retry it
	case cmd.Version:
		fmt.Printf("zoneupd %s\n", api.Version)
		return smf.ExitOK
	}
	fmri, _ := smf.FMRI()
	src := daemon.ConfigSource{Command: cmd, FMRI: fmri, Notes: os.Stderr}
	cfg, err := src.Load(context.Background())
	if err != nil {
		return fail(err, smf.ExitConfig)
	}
	if cmd.Background && !smf.BackgroundChild() {
		code, err := smf.StartBackground(args, cfg.SocketPath)
		return fail(err, code)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	log := zerolog.New(os.Stderr).Level(cfg.LogLevel).With().Timestamp().Str("svc", "zoneupd").Int("pid", os.Getpid()).Logger()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	signal.Ignore(syscall.SIGPIPE)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err = daemon.Run(ctx, daemon.Options{Config: cfg, Reload: src.Load, Log: log, Hangup: hup, Ready: smf.ReadyNotifier()})
	return fail(err, daemon.ExitCode(err))
}

// fail says what went wrong, if anything, in the one line SMF keeps in the
// service log, and returns code.
func fail(err error, code int) int {
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
	}
	return code
}
