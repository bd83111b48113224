package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"zoneup/host"
	"zoneup/smf"
)

// Command is zoneupd's command line: a flag for each configuration key
// (ConfigKeys, --NAME with dashes for underscores), which overrides the
// key's SMF property, and the few flags that are not configuration.
type Command struct {
	// Flags are the configuration keys given on the command line, by key
	// name, as given.
	Flags map[string]string
	// Background (--background, the SMF start method): start the daemon
	// in its own session and return once it listens (smf.StartBackground).
	Background bool
	// Version (--version): print the version and exit.
	Version bool
	// RetryBackoff and DrainGrace (tests only) replace Config's tuning of
	// the same names when they are not zero.
	RetryBackoff, DrainGrace time.Duration
}

// ParseCommand parses zoneupd's arguments. --help (-h) is flag.ErrHelp;
// any other error is a start method zoneupd cannot run, which is bad
// configuration (exit 96): SMF must not retry it.
func ParseCommand(args []string) (Command, error) {
	var c Command
	fs, vals := commandFlags(&c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.Flags = map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if k := strings.ReplaceAll(f.Name, "-", "_"); vals[k] != nil {
			c.Flags[k] = *vals[k]
		}
	})
	return c, nil
}

// Usage writes what zoneupd --help prints: every flag, with the property
// and the default of each configuration key.
func Usage(w io.Writer) {
	fs, _ := commandFlags(&Command{})
	fmt.Fprintln(w, "usage: zoneupd [--background] [--KEY VALUE ...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Upgrades queued non-global zones (see zoneupd(8)). Flags are named after the")
	fmt.Fprintln(w, "SMF properties of config/ and override them:")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(w, "  --%-22s %s\n", f.Name, f.Usage)
	})
}

// commandFlags is zoneupd's flag set, filling c, and the value of each
// configuration key's flag by key name.
func commandFlags(c *Command) (*flag.FlagSet, map[string]*string) {
	fs := flag.NewFlagSet("zoneupd", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller says what went wrong, in one line
	vals := map[string]*string{}
	for _, k := range ConfigKeys {
		vals[k.Name] = fs.String(strings.ReplaceAll(k.Name, "_", "-"), "", fmt.Sprintf("%s (config/%s, default %q)", k.Doc, k.Name, k.Default))
	}
	fs.BoolVar(&c.Background, "background", false, "start the daemon in its own session; return once it listens")
	fs.DurationVar(&c.RetryBackoff, "retry-backoff", 0, "first wait before repeating a transient failure (tests)")
	fs.DurationVar(&c.DrainGrace, "drain-grace", 0, "how long a shutdown lets running tools finish")
	fs.BoolVar(&c.Version, "version", false, "print the version and exit")
	return fs, vals
}

// ConfigSource is where zoneupd's configuration comes from: the SMF
// instance's property group config, when svc.startd started zoneupd,
// under the flags of its command line.
type ConfigSource struct {
	Command Command
	// FMRI is the instance svc.startd runs zoneupd for (smf.FMRI); empty
	// outside SMF: the flags and the defaults only.
	FMRI string
	// Svcprop runs svcprop for smf.LoadConfig; nil is the real one,
	// through host.Runner, the one Runner every tool runs with.
	Svcprop func(ctx context.Context, argv ...string) ([]byte, error)
	// Notes gets a line for each property that is not a configuration
	// key (a newer or older release's; nil: dropped).
	Notes io.Writer
}

// Load reads the configuration: the SMF properties, then the flags over
// them, through ParseConfig. It is what zoneupd starts with and what
// SIGHUP and zoneupadm reload run again. An error wraps ErrConfig and
// says where the bad value came from and how to fix it there.
func (s ConfigSource) Load(ctx context.Context) (Config, error) {
	kv := map[string]string{}
	if s.FMRI != "" {
		run := s.Svcprop
		if run == nil {
			run = svcprop
		}
		props, err := smf.LoadConfig(ctx, s.FMRI, run)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		for k, v := range props {
			if _, known := Defaults[k]; !known {
				// A property of a newer or older release: said, not fatal.
				if s.Notes != nil {
					fmt.Fprintf(s.Notes, "zoneupd: ignoring unknown property config/%s of %s\n", k, s.FMRI)
				}
				continue
			}
			kv[k] = v
		}
	}
	for k, v := range s.Command.Flags {
		kv[k] = v // flags override
	}
	cfg, err := ParseConfig(kv)
	if s.Command.RetryBackoff > 0 {
		cfg.RetryBackoff = s.Command.RetryBackoff
	}
	if s.Command.DrainGrace > 0 {
		cfg.DrainGrace = s.Command.DrainGrace
	}
	return cfg, s.explain(err)
}

// explain says where a bad value came from and what to do about it: the
// flag, or the property with the svccfg command that fixes it.
func (s ConfigSource) explain(err error) error {
	var ke *KeyError
	if !errors.As(err, &ke) {
		return err
	}
	if _, fromFlag := s.Command.Flags[ke.Key]; fromFlag || s.FMRI == "" {
		return fmt.Errorf("%w: --%s %q: %s (fix the flag; zoneupd --help)", ErrConfig, strings.ReplaceAll(ke.Key, "_", "-"), ke.Value, ke.Why)
	}
	typ := "astring"
	if k, ok := ConfigKeyNamed(ke.Key); ok {
		typ = k.SMFType
	}
	return fmt.Errorf("%w: property config/%s of %s is %q: %s (fix it: svccfg -s %s setprop config/%s = %s: VALUE; svcadm refresh %s; svcadm clear %s)",
		ErrConfig, ke.Key, s.FMRI, ke.Value, ke.Why, s.FMRI, ke.Key, typ, s.FMRI, s.FMRI)
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

// ExitCode is zoneupd's exit code (smf_method(7)) for what Run returned:
// 0 after an orderly stop, 96 for bad configuration, 95 for anything else
// (a corrupt or locked database, a socket that is not ours): svc.startd
// retries neither and puts the instance in maintenance.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return smf.ExitOK
	case errors.Is(err, ErrConfig):
		return smf.ExitConfig
	default:
		return smf.ExitFatal
	}
}
