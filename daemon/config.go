package daemon

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"zoneup/domain"
	"zoneup/smf"
)

// The rung names, the default ladder and which rungs are destructive are
// package domain's, shared with zoneupadm and zonesim.

// ErrConfig marks a bad configuration value; zoneupd exits 96 with it.
var ErrConfig = errors.New("bad configuration")

// Stone is one stepping-stone release for the step-release rung.
type Stone struct {
	Publisher string
	Origin    string
	Version   string
}

// Config is the daemon's configuration (SPEC 4). Keys are the SMF property
// names; flags carry the same names with dashes.
type Config struct {
	DBPath             string
	SocketPath         string
	Window             Window
	Concurrency        int
	Ladder             []string
	Allow              []string
	ConflictPackages   []string
	StepReleases       []Stone
	RecreateOrigin     string // "PUB=ORIGIN", "" = the global zone's first-ranked publisher
	RestorePaths       []string
	BootAfter          bool
	StageTimeout       time.Duration
	VerifyTimeout      time.Duration
	DefaultJobDuration time.Duration
	BreakerThreshold   int
	LogLevel           zerolog.Level
	AdminGroup         string
	MetricsFile        string // Prometheus textfile, "" = none
	ReportMail         string // the morning report's address, "" = none

	// Values are the effective values of every key, as strings (info).
	Values map[string]string

	// Not SMF properties: tuning for tests and the simulator.
	RetryBackoff time.Duration // first wait before repeating a transient failure; doubles
	Retries      int           // transient failures tolerated per step
	DrainGrace   time.Duration // how long shutdown lets running tools finish
}

// ConfigKey is one configuration key of SPEC 4: its name (the SMF
// property config/NAME; the flag --NAME with dashes), its default as a
// configuration string, the SMF type of its property, a line saying what
// it is (the flag's help) and its parser.
type ConfigKey struct {
	Name, Default, SMFType, Doc string
	// Parse checks a value (trimmed; the default when the key is not
	// given) and sets the key's field of c. Its error says why the value
	// is wrong: ParseConfig makes it the Why of a KeyError.
	Parse func(c *Config, v string) error
}

