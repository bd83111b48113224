package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"zoneup/daemon/api"
	"zoneup/domain"
	"zoneup/persist/memstore"
	"zoneup/sim"
)

// The scenario files (testdata/scenarios/*.txt) are stories told to the
// engine in the spirit of etcd-io/raft's datadriven tests, each run in
// process, in milliseconds: the simulator's tools through sim.Host (no
// process per call), the in-memory store, and a crash that is a clone of
// that store at one instant, as kill -9 leaves a database file. The format:
//
//	# a comment
//	world                          a zonesim world: the indented lines are a
//	  {"profile": "s11e", ...}     scenario (zonesim init --scenario, sim/doc.go);
//	world fleet=8 seed=11          or a generated fleet [profile=oi]
//	config key=value ...           daemon configuration (SPEC 4 keys, and
//	                               retry_backoff, retries, drain_grace),
//	                               for every engine started after it
//	crash after|before [#N] CMD    the engine dies right after (before) the Nth
//	                               (default first) tool call whose command line
//	                               holds CMD (* matches anything): its store is
//	                               cloned at that instant and everything it
//	                               does later blocks, so nothing more reaches
//	                               the world; a call "before" never starts,
//	                               calls under way are killed (their ctx ends)
//	hold before [#N] CMD           the next (Nth) call holding CMD waits ...
//	held [CMD]                     ... until this sees it waiting ...
//	release [CMD]                  ... and this lets it go (several holds may
//	                               be armed: CMD names one, default the last)
//	enqueue [--allow R,..] [--no-boot] ZONE...   (starts the engine if none runs)
//	cancel ZONE | retry ZONE | pause | resume
//	crashed                        wait until the crash point has come
//	restart                        after a crash: a new engine on the clone; with
//	                               no crash: drain the engine, start another
//	reboot                         zonesim reboot (the host, not the daemon)
//	sleep DURATION                 let the engine run on (to show a race only)
//	wait [ZONE...]                 until those jobs (default: all) are terminal
//	expect                         every indented line is one check:
//	  job ZONE RESULT [RUNG]       result and rung ("-": none)
//	  state ZONE STATE             the job's state
//	  history ZONE WORD...         exactly these stage[/rung]:outcome words ("-": none)
//	  history ZONE has WORD...     these words, in this order, among others
//	  history ZONE lacks PREFIX... no word starts so
//	  cause|error ZONE PATTERN     the job's cause or error ("-": empty)
//	  warning ZONE PATTERN         some warning matches; "warnings ZONE none"
//	  removed ZONE STEM...|none    removed_packages, as a set
//	  restored ZONE PATH...|none   these in restored_files ("none": empty)
//	  log ZONE PATTERN             some line of the job's log matches
//	  snapshot ZONE taken|none     the job's snapshot exists on the zonepath (or
//	                               the job named none and the zone has no zoneup one)
//	  COUNT [ok] CMD               so many calls (started; ok: that ended with
//	                               exit 0) hold CMD: "one zfs snapshot -r",
//	                               "no zfs rollback", "2 ... halt"
//	  zone ZONE STATE [k=v...]     the zone in the world: entire=VER|gz|before,
//	                               mounted=yes|no, packages=before|changed,
//	                               publishers=before, files=before (every file of
//	                               the zone BE), snapshots=N (zoneup snapshots of
//	                               its zonepath)
//	  file ZONE PATH before|changed|absent   one file of the zone BE
//	  order CMD < CMD              the first call holding one comes before the
//	                               first holding the other
//	  nothing done twice           no completed zfs snapshot, uninstall or
//	                               image-create twice, one zoneup snapshot a zone
//	  gz publishers unchanged|stripped
//	  paused [PATTERN] | not paused
//	  as zonesim expects [ZONE...] each job's result and rung as the zone's
//	                               troubles and faults allow (sim.State.Expect)
//
// A pattern is matched whole, * standing for anything; a CMD is a part of
// the command line (tool and arguments, as in the invocation log). Every
// failure names the file and line of the command or check.
func TestScenarioFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			t.Parallel()
			script, err := parseScript(f)
			if err != nil {
				t.Fatal(err)
			}
			newScenarioRun(t, f).run(script)
		})
	}
}

// scriptCmd is one command of a scenario file and its indented lines.
type scriptCmd struct {
	line  int
	name  string
	args  []string // the words after the name
	rest  string   // the text after the name
	block []scriptLine
}

type scriptLine struct {
	line int
	text string
}

// parseScript reads a scenario file: a command per line at the start of
// the line, indented lines belong to the command above, blank lines and
// lines starting with # are ignored.
func parseScript(path string) ([]scriptCmd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []scriptCmd
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		raw := strings.TrimRight(sc.Text(), " \t\r")
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: an indented line before any command", path, n)
			}
			c := &out[len(out)-1]
			c.block = append(c.block, scriptLine{n, text})
			continue
		}
		name, rest, _ := strings.Cut(text, " ")
		rest = strings.TrimSpace(rest)
		out = append(out, scriptCmd{line: n, name: name, args: strings.Fields(rest), rest: rest})
	}
	return out, sc.Err()
}

