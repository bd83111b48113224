package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/persist"
	"zoneup/smf"
)

func TestParseCommand(t *testing.T) {
	c, err := ParseCommand([]string{"--concurrency", "3", "--db-path=/x/db", "--background", "--retry-backoff", "5ms", "--drain-grace", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"concurrency": "3", "db_path": "/x/db"}; !maps.Equal(c.Flags, want) {
		t.Errorf("flags %q, want %q (only the keys given)", c.Flags, want)
	}
	if !c.Background || c.Version || c.RetryBackoff != 5*time.Millisecond || c.DrainGrace != 2*time.Second {
		t.Errorf("command %+v", c)
	}
	if c, err := ParseCommand([]string{"--version"}); err != nil || !c.Version {
		t.Errorf("--version: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"-help"}} {
		if _, err := ParseCommand(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v, want flag.ErrHelp", args, err)
		}
	}
	for args, want := range map[string]string{
		"--nosuch":          "flag provided but not defined: -nosuch",
		"foo":               `unexpected argument "foo"`,
		"--concurrency":     "flag needs an argument: -concurrency",
		"--retry-backoff x": `invalid value "x" for flag -retry-backoff: parse error`,
	} {
		if _, err := ParseCommand(strings.Fields(args)); err == nil || err.Error() != want {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

// --help lists a flag for every key of the table, with its property and
// default, and the flags that are not configuration.
func TestUsage(t *testing.T) {
	var b strings.Builder
	Usage(&b)
	out := b.String()
	if !strings.HasPrefix(out, "usage: zoneupd [--background] [--KEY VALUE ...]\n") {
		t.Errorf("usage starts %q", out[:min(len(out), 60)])
	}
	for _, k := range ConfigKeys {
		line := fmt.Sprintf("  --%-22s %s (config/%s, default %q)\n", strings.ReplaceAll(k.Name, "_", "-"), k.Doc, k.Name, k.Default)
		if !strings.Contains(out, line) {
			t.Errorf("usage lacks %q", line)
		}
	}
	for _, f := range []string{"background", "version", "retry-backoff", "drain-grace"} {
		if !strings.Contains(out, "\n  --"+f+" ") {
			t.Errorf("usage lacks --%s", f)
		}
	}
}

// fakeSvcprop answers svcprop -p config with the properties given, as
// svcprop prints them, and records each argv.
type fakeSvcprop struct {
	props map[string]string // key -> value
	err   error
	argv  [][]string
}

func (f *fakeSvcprop) run(_ context.Context, argv ...string) ([]byte, error) {
	f.argv = append(f.argv, argv)
	if f.err != nil {
		return nil, f.err
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(f.props)) {
		typ := "astring"
		if key, ok := ConfigKeyNamed(k); ok {
			typ = key.SMFType
		}
		fmt.Fprintf(&b, "config/%s %s %s\n", k, typ, smf.Quote(f.props[k]))
	}
	return []byte(b.String()), nil
}

func TestConfigSourceLoad(t *testing.T) {
	const fmri = smf.DefaultFMRI
	cmd := func(args ...string) Command {
		t.Helper()
		c, err := ParseCommand(args)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("outside SMF: flags and defaults, svcprop never run", func(t *testing.T) {
		sp := &fakeSvcprop{}
		cfg, err := ConfigSource{Command: cmd("--concurrency", "4"), Svcprop: sp.run}.Load(context.Background())
		if err != nil || cfg.Concurrency != 4 || cfg.Window.String() != "always" || len(sp.argv) != 0 {
			t.Errorf("%v concurrency %d window %s, svcprop %q", err, cfg.Concurrency, cfg.Window, sp.argv)
		}
	})
	t.Run("SMF properties under the flags", func(t *testing.T) {
		sp := &fakeSvcprop{props: map[string]string{"concurrency": "1", "window": "22:00-06:00", "db_path": "/var/z u/db"}}
		cfg, err := ConfigSource{Command: cmd("--concurrency", "5"), FMRI: fmri, Svcprop: sp.run}.Load(context.Background())
		if err != nil || cfg.Concurrency != 5 || cfg.Window.String() != "22:00-06:00" || cfg.DBPath != "/var/z u/db" {
			t.Errorf("%v concurrency %d window %s db %q", err, cfg.Concurrency, cfg.Window, cfg.DBPath)
		}
		if want := [][]string{{"svcprop", "-p", "config", fmri}}; !slices.EqualFunc(sp.argv, want, slices.Equal) {
			t.Errorf("svcprop runs %q, want %q", sp.argv, want)
		}
	})
	t.Run("an unknown property is noted, not fatal", func(t *testing.T) {
		var notes strings.Builder
		sp := &fakeSvcprop{props: map[string]string{"newer_key": "x", "concurrency": "3"}}
		cfg, err := ConfigSource{FMRI: fmri, Svcprop: sp.run, Notes: &notes}.Load(context.Background())
		if err != nil || cfg.Concurrency != 3 {
			t.Errorf("%v concurrency %d", err, cfg.Concurrency)
		}
		if want := "zoneupd: ignoring unknown property config/newer_key of " + fmri + "\n"; notes.String() != want {
			t.Errorf("notes %q, want %q", notes.String(), want)
		}
	})
	t.Run("test tuning", func(t *testing.T) {
		cfg, err := ConfigSource{Command: cmd("--retry-backoff", "7ms", "--drain-grace", "3s")}.Load(context.Background())
		if err != nil || cfg.RetryBackoff != 7*time.Millisecond || cfg.DrainGrace != 3*time.Second {
			t.Errorf("%v backoff %s grace %s", err, cfg.RetryBackoff, cfg.DrainGrace)
		}
		if cfg, _ := (ConfigSource{}).Load(context.Background()); cfg.RetryBackoff != 10*time.Second || cfg.DrainGrace != smf.DrainGrace {
			t.Errorf("defaults: backoff %s grace %s", cfg.RetryBackoff, cfg.DrainGrace)
		}
	})
	// Where the bad value came from, and how to fix it there.
	for _, c := range []struct {
		name  string
		src   ConfigSource
		props map[string]string
		want  string
	}{
		{"a bad flag outside SMF", ConfigSource{Command: cmd("--concurrency", "0")}, nil,
			`bad configuration: --concurrency "0": must be an integer >= 1 (fix the flag; zoneupd --help)`},
		{"a bad flag under SMF", ConfigSource{Command: cmd("--window", "bad"), FMRI: fmri}, map[string]string{"window": "01:00-02:00"},
			`bad configuration: --window "bad": must be "always" or HH:MM-HH:MM (fix the flag; zoneupd --help)`},
		{"a bad count property", ConfigSource{FMRI: fmri}, map[string]string{"concurrency": "0"},
			`bad configuration: property config/concurrency of ` + fmri + ` is "0": must be an integer >= 1 (fix it: svccfg -s ` + fmri +
				` setprop config/concurrency = count: VALUE; svcadm refresh ` + fmri + `; svcadm clear ` + fmri + `)`},
		{"a bad astring property", ConfigSource{FMRI: fmri}, map[string]string{"window": "25:00-01:00"},
			`bad configuration: property config/window of ` + fmri + ` is "25:00-01:00": must be "always" or HH:MM-HH:MM (00:00 to 23:59) (fix it: svccfg -s ` + fmri +
				` setprop config/window = astring: VALUE; svcadm refresh ` + fmri + `; svcadm clear ` + fmri + `)`},
		{"a bad property the flag overrides", ConfigSource{Command: cmd("--concurrency", "2", "--boot-after", "maybe"), FMRI: fmri}, map[string]string{"concurrency": "0"},
			`bad configuration: --boot-after "maybe": must be true or false (fix the flag; zoneupd --help)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp := &fakeSvcprop{props: c.props}
			c.src.Svcprop = sp.run
			_, err := c.src.Load(context.Background())
			if !errors.Is(err, ErrConfig) || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
	t.Run("svcprop fails", func(t *testing.T) {
		sp := &fakeSvcprop{err: errors.New("svcprop -p config svc:/x: exit 1: no such instance")}
		_, err := ConfigSource{FMRI: "svc:/x", Svcprop: sp.run}.Load(context.Background())
		want := "bad configuration: read property group config of svc:/x: svcprop -p config svc:/x: exit 1: no such instance"
		if !errors.Is(err, ErrConfig) || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	})
}

func TestExitCode(t *testing.T) {
	for err, want := range map[error]int{
		nil: 0,
		&KeyError{Key: "admin_group", Value: "x", Why: "no such group on this host"}: 96,
		fmt.Errorf("%w: x", ErrConfig):            96,
		fmt.Errorf("%w: /db", persist.ErrLocked):  95,
		fmt.Errorf("%w: /db", persist.ErrCorrupt): 95,
		fmt.Errorf("%w: in use", ErrSocket):       95,
		errors.New("something nobody thought of"): 95,
	} {
		if got := ExitCode(err); got != want {
			t.Errorf("ExitCode(%v) = %d, want %d", err, got, want)
		}
	}
}
