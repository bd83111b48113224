// Command zoneupd is the zoneup daemon: it upgrades the queued non-global
// zones through the persisted stage machine, inside the maintenance window.
// It runs in the foreground; --background (the SMF start method) starts the
// same daemon in its own session and returns once its socket answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon"
	"zoneup/daemon/api"
	"zoneup/host"
	"zoneup/persist"
	"zoneup/smf"
)

// readyFD is the descriptor on which a --background child reports that it
// listens (the write end of a pipe, as ExtraFiles[0]).
const readyEnv = "ZONEUPD_READY_FD"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("zoneupd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]*string{}
	for _, k := range daemon.ConfigKeys {
		vals[k.Name] = fs.String(strings.ReplaceAll(k.Name, "_", "-"), "", fmt.Sprintf("%s (config/%s, default %q)", k.Doc, k.Name, k.Default))
	}
	background := fs.Bool("background", false, "start the daemon in its own session; return once it listens")
	retryBackoff := fs.Duration("retry-backoff", 0, "first wait before repeating a transient failure (tests)")
	drainGrace := fs.Duration("drain-grace", 0, "how long a shutdown lets running tools finish")
	version := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs)
			return 0
		}
		fmt.Fprintf(os.Stderr, "zoneupd: %v (see zoneupd --help)\n", err)
		return smf.ExitConfig // a bad start method is bad configuration: SMF must not retry it
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "zoneupd: unexpected argument %q (see zoneupd --help)\n", fs.Arg(0))
		return smf.ExitConfig
	}
	if *version {
		fmt.Printf("zoneupd %s\n", api.Version)
		return 0
	}
	flags := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if k := strings.ReplaceAll(f.Name, "-", "_"); vals[k] != nil {
			flags[k] = *vals[k]
		}
	})
	load := func() (daemon.Config, error) {
		kv := map[string]string{}
		fmri, inSMF := smf.FMRI()
		if inSMF {
			props, err := smf.LoadConfig(context.Background(), fmri, svcprop)
			if err != nil {
				return daemon.Config{}, fmt.Errorf("%w: %v", daemon.ErrConfig, err)
			}
			for k, v := range props {
				if _, known := daemon.Defaults[k]; !known {
					// A property of a newer or older release: said, not fatal.
					fmt.Fprintf(os.Stderr, "zoneupd: ignoring unknown property config/%s of %s\n", k, fmri)
					continue
				}
				kv[k] = v
			}
		}
		for k, v := range flags {
			kv[k] = v // flags override
		}
		cfg, err := daemon.ParseConfig(kv)
		if *retryBackoff > 0 {
			cfg.RetryBackoff = *retryBackoff
		}
		if *drainGrace > 0 {
			cfg.DrainGrace = *drainGrace
		}
		return cfg, explainConfig(err, flags, fmri, inSMF)
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitConfig
	}
	// A child started by --background runs in the foreground whatever its
	// argv says (--background=true would otherwise start another child).
	if *background && os.Getenv(readyEnv) == "" {
		return startBackground(args, cfg)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	log := zerolog.New(os.Stderr).Level(cfg.LogLevel).With().Timestamp().Str("svc", "zoneupd").Int("pid", os.Getpid()).Logger()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	signal.Ignore(syscall.SIGPIPE)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err = daemon.Run(ctx, daemon.Options{Config: cfg, Reload: load, Log: log, Hangup: hup, Ready: readyNotifier()})
	switch {
	case err == nil:
		return smf.ExitOK
	case errors.Is(err, daemon.ErrConfig):
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitConfig
	case errors.Is(err, persist.ErrLocked), errors.Is(err, persist.ErrCorrupt), errors.Is(err, daemon.ErrSocket):
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitFatal
	default:
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitFatal
	}
}

// explainConfig says where a bad value came from and what to do about it.
func explainConfig(err error, flags map[string]string, fmri string, inSMF bool) error {
	var ke *daemon.KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if _, fromFlag := flags[ke.Key]; fromFlag || !inSMF {
		return fmt.Errorf("%w: --%s %q: %s (fix the flag; zoneupd --help)", daemon.ErrConfig, strings.ReplaceAll(ke.Key, "_", "-"), ke.Value, ke.Why)
	}
	typ := "astring"
	if k, ok := daemon.ConfigKeyNamed(ke.Key); ok {
		typ = k.SMFType
	}
	return fmt.Errorf("%w: property config/%s of %s is %q: %s (fix it: svccfg -s %s setprop config/%s = %s: VALUE; svcadm refresh %s; svcadm clear %s)",
		daemon.ErrConfig, ke.Key, fmri, ke.Value, ke.Why, fmri, ke.Key, typ, fmri, fmri)
}

// svcprop runs the real svcprop for smf.LoadConfig through the one Runner
// the daemon runs every tool with (argv on PATH, LC_ALL=C, bounded
// output, a timeout); its error names the command, exit and stderr.
func svcprop(ctx context.Context, argv ...string) ([]byte, error) {
	r := host.NewRunner()
	r.ReadTimeout = 30 * time.Second
	res := r.Run(ctx, false, argv...)
	return res.Stdout, res.Err
}

// readyNotifier returns the function that tells a --background parent the
// daemon listens (nil when not started by one).
func readyNotifier() func() {
	if os.Getenv(readyEnv) != "3" {
		return nil
	}
	os.Unsetenv(readyEnv)
	f := os.NewFile(3, "ready")
	return func() {
		_, _ = f.Write([]byte("ready\n"))
		_ = f.Close()
	}
}

// startBackground starts the daemon as a child in its own session, waits
// until it listens and its socket answers, and returns 0; if the child dies
// first its exit code is returned (so 95 and 96 reach SMF).
func startBackground(args []string, cfg daemon.Config) int {
	var rest []string
	for _, a := range args {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); name != "background" || !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
		}
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitFatal
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "zoneupd: %v\n", err)
		return smf.ExitFatal
	}
	cmd := exec.Command(self, rest...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Env = append(os.Environ(), readyEnv+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "zoneupd: start daemon: %v\n", err)
		return smf.ExitFatal
	}
	pw.Close()
	ready := make(chan bool, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := pr.Read(b)
		ready <- n > 0
	}()
	exited := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if code < 0 {
				code = smf.ExitFatal // killed by a signal
			}
		} else if err != nil {
			code = smf.ExitFatal
		}
		exited <- code
	}()
	select {
	case ok := <-ready:
		if ok {
			conn, err := net.DialTimeout("unix", cfg.SocketPath, 5*time.Second)
			if err == nil {
				conn.Close()
				return smf.ExitOK
			}
			fmt.Fprintf(os.Stderr, "zoneupd: daemon started but %s does not answer: %v\n", cfg.SocketPath, err)
			return smf.ExitFatal
		}
		// The pipe closed without a word: the child is exiting.
		code := <-exited
		if code == 0 {
			code = smf.ExitFatal
		}
		return code
	case code := <-exited:
		if code == 0 {
			code = smf.ExitFatal
		}
		return code
	}
}

func usage(fs *flag.FlagSet) {
	fmt.Println("usage: zoneupd [--background] [--KEY VALUE ...]")
	fmt.Println()
	fmt.Println("Upgrades queued non-global zones (see zoneupd(8)). Flags are named after the")
	fmt.Println("SMF properties of config/ and override them:")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Printf("  --%-22s %s\n", f.Name, f.Usage)
	})
}