// scenarioRun is one scenario file being told.
type scenarioRun struct {
	t      *testing.T
	file   string
	host   sim.Host
	before *sim.State // the world as made
	kv     map[string]string
	lives  []*life // every engine started, the current one last
	ended  chan struct{}

	// files are the hashes of each zone's files as the world was made.
	files  map[string]map[string]string
	remove func() // the world's folder

	mu    sync.Mutex // crash, hold
	crash *crashPoint
	holds []*holdPoint
}

// crashPoint is an armed "crash after|before".
type crashPoint struct {
	line        int
	at, pattern string
	nth, seen   int
	victim      *life // the engine it killed, once fired
}

// holdPoint is an armed "hold before".
type holdPoint struct {
	line      int
	pattern   string
	nth, seen int
	reached   chan struct{}
	release   chan struct{}
	taken     bool
}

// life is one engine, from its start to its death (a crash point) or the
// end of the test.
type life struct {
	s     *scenarioRun
	e     *Engine
	store *memstore.Store
	// dying is set when the engine dies, then clone is its store at that
	// instant, then dead is closed.
	dying    atomic.Bool
	dead     chan struct{}
	deadOnce sync.Once
	clone    *memstore.Store
	mu       sync.Mutex
	running  map[int]context.CancelFunc // calls under way
	next     int
	inWorld  sync.WaitGroup // calls in the world now
}

func newScenarioRun(t *testing.T, file string) *scenarioRun {
	s := &scenarioRun{t: t, file: file, ended: make(chan struct{}), files: map[string]map[string]string{},
		kv: map[string]string{"stage_timeout": "5s", "verify_timeout": "2s", "retry_backoff": "1ms", "drain_grace": "2s"}}
	t.Cleanup(s.cleanup)
	return s
}

// fail ends the scenario at a command.
func (s *scenarioRun) fail(line int, format string, a ...any) {
	s.t.Helper()
	s.dump()
	s.t.Fatalf("%s:%d: %s", s.file, line, fmt.Sprintf(format, a...))
}

func (s *scenarioRun) run(script []scriptCmd) {
	for _, c := range script {
		s.do(c)
	}
	s.mu.Lock()
	cp := s.crash
	s.mu.Unlock()
	if cp != nil && cp.victim == nil {
		s.fail(cp.line, "crash point %q never reached", cp.pattern)
	}
	if s.t.Failed() {
		s.dump()
	}
}

func (s *scenarioRun) do(c scriptCmd) {
	s.t.Helper()
	needWorld := func() {
		if s.host.World == "" {
			s.fail(c.line, "%s before world", c.name)
		}
	}
	switch c.name {
	case "world":
		s.world(c)
	case "config":
		for _, kv := range c.args {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				s.fail(c.line, "config %q: want key=value", kv)
			}
			s.kv[k] = v
		}
	case "crash":
		if len(c.args) < 2 || (c.args[0] != "after" && c.args[0] != "before") {
			s.fail(c.line, "crash after|before [#N] CMD")
		}
		cp := &crashPoint{line: c.line, at: c.args[0]}
		var words []string
		cp.nth, words = nthOf(c.args[1:])
		cp.pattern = strings.Join(words, " ")
		s.mu.Lock()
		if s.crash != nil && s.crash.victim == nil {
			s.mu.Unlock()
			s.fail(c.line, "a crash point is armed already (line %d)", s.crash.line)
		}
		s.crash = cp
		s.mu.Unlock()
	case "hold":
		if len(c.args) < 2 || c.args[0] != "before" {
			s.fail(c.line, "hold before [#N] CMD")
		}
		nth, words := nthOf(c.args[1:])
		s.mu.Lock()
		s.holds = append(s.holds, &holdPoint{line: c.line, pattern: strings.Join(words, " "), nth: nth,
			reached: make(chan struct{}), release: make(chan struct{})})
		s.mu.Unlock()
	case "held":
		h := s.holdPoint(c)
		select {
		case <-h.reached:
		case <-time.After(10 * time.Second):
			s.fail(c.line, "no call holding %q came (hold at line %d)", h.pattern, h.line)
		}
	case "release":
		h := s.holdPoint(c)
		close(h.release)
		s.mu.Lock()
		s.holds = slices.DeleteFunc(s.holds, func(x *holdPoint) bool { return x == h })
		s.mu.Unlock()
	case "enqueue":
		needWorld()
		req := api.EnqueueRequest{}
		for i := 0; i < len(c.args); i++ {
			switch a := c.args[i]; {
			case a == "--allow" && i+1 < len(c.args):
				req.Allow = append(req.Allow, strings.Split(c.args[i+1], ",")...)
				i++
			case a == "--no-boot":
				req.NoBoot = true
			default:
				req.Zones = append(req.Zones, a)
			}
		}
		res, err := s.engine(c).Enqueue(context.Background(), req)
		if err != nil {
			s.fail(c.line, "enqueue: %v", err)
		}
		for _, r := range res {
			if r.Error != "" {
				s.fail(c.line, "enqueue %s refused: %s", r.Zone, r.Error)
			}
		}
	case "cancel", "retry":
		if len(c.args) != 1 {
			s.fail(c.line, "%s ZONE", c.name)
		}
		e := s.engine(c)
		op := e.Cancel
		if c.name == "retry" {
			op = e.Retry
		}
		if err := op(context.Background(), c.args[0]); err != nil {
			s.fail(c.line, "%s %s: %v", c.name, c.args[0], err)
		}
	case "pause", "resume":
		e := s.engine(c)
		op := e.Pause
		if c.name == "resume" {
			op = e.Resume
		}
		if err := op(context.Background()); err != nil {
			s.fail(c.line, "%s: %v", c.name, err)
		}
	case "crashed":
		s.awaitCrash(c)
	case "restart":
		s.restart(c)
	case "sleep":
		d, err := time.ParseDuration(c.rest)
		if err != nil {
			s.fail(c.line, "sleep DURATION: %v", err)
		}
		time.Sleep(d)
	case "reboot":
		needWorld()
		if err := sim.Reboot(s.host.World); err != nil {
			s.fail(c.line, "zonesim reboot: %v", err)
		}
	case "wait":
		s.wait(c)
	case "expect":
		needWorld()
		s.expect(c)
	default:
		s.fail(c.line, "unknown command %q", c.name)
	}
}