// ConfigKeys is the table of configuration keys, in SPEC order: the single
// source of zoneupd's flags, of what it reads from SMF, of ParseConfig, of
// the manifest test (names, types, defaults) and of the man page check.
// ParseConfig runs the parsers in this order and names the first key
// refused.
var ConfigKeys = []ConfigKey{
	{"db_path", "/var/zoneup/zoneup.db", "astring", "the job database",
		absPath(func(c *Config) *string { return &c.DBPath })},
	{"socket_path", "/var/run/zoneup/zoneupd.sock", "astring", "the control socket", func(c *Config, v string) error {
		c.SocketPath = v
		if !path.IsAbs(v) {
			return errors.New("must be an absolute path")
		}
		if len(v) > 100 {
			return errors.New("longer than a Unix socket path may be (100 bytes)")
		}
		return nil
	}},
	{"window", "always", "astring", "when jobs may start: always, or HH:MM-HH:MM local time", func(c *Config, v string) (err error) {
		c.Window, err = ParseWindow(v)
		return err
	}},
	{"concurrency", "2", "count", "jobs run at once",
		atLeast(1, "must be an integer >= 1", func(c *Config) *int { return &c.Concurrency })},
	{"ladder", strings.Join(domain.DefaultLadder, ","), "astring", "the rescue rungs tried, in order", func(c *Config, v string) (err error) {
		c.Ladder, err = domain.ParseLadder(v)
		return err
	}},
	{"allow", "", "astring", "destructive rungs allowed for every job", func(c *Config, v string) (err error) {
		c.Allow, err = domain.ParseAllow(v)
		domain.SortRungs(c.Allow)
		return err
	}},
	{"conflict_packages", "*apch*,*apache*,*php*,*postgr*,*sunstudio*,ss-dev*", "astring", "package patterns remove-conflicts may uninstall", func(c *Config, v string) error {
		c.ConflictPackages = domain.SplitList(v)
		for _, g := range c.ConflictPackages {
			if _, err := path.Match(strings.ToLower(g), ""); err != nil {
				return fmt.Errorf("bad glob %q", g)
			}
		}
		return nil
	}},
	{"step_releases", "opensolaris.org=http://pkg.opensolaris.org/release/@0.5.11-0.134", "astring", "stepping-stone releases, PUB=ORIGIN@VERSION,...", func(c *Config, v string) error {
		for _, s := range domain.SplitList(v) {
			st, err := parseStone(s)
			if err != nil {
				return err
			}
			c.StepReleases = append(c.StepReleases, st)
		}
		return nil
	}},
	{"recreate_origin", "", "astring", "PUB=ORIGIN for recreate-image (default: the global zone's first publisher)", func(c *Config, v string) error {
		c.RecreateOrigin = v
		if p, o, ok := strings.Cut(v, "="); v != "" && (!ok || p == "" || !strings.Contains(o, "://")) {
			return errors.New("must be PUBLISHER=ORIGIN-URI")
		}
		return nil
	}},
	{"restore_paths", "etc/passwd,etc/shadow,etc/group,etc/user_attr,etc/hosts,etc/inet/hosts,etc/nodename,etc/resolv.conf,etc/nsswitch.conf,etc/default/init,etc/ssh,var/spool/cron/crontabs", "astring", "zone-root paths restored from the snapshot after recreate-image", func(c *Config, v string) error {
		c.RestorePaths = domain.SplitList(v)
		for _, p := range c.RestorePaths {
			if path.IsAbs(p) || slices.Contains(strings.Split(p, "/"), "..") {
				return fmt.Errorf("%q must be relative to the zone root, without ..", p)
			}
		}
		return nil
	}},
	{"boot_after", "true", "boolean", "boot every upgraded zone", func(c *Config, v string) (err error) {
		if c.BootAfter, err = strconv.ParseBool(v); err != nil {
			return errors.New("must be true or false")
		}
		return nil
	}},
	{"stage_timeout", "2h", "astring", "longest a changing tool may run",
		positive(func(c *Config) *time.Duration { return &c.StageTimeout })},
	{"verify_timeout", "10m", "astring", "how long verify waits for multi-user-server",
		positive(func(c *Config) *time.Duration { return &c.VerifyTimeout })},
	{"default_job_duration", "1h", "astring", "the predicted length of a job before any has ended",
		positive(func(c *Config) *time.Duration { return &c.DefaultJobDuration })},
	{"breaker_threshold", "3", "count", "jobs in a row with the same unfixable cause that pause the queue (0: never)",
		atLeast(0, "must be an integer >= 0 (0 = off)", func(c *Config) *int { return &c.BreakerThreshold })},
	{"log_level", "info", "astring", "debug, info, warn or error", func(c *Config, v string) error {
		switch lvl := strings.ToLower(v); lvl {
		case "":
			c.LogLevel = zerolog.InfoLevel // ParseLevel("") would give NoLevel and hide everything
		case "debug", "info", "warn", "error":
			c.LogLevel, _ = zerolog.ParseLevel(lvl)
		default:
			return errors.New("must be debug, info, warn or error")
		}
		return nil
	}},
	{"admin_group", "", "astring", "a group whose members may change the queue", func(c *Config, v string) error {
		c.AdminGroup = v // whether the group exists is Run's question: the host's, not the value's
		return nil
	}},
	{"metrics_file", "", "astring", "a Prometheus textfile to write", func(c *Config, v string) error {
		if c.MetricsFile = v; v != "" && !path.IsAbs(v) {
			return errors.New("must be an absolute path (a .prom file in node_exporter's textfile directory)")
		}
		return nil
	}},
	{"report_mail", "", "astring", "where the morning report is mailed", func(c *Config, v string) error {
		if c.ReportMail = v; strings.HasPrefix(v, "-") || strings.ContainsAny(v, " \t\n,;") {
			return errors.New("must be one mail address (user or user@host)")
		}
		return nil
	}},
}

// absPath is the parser of a key that names an absolute path.
func absPath(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if *field(c) = v; !path.IsAbs(v) {
			return errors.New("must be an absolute path")
		}
		return nil
	}
}

// atLeast is the parser of a count no smaller than least.
func atLeast(least int, why string, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) (err error) {
		n := field(c)
		if *n, err = strconv.Atoi(v); err != nil || *n < least {
			return errors.New(why)
		}
		return nil
	}
}

// positive is the parser of a duration longer than zero.
func positive(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) (err error) {
		d := field(c)
		if *d, err = time.ParseDuration(v); err != nil || *d <= 0 {
			return errors.New("must be a positive Go duration such as 90s or 2h")
		}
		return nil
	}
}

// Defaults are ConfigKeys' defaults by name.
var Defaults = func() map[string]string {
	m := map[string]string{}
	for _, k := range ConfigKeys {
		m[k.Name] = k.Default
	}
	return m
}()

// ConfigKeyNamed is the key called name (ok false when there is none).
func ConfigKeyNamed(name string) (ConfigKey, bool) {
	for _, k := range ConfigKeys {
		if k.Name == name {
			return k, true
		}
	}
	return ConfigKey{}, false
}

// KeyError is a bad value of one configuration key. It wraps ErrConfig.
type KeyError struct {
	Key, Value, Why string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("%s: %s = %q: %s", ErrConfig, e.Key, e.Value, e.Why)
}

