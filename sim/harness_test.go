package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run the real zonesim binary through tool links on PATH, as the
// daemon does.

var (
	binDir   string // holds zonesim
	toolsDir string // zoneadm, zfs, ... -> zonesim
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "zonesim-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(tmp)
		binDir = filepath.Join(tmp, "bin")
		if d := os.Getenv("ZONEUP_BIN"); d != "" {
			if _, err := os.Stat(filepath.Join(d, "zonesim")); err == nil {
				binDir = d
			}
		}
		if binDir == filepath.Join(tmp, "bin") {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "zonesim"), "zoneup/cmd/zonesim").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "go build zonesim: %v\n%s", err, out)
				return 1
			}
		}
		toolsDir = filepath.Join(tmp, "tools")
		if out, err := exec.Command(filepath.Join(binDir, "zonesim"), "tools", "--bin", toolsDir).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "zonesim tools: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// testWorld is a world and the environment its tools run in.
type testWorld struct {
	t     testing.TB
	dir   string
	speed int
}

func newWorld(t testing.TB, speed int, initArgs ...string) *testWorld {
	t.Helper()
	w := &testWorld{t: t, dir: filepath.Join(t.TempDir(), "w"), speed: speed}
	out, err := exec.Command(filepath.Join(binDir, "zonesim"), append([]string{"init", "--world", w.dir}, initArgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("zonesim init %v: %v\n%s", initArgs, err, out)
	}
	return w
}

func newScenario(t testing.TB, speed int, scenario string) *testWorld {
	t.Helper()
	f := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(f, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return newWorld(t, speed, "--scenario", f)
}

func (w *testWorld) env() []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "ZONESIM_") && !strings.HasPrefix(e, "PATH=") && !strings.HasPrefix(e, "PKG_IMAGE=") {
			env = append(env, e)
		}
	}
	return append(env, "ZONESIM_WORLD="+w.dir, fmt.Sprintf("ZONESIM_SPEED=%d", w.speed),
		"PATH="+toolsDir+string(os.PathListSeparator)+os.Getenv("PATH"), "LC_ALL=C")
}

// result is one tool run.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%sstderr:\n%s", r.code, r.out, r.err)
}

// run runs a tool by its bare name through PATH.
func (w *testWorld) run(tool string, args ...string) result {
	w.t.Helper()
	// Found on the PATH the tools get, as the daemon finds them.
	p, err := lookIn(toolsDir+string(os.PathListSeparator)+os.Getenv("PATH"), tool)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(p, args...)
	cmd.Env = w.env()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		w.t.Fatalf("%s %v: %v", tool, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func lookIn(path, tool string) (string, error) {
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, tool)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not on PATH", tool)
}

// ok runs a tool and fails the test unless it exits 0.
func (w *testWorld) ok(tool string, args ...string) string {
	w.t.Helper()
	r := w.run(tool, args...)
	if r.code != 0 {
		w.t.Fatalf("%s %s: %s", tool, strings.Join(args, " "), r)
	}
	return r.out
}

// expectCode runs a tool and fails the test unless it exits code.
func (w *testWorld) expectCode(code int, tool string, args ...string) result {
	w.t.Helper()
	r := w.run(tool, args...)
	if r.code != code {
		w.t.Fatalf("%s %s: want exit %d, got %s", tool, strings.Join(args, " "), code, r)
	}
	return r
}

func (w *testWorld) state() *State {
	w.t.Helper()
	s, err := Load(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// showJSON is `zonesim show --json`, decoded.
func (w *testWorld) showJSON() *State {
	w.t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "zonesim"), "show", "--world", w.dir, "--json").Output()
	if err != nil {
		w.t.Fatalf("zonesim show --json: %v", err)
	}
	var s State
	if err := json.Unmarshal(out, &s); err != nil {
		w.t.Fatalf("show --json: %v\n%s", err, out)
	}
	return &s
}

func (w *testWorld) root(zone string) string { return filepath.Join(w.dir, "zones", zone, "root") }

// attachLog reads the file the Log File: line names.
func attachLog(t testing.TB, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(l, "Log File: "); ok {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatalf("no Log File: line in\n%s", out)
	return ""
}

// toDetached halts and detaches a zone as needed.
func (w *testWorld) toDetached(zone string) {
	w.t.Helper()
	switch w.state().Zone(zone).State {
	case "running":
		w.ok("zoneadm", "-z", zone, "halt")
		fallthrough
	case "installed":
		w.ok("zoneadm", "-z", zone, "detach")
	}
}