// holdPoint is the hold a held or release names: the one whose pattern
// is its argument, or the last one armed.
func (s *scenarioRun) holdPoint(c scriptCmd) *holdPoint {
	name := c.rest
	if n, words := nthOf(c.args); n > 1 {
		name = strings.Join(words, " ")
	}
	s.mu.Lock()
	for i := len(s.holds) - 1; i >= 0; i-- {
		if h := s.holds[i]; name == "" || h.pattern == name {
			s.mu.Unlock()
			return h
		}
	}
	s.mu.Unlock()
	s.fail(c.line, "%s: no such hold", c.name)
	return nil
}

// fastDir is a new folder on a memory file system when the host has one
// (a world is many small files rewritten at every call), and its removal.
func fastDir(t *testing.T) (string, func()) {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "zoneup-scenario-"); err == nil {
			return d, func() { os.RemoveAll(d) }
		}
	}
	return t.TempDir(), func() {}
}

func (s *scenarioRun) world(c scriptCmd) {
	if s.host.World != "" {
		s.fail(c.line, "a second world")
	}
	opts := sim.InitOptions{}
	speed := 1e6
	for _, kv := range c.args {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "fleet":
			opts.Fleet, err = strconv.Atoi(v)
		case "seed":
			opts.Seed, err = strconv.ParseInt(v, 10, 64)
		case "profile":
			opts.Profile = v
		case "speed":
			speed, err = strconv.ParseFloat(v, 64)
		default:
			err = fmt.Errorf("unknown option")
		}
		if err != nil {
			s.fail(c.line, "world %s: %v", kv, err)
		}
	}
	if len(c.block) > 0 {
		var b strings.Builder
		for _, l := range c.block {
			b.WriteString(l.text + "\n")
		}
		sc := &sim.Scenario{}
		dec := json.NewDecoder(strings.NewReader(b.String()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(sc); err != nil {
			s.fail(c.line, "world: %v", err)
		}
		opts.Scenario = sc
	}
	top, remove := fastDir(s.t)
	s.remove = remove
	dir := filepath.Join(top, "w")
	if err := sim.Init(dir, opts); err != nil {
		s.fail(c.line, "world: %v", err)
	}
	st, err := sim.Load(dir)
	if err != nil {
		s.fail(c.line, "world: %v", err)
	}
	s.host, s.before = sim.Host{World: dir, Speed: speed}, st
	for _, z := range st.Zones {
		s.files[z.Name] = s.zoneFiles(z)
	}
}

// config is the daemon configuration of the scenario.
func (s *scenarioRun) config(line int) Config {
	conf := map[string]string{"db_path": "/nonexistent/zoneup.db", "socket_path": "/nonexistent/zoneupd.sock"}
	var backoff, grace time.Duration
	retries := -1
	for k, v := range s.kv {
		var err error
		switch k {
		case "retry_backoff":
			backoff, err = time.ParseDuration(v)
		case "drain_grace":
			grace, err = time.ParseDuration(v)
		case "retries":
			retries, err = strconv.Atoi(v)
		default:
			conf[k] = v
		}
		if err != nil {
			s.fail(line, "config %s=%s: %v", k, v, err)
		}
	}
	cfg, err := ParseConfig(conf)
	if err != nil {
		s.fail(line, "config: %v", err)
	}
	cfg.RetryBackoff, cfg.DrainGrace = backoff, grace
	if retries >= 0 {
		cfg.Retries = retries
	}
	return cfg
}

// engine is the engine now alive, started on a new store if none is.
func (s *scenarioRun) engine(c scriptCmd) *Engine {
	if len(s.lives) == 0 {
		s.start(c.line, memstore.New(memstore.Options{}))
	}
	l := s.lives[len(s.lives)-1]
	if l.isDead() {
		s.fail(c.line, "%s: the engine died at the crash point: restart first", c.name)
	}
	return l.e
}

func (s *scenarioRun) start(line int, store *memstore.Store) *life {
	l := &life{s: s, store: store, dead: make(chan struct{}), running: map[int]context.CancelFunc{}}
	log := zerolog.Nop()
	if testing.Verbose() {
		log = zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).Level(zerolog.WarnLevel).With().
			Str("scenario", filepath.Base(s.file)).Int("life", len(s.lives)+1).Logger()
	}
	l.e = NewEngine(store, s.config(line), nil, log)
	l.e.spawn = l.spawn
	s.lives = append(s.lives, l)
	if err := l.e.start(); err != nil {
		s.fail(line, "engine start: %v", err)
	}
	return l
}

