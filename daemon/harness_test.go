package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/api"
	"zoneup/internal/testbin"
	"zoneup/persist"
	"zoneup/sim"
)

// The scenario tests run the engine in process against the real zonesim
// binary, found on PATH exactly as the real tools would be.

// binaries is the folder with zonesim, zoneupd and zoneupadm
// (internal/testbin).
func binaries(t testing.TB) string { return testbin.Dir(t) }

// simWorld is a zonesim world with its tools first on PATH.
type simWorld struct {
	t     testing.TB
	dir   string
	tools string
}

func newSimWorld(t testing.TB, speed int, initArgs ...string) *simWorld {
	t.Helper()
	bin := binaries(t)
	dir := t.TempDir()
	w := &simWorld{t: t, dir: filepath.Join(dir, "w"), tools: filepath.Join(dir, "tools")}
	w.zonesim(append([]string{"init", "--world", w.dir}, initArgs...)...)
	w.zonesim("tools", "--bin", w.tools)
	t.Setenv("ZONESIM_WORLD", w.dir)
	t.Setenv("ZONESIM_SPEED", fmt.Sprint(speed))
	t.Setenv("PATH", w.tools+string(os.PathListSeparator)+os.Getenv("PATH"))
	_ = bin
	return w
}

func (w *simWorld) zonesim(args ...string) string {
	w.t.Helper()
	out, err := exec.Command(filepath.Join(binaries(w.t), "zonesim"), args...).CombinedOutput()
	if err != nil {
		w.t.Fatalf("zonesim %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// scenario writes a scenario file and makes a world from it.
func newScenario(t testing.TB, speed int, scenario string) *simWorld {
	t.Helper()
	f := filepath.Join(t.TempDir(), "scenario.json")
	if err := os.WriteFile(f, []byte(scenario), 0o644); err != nil {
		t.Fatal(err)
	}
	return newSimWorld(t, speed, "--scenario", f)
}

// simState is `zonesim show --json`.
type simState struct {
	Profile string `json:"profile"`
	GZ      struct {
		Entire     string         `json:"entire"`
		Publishers []simPublisher `json:"publishers"`
	} `json:"gz"`
	Zones []simZone `json:"zones"`
}

type simPublisher struct {
	Name    string   `json:"name"`
	Origins []string `json:"origins"`
	Mirrors []string `json:"mirrors"`
	Enabled bool     `json:"enabled"`
	Sticky  bool     `json:"sticky"`
	// Properties (omnios): compared too when publishers are printed.
	Properties map[string]string `json:"properties,omitempty"`
}

type simZone struct {
	Name       string         `json:"name"`
	Brand      string         `json:"brand"`
	State      string         `json:"state"`
	Zonepath   string         `json:"zonepath"`
	Dataset    string         `json:"dataset"`
	Entire     string         `json:"entire"`
	Publishers []simPublisher `json:"publishers"`
	Packages   []struct {
		Stem      string `json:"stem"`
		Publisher string `json:"publisher"`
		Version   string `json:"version"`
	} `json:"packages"`
	Snapshots []string `json:"snapshots"`
	ZBE       string   `json:"zbe"`
	Mounted   bool     `json:"mounted"`
	Troubles  []struct {
		Name    string   `json:"name"`
		CuredBy []string `json:"cured_by"`
		Cured   bool     `json:"cured"`
	} `json:"troubles"`
	Faults []string `json:"faults"`
}

func (w *simWorld) show() simState {
	w.t.Helper()
	var s simState
	if err := json.Unmarshal([]byte(w.zonesim("show", "--world", w.dir, "--json")), &s); err != nil {
		w.t.Fatalf("zonesim show --json: %v", err)
	}
	return s
}

func (s simState) zone(name string) simZone {
	for _, z := range s.Zones {
		if z.Name == name {
			return z
		}
	}
	return simZone{}
}

// testEngine runs an Engine on a bbolt store in a temp folder.
type testEngine struct {
	*Engine
	t     testing.TB
	store persist.Store
	db    string
}

func startEngine(t testing.TB, kv map[string]string) *testEngine {
	t.Helper()
	db := filepath.Join(t.TempDir(), "zoneup.db")
	return startEngineAt(t, db, kv)
}

func startEngineAt(t testing.TB, db string, kv map[string]string, before ...func(*Engine)) *testEngine {
	t.Helper()
	conf := map[string]string{"db_path": db, "socket_path": "/tmp/unused.sock",
		"stage_timeout": "20s", "verify_timeout": "5s"}
	for k, v := range kv {
		conf[k] = v
	}
	cfg, err := ParseConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryBackoff = 20 * time.Millisecond
	store, err := persist.Open(db, persist.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.Nop()
	if testing.Verbose() {
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.InfoLevel)
	}
	e := NewEngine(store, cfg, nil, log)
	for _, f := range before {
		f(e)
	}
	if err := e.start(); err != nil {
		t.Fatal(err)
	}
	te := &testEngine{Engine: e, t: t, store: store, db: db}
	t.Cleanup(te.stop)
	return te
}

func (e *testEngine) stop() {
	select {
	case <-e.Done():
		return
	default:
	}
	e.Shutdown()
	<-e.Done()
	e.store.Close()
}

// enqueue queues zones and fails the test on any refusal.
func (e *testEngine) enqueue(allow []string, zones ...string) {
	e.t.Helper()
	res, err := e.Enqueue(context.Background(), api.EnqueueRequest{Zones: zones, Allow: allow})
	if err != nil {
		e.t.Fatalf("enqueue %v: %v", zones, err)
	}
	for _, r := range res {
		if r.Error != "" {
			e.t.Fatalf("enqueue %s: %s", r.Zone, r.Error)
		}
	}
}

// waitAll waits until every job is terminal.
func (e *testEngine) waitAll(timeout time.Duration) []api.Job {
	e.t.Helper()
	deadline := time.After(timeout)
	for {
		ch := e.Changed()
		var jobs []api.Job
		all := true
		_ = e.Jobs(context.Background(), func(j api.Job) error {
			jobs = append(jobs, j)
			all = all && j.Terminal
			return nil
		})
		if all && len(jobs) > 0 {
			return jobs
		}
		select {
		case <-ch:
		case <-deadline:
			var b strings.Builder
			for _, j := range jobs {
				fmt.Fprintf(&b, "  %s %s %s\n", j.Zone, j.State, j.Error)
			}
			e.t.Fatalf("jobs not terminal after %s:\n%s", timeout, b.String())
		}
	}
}

func (e *testEngine) job(zone string) api.Job {
	e.t.Helper()
	j, err := e.Status(context.Background(), zone)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// state is `zonesim show --json` as the simulator's own type, whose Expect
// computes each zone's outcome from its troubles and faults.
func (w *simWorld) state() *sim.State {
	w.t.Helper()
	var s sim.State
	if err := json.Unmarshal([]byte(w.zonesim("show", "--world", w.dir, "--json")), &s); err != nil {
		w.t.Fatalf("zonesim show --json: %v", err)
	}
	return &s
}
