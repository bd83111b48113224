package smf

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Lines as svcprop prints them (display_prop, quote_for_shell), including
// the shapes that only appear with odd values.
func TestParseProps(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want map[string]string
	}{
		{"empty output", "", map[string]string{}},
		{"defaults", "config/db_path astring /var/zoneup/zoneup.db\nconfig/concurrency count 2\nconfig/boot_after boolean true\n",
			map[string]string{"config/db_path": "/var/zoneup/zoneup.db", "config/concurrency": "2", "config/boot_after": "true"}},
		{"no final newline", "config/window astring 22:00-06:00",
			map[string]string{"config/window": "22:00-06:00"}},
		{"empty string", `config/allow astring ""` + "\n",
			map[string]string{"config/allow": ""}},
		{"two quote characters are not empty", `config/x astring \"\"` + "\n",
			map[string]string{"config/x": `""`}},
		{"escaped space", `config/db_path astring /var/zone\ up/zoneup.db` + "\n",
			map[string]string{"config/db_path": "/var/zone up/zoneup.db"}},
		{"escaped semicolon and ampersand", `config/x astring a\;b\&c` + "\n",
			map[string]string{"config/x": "a;b&c"}},
		{"escaped backslash", `config/x astring C:\\dir\\` + "\n",
			map[string]string{"config/x": `C:\dir\`}},
		{"escaped quotes and backquote", `config/x astring say\ \"hi\"\ \'there\'\ \` + "`" + `date\` + "`\n",
			map[string]string{"config/x": "say \"hi\" 'there' `date`"}},
		{"escaped tab", "config/x astring a\\\tb\n",
			map[string]string{"config/x": "a\tb"}},
		{"escaped pipes, parentheses, carets and redirections", `config/x astring \(a\|b\)\^\<c\>` + "\n",
			map[string]string{"config/x": "(a|b)^<c>"}},
		{"newline inside a value continues the line", "config/x astring first\\\nsecond\nconfig/y count 3\n",
			map[string]string{"config/x": "first\nsecond", "config/y": "3"}},
		{"dollar, star, comma, equals are not escaped", "config/conflict_packages astring *apch*,*php*,ss-dev*\nconfig/step_releases astring opensolaris.org=http://pkg.opensolaris.org/release/@0.5.11-0.134\n",
			map[string]string{"config/conflict_packages": "*apch*,*php*,ss-dev*", "config/step_releases": "opensolaris.org=http://pkg.opensolaris.org/release/@0.5.11-0.134"}},
		{"several values join with commas", "config/allow astring remove-conflicts recreate-image\n",
			map[string]string{"config/allow": "remove-conflicts,recreate-image"}},
		{"several values, one empty, one with a space", `config/x astring a "" b\ c` + "\n",
			map[string]string{"config/x": "a,,b c"}},
		{"no values at all", "config/x astring \nconfig/y astring\n",
			map[string]string{"config/x": "", "config/y": ""}},
		{"blank lines", "\n  \nconfig/x count 1\n\n",
			map[string]string{"config/x": "1"}},
		{"other property groups are kept", "config/x count 1\nstartd/duration astring contract\n",
			map[string]string{"config/x": "1", "startd/duration": "contract"}},
		{"full FMRI names (-f)", "svc:/application/zoneup:default/:properties/config/window astring always\n",
			map[string]string{"config/window": "always"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProps([]byte(tt.out))
			if err != nil {
				t.Fatalf("ParseProps(%q): %v", tt.out, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ParseProps(%q)\n got %q\nwant %q", tt.out, got, tt.want)
			}
		})
	}
}

func TestParsePropsErrors(t *testing.T) {
	tests := []struct {
		name, out, want string
	}{
		{"no type", "config/x\n", `line 1: "config/x" has no type`},
		{"no type at the end", "config/x count 1\nconfig/y", `line 2: "config/y" has no type`},
		{"no property group", "db_path astring /x\n", `line 1: "db_path" is not pg/prop`},
		{"empty property name", "config/ astring /x\n", `line 1: "config/" is not pg/prop`},
		{"listed twice", "config/x count 1\nconfig/x count 2\n", "line 2: property config/x listed twice"},
		{"dangling backslash", `config/x astring a\`, "line 1: config/x: output ends in the middle of an escape"},
		{"line numbers count continued lines", "config/x astring a\\\nb\n\nconfig/y\n", `line 4: "config/y" has no type`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProps([]byte(tt.out))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseProps(%q) error = %v, want it to contain %q", tt.out, err, tt.want)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for v, want := range map[string]string{
		"":                      `""`,
		"/var/zoneup/zoneup.db": "/var/zoneup/zoneup.db",
		"a b":                   `a\ b`,
		`""`:                    `\"\"`,
		"a;b\tc\\d\ne":          "a\\;b\\\tc\\\\d\\\ne",
		"*apch*,$HOME=x@1":      "*apch*,$HOME=x@1",
	} {
		if got := Quote(v); got != want {
			t.Errorf("Quote(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	out := "config/window astring 22:00-06:00\n" +
		"config/db_path astring /var/zone\\ up/zoneup.db\n" +
		"config/allow astring \"\"\n" +
		"config/concurrency count 4\n" +
		"general/enabled boolean true\n"
	var argv []string
	run := func(ctx context.Context, a ...string) ([]byte, error) {
		argv = a
		return []byte(out), nil
	}
	kv, err := LoadConfig(context.Background(), DefaultFMRI, run)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"svcprop", "-p", "config", "svc:/application/zoneup:default"}; !slices.Equal(argv, want) {
		t.Errorf("argv = %q, want %q", argv, want)
	}
	want := map[string]string{"window": "22:00-06:00", "db_path": "/var/zone up/zoneup.db", "allow": "", "concurrency": "4"}
	if !maps.Equal(kv, want) {
		t.Errorf("LoadConfig = %q, want %q", kv, want)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	missing := errors.New("exit status 1: svcprop: Couldn't find property group `config' for instance `svc:/application/zoneup:default'.")
	_, err := LoadConfig(context.Background(), DefaultFMRI, func(context.Context, ...string) ([]byte, error) { return nil, missing })
	if !errors.Is(err, missing) || !strings.Contains(err.Error(), "property group config of svc:/application/zoneup:default") {
		t.Errorf("svcprop failing: %v", err)
	}
	_, err = LoadConfig(context.Background(), DefaultFMRI, func(context.Context, ...string) ([]byte, error) { return []byte("config/x\n"), nil })
	if err == nil || !strings.Contains(err.Error(), `svcprop -p config svc:/application/zoneup:default: line 1: "config/x" has no type`) {
		t.Errorf("bad output: %v", err)
	}
	called := false
	_, err = LoadConfig(context.Background(), "", func(context.Context, ...string) ([]byte, error) { called = true; return nil, nil })
	if err == nil || called {
		t.Errorf("no FMRI: err %v, svcprop run %v", err, called)
	}
}

func TestFMRI(t *testing.T) {
	t.Setenv("SMF_FMRI", "")
	if f, ok := FMRI(); ok || f != "" {
		t.Errorf("without SMF_FMRI: %q, %v", f, ok)
	}
	t.Setenv("SMF_FMRI", DefaultFMRI)
	if f, ok := FMRI(); !ok || f != DefaultFMRI {
		t.Errorf("with SMF_FMRI: %q, %v", f, ok)
	}
}

func TestExitCodes(t *testing.T) {
	// libscf.h; svc.startd acts on these numbers, so they never change.
	for got, want := range map[int]int{ExitOK: 0, ExitFatal: 95, ExitConfig: 96, ExitNoSMF: 99, ExitPerm: 100} {
		if got != want {
			t.Errorf("exit code %d, want %d", got, want)
		}
	}
}

// FuzzParseProps: no input makes the parser panic; whatever it accepts has
// pg/prop names; and any value, quoted as svcprop quotes it, comes back
// unchanged, alone or next to others.
func FuzzParseProps(f *testing.F) {
	for _, s := range []string{
		"config/db_path astring /var/zoneup/zoneup.db\n",
		`config/x astring a\ b\;c\\d\"e ""` + "\n",
		"config/x astring a\\\tb\\\nc\n",
		"svc:/application/zoneup:default/:properties/config/window astring always",
		"config/x astring \\",
		"\n\n  config/y count 2\nconfig/z",
	} {
		f.Add([]byte(s), "value with spaces; and \\ \"quotes\"\n")
	}
	f.Fuzz(func(t *testing.T, out []byte, value string) {
		if props, err := ParseProps(out); err == nil {
			for name := range props {
				if pg, prop, ok := strings.Cut(name, "/"); !ok || pg == "" || prop == "" {
					t.Errorf("ParseProps(%q) accepted name %q", out, name)
				}
			}
		}
		q := "config/a astring " + Quote(value) + "\nconfig/b astring x " + Quote(value) + "\n"
		props, err := ParseProps([]byte(q))
		if err != nil {
			t.Fatalf("ParseProps(%q): %v", q, err)
		}
		if props["config/a"] != value || props["config/b"] != "x,"+value {
			t.Errorf("value %q came back as %q and %q", value, props["config/a"], props["config/b"])
		}
	})
}