// spawn is the engine's way to the world, sim.Host in process, with the
// crash and hold points on the way.
func (l *life) spawn(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := l.s
	tool := filepath.Base(argv[0])
	cmd := strings.Join(append([]string{tool}, argv[1:]...), " ")
	if l.isDead() {
		return l.afterDeath()
	}
	s.mu.Lock()
	var h *holdPoint
	for _, x := range s.holds {
		if !x.taken && cmdMatch(x.pattern, cmd) {
			if x.seen++; x.seen < x.nth {
				continue
			}
			h, x.taken = x, true
			close(x.reached)
			break
		}
	}
	s.mu.Unlock()
	if h != nil {
		select {
		case <-h.release:
		case <-ctx.Done():
			return -1 // killed while it waited (a timeout, the drain's end)
		case <-l.dead:
			return l.afterDeath()
		case <-s.ended:
			return -1
		}
	}
	if s.crashes(l, "before", cmd) {
		l.die()
		return l.afterDeath()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.mu.Lock()
	if l.isDead() {
		l.mu.Unlock()
		return l.afterDeath()
	}
	id := l.next
	l.next++
	l.running[id] = cancel
	l.inWorld.Add(1)
	l.mu.Unlock()
	code := s.host.Run(ctx, tool, argv[1:], stdin, stdout, stderr)
	l.mu.Lock()
	delete(l.running, id)
	l.mu.Unlock()
	l.inWorld.Done()
	if l.isDead() {
		return l.afterDeath() // killed with the engine: it never learns the outcome
	}
	if s.crashes(l, "after", cmd) {
		l.die()
		return l.afterDeath()
	}
	return code
}

// nthOf splits "#N CMD..." into N and the command (N is 1 without #N).
func nthOf(words []string) (int, []string) {
	if len(words) > 1 && strings.HasPrefix(words[0], "#") {
		if n, err := strconv.Atoi(words[0][1:]); err == nil && n > 0 {
			return n, words[1:]
		}
	}
	return 1, words
}

// crashes reports whether the armed crash point is this call, at this
// point, and spends it.
func (s *scenarioRun) crashes(l *life, at, cmd string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.crash
	if cp == nil || cp.victim != nil || cp.at != at || !cmdMatch(cp.pattern, cmd) {
		return false
	}
	if cp.seen++; cp.seen == cp.nth {
		cp.victim = l
	}
	return cp.victim == l
}

func (l *life) isDead() bool { return l.dying.Load() }

// die is kill -9 of the engine: every later call blocks (afterDeath), the
// store is kept as it is now, and the calls under way are killed with it,
// as zonesim's crash hook kills every tool of the world (and SMF, every
// process of the contract): the next engine starts once they are gone, so
// it never meets a tool of the dead one still at work.
func (l *life) die() {
	l.deadOnce.Do(func() {
		l.mu.Lock()
		l.dying.Store(true)
		for _, cancel := range l.running {
			cancel()
		}
		l.mu.Unlock()
		l.clone = l.store.Clone()
		l.inWorld.Wait()
		close(l.dead)
	})
}

// afterDeath is what a call of a dead engine gets: nothing until the test
// ends.
func (l *life) afterDeath() int {
	<-l.s.ended
	return -1
}

// restart starts the next engine: on the clone of the store of the one a
// crash point ended (waiting for it to come), or, with no crash point due,
// after the running one drained.
func (s *scenarioRun) restart(c scriptCmd) {
	if len(s.lives) == 0 {
		s.fail(c.line, "restart before any engine")
	}
	cur := s.lives[len(s.lives)-1]
	s.mu.Lock()
	cp := s.crash
	due := cp != nil && (cp.victim == nil || cp.victim == cur)
	s.mu.Unlock()
	if !due && !cur.isDead() {
		cur.e.Shutdown()
		select {
		case <-cur.e.Done():
		case <-time.After(10 * time.Second):
			s.fail(c.line, "restart: the engine did not drain")
		}
		s.start(c.line, cur.store)
		return
	}
	s.start(c.line, s.awaitCrash(c).clone)
}

// awaitCrash waits until the armed crash point has killed the engine
// alive now, and returns it.
func (s *scenarioRun) awaitCrash(c scriptCmd) *life {
	if len(s.lives) == 0 {
		s.fail(c.line, "%s before any engine", c.name)
	}
	cur := s.lives[len(s.lives)-1]
	s.mu.Lock()
	cp := s.crash
	s.mu.Unlock()
	if cp == nil {
		s.fail(c.line, "%s: no crash point", c.name)
	}
	deadline := time.After(10 * time.Second)
	for {
		ch := cur.e.Changed()
		idle := true
		_ = cur.e.Jobs(context.Background(), func(j api.Job) error {
			idle = idle && j.Terminal
			return nil
		})
		if idle && !cur.isDead() {
			// Every job ended: the call will not come. (A last look: the
			// crash may have come with the last change.)
			select {
			case <-cur.dead:
				return cur
			case <-time.After(50 * time.Millisecond):
			}
			if !cur.isDead() {
				s.fail(c.line, "%s: the crash point %q (line %d) was not reached: every job ended", c.name, cp.pattern, cp.line)
			}
		}
		select {
		case <-cur.dead:
			return cur
		case <-ch:
		case <-deadline:
			s.fail(c.line, "%s: the crash point %q (line %d) was not reached", c.name, cp.pattern, cp.line)
		}
	}
}

// wait waits until the jobs of zones (all when none) are terminal.
func (s *scenarioRun) wait(c scriptCmd) {
	e := s.engine(c)
	l := s.lives[len(s.lives)-1]
	deadline := time.After(20 * time.Second)
	for {
		ch := e.Changed()
		var jobs []api.Job
		all := true
		_ = e.Jobs(context.Background(), func(j api.Job) error {
			if len(c.args) == 0 || slices.Contains(c.args, j.Zone) {
				jobs = append(jobs, j)
				all = all && j.Terminal
			}
			return nil
		})
		if all && len(jobs) >= max(1, len(c.args)) {
			return
		}
		select {
		case <-ch:
		case <-l.dead:
			s.fail(c.line, "wait: the engine died at the crash point: restart first")
		case <-deadline:
			s.fail(c.line, "wait: jobs not terminal after 20s")
		}
	}
}

func (s *scenarioRun) cleanup() {
	close(s.ended) // the dead engines' calls return
	for _, l := range s.lives {
		l.e.Shutdown()
	}
	for _, l := range s.lives {
		select {
		case <-l.e.Done():
		case <-time.After(10 * time.Second):
			s.t.Errorf("%s: an engine did not stop", s.file)
		}
	}
	if s.remove != nil {
		s.remove()
	}
}

// jobs is every job of the engine alive now, by zone.
func (s *scenarioRun) jobs() map[string]api.Job {
	out := map[string]api.Job{}
	if len(s.lives) == 0 {
		return out
	}
	_ = s.lives[len(s.lives)-1].e.Jobs(context.Background(), func(j api.Job) error {
		out[j.Zone] = j
		return nil
	})
	return out
}

// dump logs what a failed scenario did: every job and the tool calls.
func (s *scenarioRun) dump() {
	if s.host.World == "" {
		return
	}
	for _, z := range slices.Sorted(maps.Keys(s.jobs())) {
		j := s.jobs()[z]
		var events []string
		if lines, err := s.lives[len(s.lives)-1].e.Log(context.Background(), z, 0); err == nil {
			for _, l := range lines {
				if l.Kind == "event" {
					events = append(events, strings.ReplaceAll(l.Text, s.host.World, "W"))
				}
			}
		}
		s.t.Logf("job %s: %s %s/%s cause %q error %q warnings %q\n  %s\n  events:\n\t%s", z, j.State, j.Result, j.Rung, j.Cause, j.Error, j.Warnings,
			steps(j), strings.Join(events, "\n\t"))
	}
	if st, err := sim.Load(s.host.World); err == nil {
		for _, z := range st.Zones {
			b := s.before.Zone(z.Name)
			s.t.Logf("zone %s: %s, entire %s (before: %s, entire %s), snapshots %q", z.Name, z.State, z.Entire, b.State, b.Entire,
				z.Snapshots)
		}
	}
	inv, _ := sim.ReadInvocations(s.host.World)
	var b strings.Builder
	for _, i := range inv {
		end := "killed"
		if i.Ended {
			end = fmt.Sprintf("exit %d", i.Code)
		}
		fmt.Fprintf(&b, "  %3d %s  (%s)\n", i.Seq, strings.ReplaceAll(i.Cmd(), s.host.World, "W"), end)
	}
	s.t.Logf("tool calls (W is the world):\n%s", b.String())
}

// cmdMatch reports whether pattern is part of cmd, * standing for anything.
func cmdMatch(pattern, cmd string) bool {
	return globWhole("*"+pattern+"*", cmd)
}

// globWhole matches s against pattern as a whole, * standing for any text.
func globWhole(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

var countWords = map[string]int{"no": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10}

// expect runs the checks of an expect block.
func (s *scenarioRun) expect(c scriptCmd) {
	if len(c.block) == 0 {
		s.fail(c.line, "expect without checks")
	}
	jobs := s.jobs()
	after, err := sim.Load(s.host.World)
	if err != nil {
		s.fail(c.line, "zonesim show: %v", err)
	}
	inv, err := sim.ReadInvocations(s.host.World)
	if err != nil {
		s.fail(c.line, "invocation log: %v", err)
	}
	for _, l := range c.block {
		if msg := s.check(l.text, jobs, after, inv); msg != "" {
			s.t.Errorf("%s:%d: expect %s: %s", s.file, l.line, l.text, msg)
		}
	}
}

// check runs one check and says what is wrong ("" when nothing).
func (s *scenarioRun) check(text string, jobs map[string]api.Job, after *sim.State, inv []sim.Invocation) string {
	w := strings.Fields(text)
	if n, ok := countWords[w[0]]; ok || isNumber(w[0]) {
		if !ok {
			n, _ = strconv.Atoi(w[0])
		}
		words, succeeded := w[1:], false
		if len(words) > 1 && words[0] == "ok" {
			words, succeeded = words[1:], true
		}
		pattern := strings.Join(words, " ")
		var got []string
		for _, i := range inv {
			if cmdMatch(pattern, i.Cmd()) && (!succeeded || i.Ended && i.Code == 0) {
				got = append(got, fmt.Sprintf("%d: %s", i.Seq, strings.ReplaceAll(i.Cmd(), s.host.World, "W")))
			}
		}
		if len(got) != n {
			return fmt.Sprintf("%d calls:\n\t%s", len(got), strings.Join(got, "\n\t"))
		}
		return ""
	}
	need := func(k int) bool { return len(w) >= k }
	job := func() (api.Job, string) {
		j, ok := jobs[w[1]]
		if !ok {
			return j, "no job for zone " + w[1]
		}
		return j, ""
	}
	switch w[0] {
	case "gz":
		if !need(3) || w[1] != "publishers" {
			break
		}
		b, a := fmt.Sprint(s.before.GZ.Publishers), fmt.Sprint(after.GZ.Publishers)
		switch w[2] {
		case "unchanged":
			if a != b {
				return fmt.Sprintf("now %s, before %s", a, b)
			}
			return ""
		case "stripped":
			if len(after.GZ.Publishers) != 1 || after.GZ.Publishers[0].Name != s.before.GZ.Publishers[0].Name {
				return "now " + a
			}
			return ""
		}
	case "paused", "not":
		var e *Engine
		if len(s.lives) > 0 {
			e = s.lives[len(s.lives)-1].e
		}
		if e == nil {
			return "no engine"
		}
		in := e.Info(context.Background())
		if w[0] == "not" {
			if len(w) != 2 || w[1] != "paused" {
				break
			}
			if in.Paused {
				return "paused: " + in.Reason
			}
			return ""
		}
		if !in.Paused || need(2) && !globWhole(strings.Join(w[1:], " "), in.Reason) {
			return fmt.Sprintf("paused %v, reason %q", in.Paused, in.Reason)
		}
		return ""
	case "as":
		if !need(3) || w[1] != "zonesim" || w[2] != "expects" {
			break
		}
		ladder := domain.DefaultLadder
		if v, ok := s.kv["ladder"]; ok {
			ladder = domain.SplitList(v)
		}
		zones := w[3:]
		if len(zones) == 0 {
			zones = slices.Sorted(maps.Keys(jobs))
		}
		var bad []string
		for _, z := range zones {
			j, ok := jobs[z]
			want := s.before.Expect(z, ladder, j.Allow)
			if !ok || !want.Matches(j.Result, j.Rung) {
				bad = append(bad, fmt.Sprintf("%s ended %s/%s, zonesim expects %s/%s (alt %q)", z, j.Result, j.Rung, want.Result, want.Rung, want.Alt))
			}
		}
		return strings.Join(bad, "; ")
	case "nothing":
		if strings.Join(w[1:], " ") != "done twice" {
			break
		}
		// As the crash tests prove it: no completed snapshot, uninstall or
		// image-create repeated, at most one zoneup snapshot per zonepath.
		seen := map[string]int{}
		var bad []string
		for _, i := range inv {
			c := i.Cmd()
			if i.Ended && i.Code == 0 && (strings.HasPrefix(c, "zfs snapshot") || strings.Contains(c, " uninstall ") || strings.Contains(c, " image-create ")) {
				if seen[c]++; seen[c] == 2 {
					bad = append(bad, "completed twice: "+strings.ReplaceAll(c, s.host.World, "W"))
				}
			}
		}
		for _, z := range after.Zones {
			n := 0
			for _, sn := range z.Snapshots {
				if z.Dataset != "" && strings.HasPrefix(sn, z.Dataset+"@zoneup-") {
					n++
				}
			}
			if n > 1 {
				bad = append(bad, fmt.Sprintf("%s has %d zoneup snapshots", z.Name, n))
			}
		}
		return strings.Join(bad, "; ")
	case "order":
		a, b, ok := strings.Cut(strings.Join(w[1:], " "), " < ")
		if !ok {
			break
		}
		first := func(p string) int {
			return slices.IndexFunc(inv, func(i sim.Invocation) bool { return cmdMatch(p, i.Cmd()) })
		}
		if ia, ib := first(a), first(b); ia < 0 || ib < 0 || ia > ib {
			return fmt.Sprintf("first %q is call %d, first %q call %d (counting from 0, -1: none)", a, ia, b, ib)
		}
		return ""
	case "zone":
		if !need(3) {
			break
		}
		return s.checkZone(w[1], w[2], w[3:], after)
	case "file":
		if !need(4) {
			break
		}
		z := after.Zone(w[1])
		if z == nil {
			return "no such zone"
		}
		now, ok := s.zoneFiles(*z)[w[2]]
		was := s.files[w[1]][w[2]]
		switch w[3] {
		case "before":
			if !ok || now != was {
				return fmt.Sprintf("differs (there: %v)", ok)
			}
		case "changed":
			if !ok || now == was {
				return fmt.Sprintf("unchanged (there: %v)", ok)
			}
		case "absent":
			if ok {
				return "there"
			}
		default:
			return "file ZONE PATH before|changed|absent"
		}
		return ""
	}
	if !need(3) {
		return "unknown check or too few words"
	}
	j, missing := job()
	if missing != "" {
		return missing
	}
	arg := strings.Join(w[2:], " ")
	if arg == "-" {
		arg = ""
	}
	switch w[0] {
	case "job":
		rung := ""
		if need(4) && w[3] != "-" {
			rung = w[3]
		}
		if j.Result != w[2] || j.Rung != rung || len(w) > 4 {
			return fmt.Sprintf("ended %q, rung %q (error %q)", j.Result, j.Rung, j.Error)
		}
		return ""
	case "state":
		if j.State != w[2] {
			return "state " + j.State
		}
		return ""
	case "history":
		got := strings.Fields(steps(j))
		switch w[2] {
		case "has":
			i := 0
			for _, g := range got {
				if i < len(w[3:]) && g == w[3+i] {
					i++
				}
			}
			if i < len(w[3:]) {
				return fmt.Sprintf("%s missing (in this order) from: %s", w[3+i], steps(j))
			}
		case "lacks":
			for _, g := range got {
				for _, p := range w[3:] {
					if strings.HasPrefix(g, p) {
						return g + " in: " + steps(j)
					}
				}
			}
		default:
			if strings.Join(got, " ") != arg {
				return "history " + steps(j)
			}
		}
		return ""
	case "cause":
		if !globWhole(arg, j.Cause) {
			return fmt.Sprintf("cause %q", j.Cause)
		}
		return ""
	case "error":
		if !globWhole(arg, j.Error) {
			return fmt.Sprintf("error %q", j.Error)
		}
		return ""
	case "warning":
		if !slices.ContainsFunc(j.Warnings, func(x string) bool { return globWhole(arg, x) }) {
			return fmt.Sprintf("warnings %q", j.Warnings)
		}
		return ""
	case "warnings":
		if arg != "none" || len(j.Warnings) != 0 {
			return fmt.Sprintf("warnings %q", j.Warnings)
		}
		return ""
	case "removed":
		want := w[2:]
		if arg == "none" {
			want = nil
		}
		got := slices.Sorted(slices.Values(j.RemovedPackages))
		if fmt.Sprint(got) != fmt.Sprint(slices.Sorted(slices.Values(want))) {
			return fmt.Sprintf("removed_packages %q", j.RemovedPackages)
		}
		return ""
	case "restored":
		if arg == "none" {
			if len(j.RestoredFiles) != 0 {
				return fmt.Sprintf("restored_files %q", j.RestoredFiles)
			}
			return ""
		}
		for _, p := range w[2:] {
			if !slices.Contains(j.RestoredFiles, p) {
				return fmt.Sprintf("restored_files %q", j.RestoredFiles)
			}
		}
		return ""
	case "allow":
		if fmt.Sprint(j.Allow) != fmt.Sprint(w[2:]) {
			return fmt.Sprintf("allow %q", j.Allow)
		}
		return ""
	case "log":
		lines, err := s.lives[len(s.lives)-1].e.Log(context.Background(), j.Zone, 0)
		if err != nil {
			return err.Error()
		}
		for _, l := range lines {
			if globWhole(arg, strings.ReplaceAll(l.Text, s.host.World, "W")) {
				return ""
			}
		}
		return fmt.Sprintf("no such line among %d (the world folder written W)", len(lines))
	case "snapshot":
		z := after.Zone(j.Zone)
		if z == nil {
			return "no such zone"
		}
		var ours []string
		for _, sn := range z.Snapshots {
			if strings.Contains(sn, "@zoneup-") {
				ours = append(ours, sn)
			}
		}
		switch arg {
		case "taken":
			want := z.Dataset + "@zoneup-" + j.ID
			if j.Snapshot != want || !slices.Contains(z.Snapshots, want) {
				return fmt.Sprintf("job's snapshot %q, the zone has %q, want %q", j.Snapshot, z.Snapshots, want)
			}
		case "none":
			if j.Snapshot != "" || len(ours) != 0 {
				return fmt.Sprintf("job's snapshot %q, the zone has %q", j.Snapshot, ours)
			}
		default:
			return "snapshot taken|none"
		}
		return ""
	}
	return "unknown check"
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

// checkZone compares a zone of the world with what it should be.
func (s *scenarioRun) checkZone(name, state string, props []string, after *sim.State) string {
	z, b := after.Zone(name), s.before.Zone(name)
	if z == nil || b == nil {
		return "no such zone"
	}
	var bad []string
	if z.State != state {
		bad = append(bad, "state "+z.State)
	}
	for _, kv := range props {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "entire":
			want := v
			switch v {
			case "gz":
				want = after.GZ.Entire
			case "before":
				want = b.Entire
			}
			if z.Entire != want {
				bad = append(bad, fmt.Sprintf("entire %s, want %s", z.Entire, want))
			}
		case "mounted":
			if z.Mounted != (v == "yes") {
				bad = append(bad, fmt.Sprintf("zone BE mounted %v", z.Mounted))
			}
		case "packages":
			same := fmt.Sprint(z.Packages) == fmt.Sprint(b.Packages)
			if same != (v == "before") {
				bad = append(bad, fmt.Sprintf("packages %v (before %v)", z.Packages, b.Packages))
			}
		case "publishers":
			if fmt.Sprint(z.Publishers) != fmt.Sprint(b.Publishers) {
				bad = append(bad, fmt.Sprintf("publishers %v (before %v)", z.Publishers, b.Publishers))
			}
		case "files":
			if now, was := s.zoneFiles(*z), s.files[name]; v != "before" || len(now) == 0 || !maps.Equal(now, was) {
				bad = append(bad, fmt.Sprintf("files differ (%d now, %d before)", len(now), len(was)))
			}
		case "snapshots":
			n := 0
			for _, sn := range z.Snapshots {
				if strings.HasPrefix(sn, z.Dataset+"@zoneup-") {
					n++
				}
			}
			if strconv.Itoa(n) != v {
				bad = append(bad, fmt.Sprintf("%d zoneup snapshots: %v", n, z.Snapshots))
			}
		default:
			bad = append(bad, "unknown property "+k)
		}
	}
	return strings.Join(bad, "; ")
}

// zoneFiles hashes the files of the zone's active BE where zonesim keeps
// them (the zone root while mounted, data/ otherwise), the snapshot folder
// and the package metadata left out.
func (s *scenarioRun) zoneFiles(z sim.ZoneState) map[string]string {
	return zoneFilesIn(s.host.World, z.Name, z.ZBE, z.Mounted)
}

// The scenario files' own parts: the script reader and the patterns.
func TestScenarioScript(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("# comment\nworld\n  {\"zones\": []}\n\n\tmore\nenqueue  z1 z2\nexpect\n  one zfs  snapshot\n"), 0o644)
	cmds, err := parseScript(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 3 || cmds[0].name != "world" || len(cmds[0].block) != 2 || cmds[0].block[1].line != 5 ||
		cmds[1].rest != "z1 z2" || fmt.Sprint(cmds[1].args) != "[z1 z2]" || cmds[2].block[0].text != "one zfs  snapshot" {
		t.Errorf("parsed %+v", cmds)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("# first\n  indented\n"), 0o644)
	if _, err := parseScript(bad); err == nil || !strings.Contains(err.Error(), "bad.txt:2:") {
		t.Errorf("indented first line: %v", err)
	}
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"abc", "abc", true}, {"abc", "abcd", false}, {"a*c", "abbc", true}, {"a*c", "abcd", false},
		{"*", "", true}, {"a*b*c", "axbyc", true}, {"a*b*c", "axcyb", false}, {"ab*ba", "aba", false},
		{"transport * http://x/*", "transport solaris http://x/y", true},
	} {
		if got := globWhole(c.pattern, c.s); got != c.want {
			t.Errorf("globWhole(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
	if !cmdMatch("zfs snapshot -r", "zfs snapshot -r rpool/zones/z1@x") || cmdMatch("zfs snapshot", "zfs list -t snapshot") ||
		!cmdMatch("pkg -R * image-update", "pkg -R /w/zones/z1/root image-update -v") {
		t.Error("cmdMatch")
	}
	if n, w := nthOf([]string{"#3", "attach", "-u"}); n != 3 || fmt.Sprint(w) != "[attach -u]" {
		t.Errorf("nthOf: %d %v", n, w)
	}
	if n, w := nthOf([]string{"#3"}); n != 1 || len(w) != 1 {
		t.Errorf("nthOf of a lone #3: %d %v", n, w)
	}
}
