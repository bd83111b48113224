package daemon

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"zoneup/host"
	"zoneup/smf"
)

// The manifest's config property group carries every key of the daemon's
// table (SPEC 4) with its default and its SMF type, and nothing else.
func TestManifestMatchesDefaults(t *testing.T) {
	got, types, err := smf.ConfigProperties()
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, Defaults) {
		t.Errorf("manifest config defaults %v\ndaemon defaults %v", got, Defaults)
	}
	if len(ConfigKeys) != len(Defaults) {
		t.Errorf("%d keys, %d defaults: a name is in the table twice", len(ConfigKeys), len(Defaults))
	}
	for _, k := range ConfigKeys {
		if types[k.Name] != k.SMFType {
			t.Errorf("config/%s: the manifest's type is %q, the table's %q", k.Name, types[k.Name], k.SMFType)
		}
		if k.Doc == "" {
			t.Errorf("config/%s has no doc line", k.Name)
		}
		if k.Parse == nil {
			t.Errorf("config/%s has no parser", k.Name)
		}
	}
}

func TestParseConfigNamesTheKey(t *testing.T) {
	for k, v := range map[string]string{
		"db_path": "relative", "window": "22:00", "concurrency": "0", "ladder": "nosuch",
		"allow": "image-update", "step_releases": "pub=origin", "recreate_origin": "x",
		"restore_paths": "../etc", "boot_after": "maybe", "stage_timeout": "-1s",
		"breaker_threshold": "-1", "log_level": "trace", "unknown_key": "1",
	} {
		_, err := ParseConfig(map[string]string{k: v})
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s = %q: %v; want a configuration error naming %s", k, v, err, k)
		}
	}
	cfg, err := ParseConfig(map[string]string{"log_level": ""})
	if err != nil || cfg.LogLevel.String() != "info" {
		t.Errorf("empty log_level: %v %v, want info", cfg.LogLevel, err)
	}
}

// Every refusal of ParseConfig, word for word: zoneupd prints these in
// its exit 96 line, and an operator (or a script) may look for them. The
// first bad key in table order is the one named.
func TestParseConfigMessages(t *testing.T) {
	long := "/" + strings.Repeat("x", 100)
	for _, c := range []struct{ key, value, want string }{
		{"db_path", "relative", `db_path = "relative": must be an absolute path`},
		{"socket_path", "rel", `socket_path = "rel": must be an absolute path`},
		{"socket_path", long, `socket_path = "` + long + `": longer than a Unix socket path may be (100 bytes)`},
		{"window", "22:00", `window = "22:00": must be "always" or HH:MM-HH:MM`},
		{"window", " 22:00 ", `window = "22:00": must be "always" or HH:MM-HH:MM`},
		{"window", "25:00-06:00", `window = "25:00-06:00": must be "always" or HH:MM-HH:MM (00:00 to 23:59)`},
		{"window", "06:00-06:00", `window = "06:00-06:00": start and end are equal; use always`},
		{"concurrency", "0", `concurrency = "0": must be an integer >= 1`},
		{"concurrency", "x", `concurrency = "x": must be an integer >= 1`},
		{"ladder", "nosuch", `ladder = "nosuch": unknown rung "nosuch" (rungs: global-publishers,zone-publishers,step-release,image-update,remove-conflicts,recreate-image)`},
		{"ladder", "image-update,image-update", `ladder = "image-update,image-update": rung "image-update" listed twice`},
		{"allow", "image-update", `allow = "image-update": image-update is not a destructive rung; it always runs (allow remove-conflicts or recreate-image)`},
		{"allow", "nosuch", `allow = "nosuch": unknown rung "nosuch" (destructive rungs: remove-conflicts or 6, recreate-image or 7)`},
		{"conflict_packages", "a[,b", `conflict_packages = "a[,b": bad glob "a["`},
		{"step_releases", "pub=origin", `step_releases = "pub=origin": "pub=origin" must be PUBLISHER=ORIGIN@VERSION`},
		{"recreate_origin", "x", `recreate_origin = "x": must be PUBLISHER=ORIGIN-URI`},
		{"recreate_origin", "=http://x", `recreate_origin = "=http://x": must be PUBLISHER=ORIGIN-URI`},
		{"restore_paths", "../etc", `restore_paths = "../etc": "../etc" must be relative to the zone root, without ..`},
		{"restore_paths", "/etc", `restore_paths = "/etc": "/etc" must be relative to the zone root, without ..`},
		{"restore_paths", "etc/../x", `restore_paths = "etc/../x": "etc/../x" must be relative to the zone root, without ..`},
		{"boot_after", "maybe", `boot_after = "maybe": must be true or false`},
		{"stage_timeout", "-1s", `stage_timeout = "-1s": must be a positive Go duration such as 90s or 2h`},
		{"verify_timeout", "0", `verify_timeout = "0": must be a positive Go duration such as 90s or 2h`},
		{"default_job_duration", "x", `default_job_duration = "x": must be a positive Go duration such as 90s or 2h`},
		{"breaker_threshold", "-1", `breaker_threshold = "-1": must be an integer >= 0 (0 = off)`},
		{"log_level", "trace", `log_level = "trace": must be debug, info, warn or error`},
		{"metrics_file", "x.prom", `metrics_file = "x.prom": must be an absolute path (a .prom file in node_exporter's textfile directory)`},
		{"report_mail", "-x", `report_mail = "-x": must be one mail address (user or user@host)`},
		{"report_mail", "a b", `report_mail = "a b": must be one mail address (user or user@host)`},
		{"unknown_key", "1", `unknown key "unknown_key"`},
	} {
		_, err := ParseConfig(map[string]string{c.key: c.value})
		if want := "bad configuration: " + c.want; err == nil || err.Error() != want {
			t.Errorf("%s = %q:\n got %v\nwant %s", c.key, c.value, err, want)
		}
	}
	_, err := ParseConfig(map[string]string{"log_level": "x", "concurrency": "0", "window": "bad"})
	var ke *KeyError
	if !errors.As(err, &ke) || ke.Key != "window" {
		t.Errorf("three bad keys: %v, want window (the first in table order)", err)
	}
}