func (e *KeyError) Unwrap() error { return ErrConfig }

// ParseConfig builds a Config from key/value strings; keys not given take
// their defaults. Each key's parser (ConfigKeys) is run in table order;
// the first refusal is returned as a KeyError naming the key (it wraps
// ErrConfig).
func ParseConfig(kv map[string]string) (Config, error) {
	c := Config{RetryBackoff: 10 * time.Second, Retries: 4, DrainGrace: smf.DrainGrace}
	for k := range kv {
		if _, ok := Defaults[k]; !ok {
			return c, fmt.Errorf("%w: unknown key %q", ErrConfig, k)
		}
	}
	values := make(map[string]string, len(ConfigKeys))
	for _, k := range ConfigKeys {
		v := k.Default
		if given, ok := kv[k.Name]; ok {
			v = strings.TrimSpace(given)
		}
		if err := k.Parse(&c, v); err != nil {
			return c, &KeyError{Key: k.Name, Value: v, Why: err.Error()}
		}
		values[k.Name] = v
	}
	c.Values = values
	return c, nil
}

func parseStone(s string) (Stone, error) {
	pub, rest, ok := strings.Cut(s, "=")
	i := strings.LastIndex(rest, "@")
	if !ok || pub == "" || i <= 0 || i == len(rest)-1 || !strings.Contains(rest[:i], "://") {
		return Stone{}, fmt.Errorf("%q must be PUBLISHER=ORIGIN@VERSION", s)
	}
	return Stone{Publisher: pub, Origin: rest[:i], Version: rest[i+1:]}, nil
}

// Window is the maintenance window: always open, or a daily local-time
// interval that may cross midnight.
type Window struct {
	Always     bool
	Start, End int // minutes after local midnight
	spec       string
}

// ParseWindow parses "always" or "HH:MM-HH:MM".
func ParseWindow(s string) (Window, error) {
	if s == "always" {
		return Window{Always: true, spec: s}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return Window{}, errors.New(`must be "always" or HH:MM-HH:MM`)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return Window{}, errors.New(`must be "always" or HH:MM-HH:MM (00:00 to 23:59)`)
	}
	if start == end {
		return Window{}, errors.New("start and end are equal; use always")
	}
	return Window{Start: start, End: end, spec: s}, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// String gives the window as configured.
func (w Window) String() string { return w.spec }

// Length is how long the window is open each day (a day when always).
func (w Window) Length() time.Duration {
	if w.Always {
		return 24 * time.Hour
	}
	return time.Duration((w.End-w.Start+24*60)%(24*60)) * time.Minute
}

// Remaining returns how long the window stays open from now (0 when closed;
// a very long time when always open).
func (w Window) Remaining(now time.Time) time.Duration {
	if w.Always {
		return 100 * 365 * 24 * time.Hour
	}
	open, end := w.current(now)
	if !open {
		return 0
	}
	return end.Sub(now)
}

// NextOpen returns when the window next opens (now if it is open).
func (w Window) NextOpen(now time.Time) time.Time {
	if w.Always {
		return now
	}
	if open, _ := w.current(now); open {
		return now
	}
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	t := midnight.Add(time.Duration(w.Start) * time.Minute)
	if !t.After(now) {
		t = midnight.AddDate(0, 0, 1).Add(time.Duration(w.Start) * time.Minute)
	}
	return t
}

// Last returns the most recent opening of the window at or before now and
// when that opening closes (a window that is open now: the current one).
func (w Window) Last(now time.Time) (start, end time.Time) {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	start = midnight.Add(time.Duration(w.Start) * time.Minute)
	if start.After(now) {
		start = start.AddDate(0, 0, -1)
	}
	return start, start.Add(w.Length())
}

// On returns the opening of the window on the day of date (local) and when
// it closes.
func (w Window) On(date time.Time) (start, end time.Time) {
	start = time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, date.Location()).Add(time.Duration(w.Start) * time.Minute)
	return start, start.Add(w.Length())
}

// current reports whether now is inside the window and when it closes.
func (w Window) current(now time.Time) (bool, time.Time) {
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	min := now.Hour()*60 + now.Minute()
	at := func(day, m int) time.Time {
		return midnight.AddDate(0, 0, day).Add(time.Duration(m) * time.Minute)
	}
	if w.Start < w.End {
		return min >= w.Start && min < w.End, at(0, w.End)
	}
	// Crosses midnight: open from Start to 24:00 and from 00:00 to End.
	if min >= w.Start {
		return true, at(1, w.End)
	}
	if min < w.End {
		return true, at(0, w.End)
	}
	return false, time.Time{}
}