func TestWindow(t *testing.T) {
	w, err := ParseWindow("22:00-06:00")
	if err != nil {
		t.Fatal(err)
	}
	day := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.Local) }
	cases := []struct {
		now       time.Time
		remaining time.Duration
		next      time.Time
	}{
		{day(23, 0), 7 * time.Hour, day(23, 0)},
		{day(5, 30), 30 * time.Minute, day(5, 30)},
		{day(12, 0), 0, day(22, 0)},
		{day(6, 0), 0, day(22, 0)},
	}
	for _, c := range cases {
		if got := w.Remaining(c.now); got != c.remaining {
			t.Errorf("Remaining(%s) = %s, want %s", c.now.Format("15:04"), got, c.remaining)
		}
		if got := w.NextOpen(c.now); !got.Equal(c.next) {
			t.Errorf("NextOpen(%s) = %s, want %s", c.now.Format("15:04"), got, c.next)
		}
	}
	if _, err := ParseWindow("06:00-06:00"); err == nil {
		t.Error("an empty window was accepted")
	}
}

func TestBelongsTo(t *testing.T) {
	p := host.Publisher{Name: "solaris", Origins: []string{"http://pkg.oracle.com/solaris/release/"}, Mirrors: []string{"http://mirror.example.com/s11/"}}
	for url, want := range map[string]bool{
		"http://pkg.oracle.com/solaris/release/catalog/1/catalog.attrs":  true,
		"http://pkg.oracle.com/solaris/release":                          true,
		"http://pkg.oracle.com/":                                         true, // host only: pycurl named the host
		"http://pkg.oracle.com/other/":                                   false,
		"http://pkg.oracle.com/solaris/release2/catalog/1/catalog.attrs": false, // a prefix, not a path
		"http://pkg.oracle.com/solaris/releases":                         false,
		"http://mirror.example.com/s11/file/0/abc":                       true,
		"http://pkg.example.com/extra/":                                  false,
		"":                                                               false,
	} {
		if got := belongsTo(url, p); got != want {
			t.Errorf("belongsTo(%q) = %v, want %v", url, got, want)
		}
	}
	// A catalog refresh failure names its publisher: that decides.
	for f, want := range map[host.Failure]bool{
		{Kind: host.FailTransport, Publisher: "solaris"}:                                                         true,
		{Kind: host.FailTransport, Publisher: "extra", URL: "http://pkg.oracle.com/solaris/release/versions/0/"}: false,
		{Kind: host.FailTransport, URL: "http://pkg.oracle.com/solaris/release/versions/0/"}:                     true,
		{Kind: host.FailTransport}: false,
	} {
		if got := failsOn(f, p); got != want {
			t.Errorf("failsOn(%+v) = %v, want %v", f, got, want)
		}
	}
}

func TestWindowLength(t *testing.T) {
	for spec, want := range map[string]time.Duration{"22:00-06:00": 8 * time.Hour, "01:00-05:30": 270 * time.Minute, "always": 24 * time.Hour} {
		w, err := ParseWindow(spec)
		if err != nil || w.Length() != want {
			t.Errorf("%s: %s %v, want %s", spec, w.Length(), err, want)
		}
	}
}

// zoneupd.8 documents every configuration key with its default, and every
// flag, as zoneupd --help lists them.
func TestManPageHasEveryKeyAndDefault(t *testing.T) {
	b, err := os.ReadFile("../man/zoneupd.8")
	if err != nil {
		t.Fatal(err)
	}
	man := string(b)
	for _, key := range ConfigKeys {
		k, def := key.Name, key.Default
		i := strings.Index(man, ".It Cm config/"+k+" ")
		if i < 0 {
			t.Errorf("zoneupd.8 has no entry for config/%s", k)
			continue
		}
		entry := man[i:]
		if j := strings.Index(entry[1:], "\n.It "); j > 0 {
			entry = entry[:j+1]
		}
		switch {
		case def == "":
			if !strings.Contains(entry, "Default empty") {
				t.Errorf("config/%s: the man page does not say it is empty by default", k)
			}
		case k == "restore_paths" || k == "conflict_packages" || k == "ladder":
			// long lists: their first element is there
			first, _, _ := strings.Cut(def, ",")
			if !strings.Contains(entry, first) {
				t.Errorf("config/%s: default %q not in %q", k, def, entry)
			}
		default:
			if !strings.Contains(entry, def) {
				t.Errorf("config/%s: default %q not in %q", k, def, entry)
			}
		}
		if flag := "Fl -" + strings.ReplaceAll(k, "_", "-"); !strings.Contains(man, flag) {
			t.Errorf("zoneupd.8 does not name the flag --%s", strings.ReplaceAll(k, "_", "-"))
		}
	}
	for _, flag := range []string{"background", "version", "retry-backoff", "drain-grace"} {
		if !strings.Contains(man, ".It Fl -"+flag) {
			t.Errorf("zoneupd.8 has no entry for --%s", flag)
		}
	}
}
