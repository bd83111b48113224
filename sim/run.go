package sim

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tools are the names zonesim answers to when run through a link.
var Tools = []string{"zoneadm", "zfs", "pkg", "beadm", "zlogin", "svcs", "svcprop", "mount", "umount", "sendmail"}

// Main is the multi-call entry point: args[0]'s base name picks a tool,
// otherwise args[1] is a zonesim command (or a tool name). It returns the
// exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	name := filepath.Base(args[0])
	if slices.Contains(Tools, name) {
		return runTool(processCall(), name, args[1:], stdout, stderr)
	}
	if len(args) > 1 && slices.Contains(Tools, args[1]) {
		return runTool(processCall(), args[1], args[2:], stdout, stderr)
	}
	return command(args[1:], stdout, stderr)
}

// caller is what a tool call knows of whoever runs it: a process of its
// own (Main) or a Host in the caller's process.
type caller struct {
	world  string  // "": not set
	speed  float64 // > 0
	ctx    context.Context
	stdin  io.Reader
	getenv func(string) string
	// inProcess: no process of its own. Its identity is a token of this
	// process (locks), it is not in the running/ registry, and the crash
	// hook, which would SIGKILL the caller, never fires.
	inProcess bool
}

// processCall is the caller of a zonesim process: the world and the speed
// from ZONESIM_WORLD and ZONESIM_SPEED.
func processCall() caller {
	return caller{world: os.Getenv("ZONESIM_WORLD"), speed: speed(), ctx: context.Background(), stdin: os.Stdin, getenv: os.Getenv}
}

// Simulated durations, in seconds of host time.
const (
	durReadOnly     = 0.2
	durAttachUpdate = 300
	durAttachFail   = 60
	durAttachPlain  = 30
	durDetach       = 5
	durHalt         = 10
	durBoot         = 20
	durSnapshot     = 1.5
	durRollback     = 1.5
	durDestroy      = 1
	durImageUpdate  = 120
	durUninstall    = 60
	durImageCreate  = 30
	durInstall      = 90
	durPublisher    = 2
	durNothingToDo  = 3
	durSolverFail   = 10
	durMount        = 0.3
	// milestoneDelay is how long after boot the multi-user-server
	// milestone comes online.
	milestoneDelay = 15
)

// Start-up costs, in seconds of host time: what running the program costs
// before it does anything (exec, dynamic linking, for pkg the Python
// interpreter and the image's catalogs), paid by every call of the tool,
// a usage error included, on top of its simulated duration. See "Start-up
// costs" in doc.go.
var startUpCost = map[string]float64{
	"pkg":      1.0,
	"zoneadm":  0.05,
	"zfs":      0.03,
	"mount":    0.01,
	"umount":   0.01,
	"beadm":    0.05, // C (libbe) on illumos; s11e: startUpBeadmPython
	"zlogin":   0.1,
	"svcs":     0.05,
	"svcprop":  0.01,
	"sendmail": 0,
}

// startUpBeadmPython is beadm's start-up cost where it is the Python
// program of OpenSolaris and Solaris 11 Express (the s11e profile).
const startUpBeadmPython = 0.8

// StartUpCost is tool's start-up cost on a host of profile, in seconds of
// host time (unscaled by ZONESIM_SPEED).
func StartUpCost(tool, profile string) float64 {
	if tool == "beadm" && profile == "s11e" {
		return startUpBeadmPython
	}
	return startUpCost[tool]
}

// call is one run of a tool: the start record is written, then the tool
// decides under the lock, waits its simulated time outside it, and applies
// its change under the lock again together with the end record.
type call struct {
	tool    string
	args    []string
	by      caller
	st      *store
	world   string
	seq     int
	began   time.Time
	speed   float64
	out     io.Writer
	errw    io.Writer
	crashAt string
	profile string // the world's, read at the start record for beadm only
	waited  bool
	ended   bool
	pid     int
	pstart  uint64
}

// runTool is one tool call, from the start record to the end record. A
// call whose caller's ctx ends while it waits stops there, as a killed
// process would (no end record, its locks stale), and returns -1.
func runTool(by caller, tool string, args []string, stdout, stderr io.Writer) (code int) {
	dir := by.world
	if dir == "" {
		fmt.Fprintf(stderr, "%s: ZONESIM_WORLD is not set (it names the zonesim world folder)\n", tool)
		return 1
	}
	st, err := openStore(dir)
	if err != nil {
		fmt.Fprintf(stderr, "%s: ZONESIM_WORLD: %v\n", tool, err)
		return 1
	}
	// Closed last, also after a kill: the world lock goes with the file.
	defer st.close()
	c := &call{tool: tool, args: args, by: by, st: st, world: st.dir, began: time.Now(), speed: by.speed, out: stdout, errw: stderr}
	if by.inProcess {
		var done func()
		c.pid, c.pstart, done = inProcessIdentity()
		defer done()
	} else {
		c.pid, c.pstart = self()
	}
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(killed); !ok {
				panic(v)
			}
			code = -1
		}
	}()
	if err := c.startRecord(); err != nil {
		fmt.Fprintf(stderr, "%s: zonesim: %v\n", tool, err)
		return 1
	}
	if !by.inProcess {
		defer unregister(c.world)
	}
	c.startUp()
	switch tool {
	case "zoneadm":
		code = c.zoneadm()
	case "zfs":
		code = c.zfs()
	case "pkg":
		code = c.pkg()
	case "beadm":
		code = c.beadm()
	case "zlogin":
		code = c.zlogin()
	case "svcs":
		code = c.svcs()
	case "svcprop":
		code = c.svcprop()
	case "mount":
		code = c.mount()
	case "umount":
		code = c.umount()
	case "sendmail":
		code = c.sendmail()
	}
	if !c.waited {
		c.wait(c.dur(durReadOnly, ""))
	}
	if !c.ended {
		c.end(false, func(*world) int { return code })
	}
	return code
}

func speed() float64 {
	s, err := strconv.ParseFloat(os.Getenv("ZONESIM_SPEED"), 64)
	if err != nil || s <= 0 {
		return 1
	}
	return s
}

func (c *call) startRecord() error {
	if err := c.st.lock(); err != nil {
		return err
	}
	defer c.st.unlock()
	liveTools(c.world) // forget the tools that died
	seq, err := nextSeq(c.world)
	if err != nil {
		return err
	}
	c.seq = seq
	ppid := os.Getpid() // in process: the caller is the parent
	if !c.by.inProcess {
		if err := register(c.world); err != nil {
			return err
		}
		c.crashAt = readCrashPlan(c.world, seq, c.cmdline())
		ppid = os.Getppid()
	}
	if c.tool == "beadm" {
		if w, err := c.st.load(); err == nil {
			c.profile = w.Profile
		}
	}
	return appendRecord(c.world, logRecord{Seq: seq, Ev: "start", Tool: c.tool, Argv: nonNil(c.args), PID: c.pid,
		PPID: ppid, Time: c.began.UTC().Format(time.RFC3339Nano)})
}

// dur scales a simulated duration; key (a zone name) varies it a little
// per zone so that parallel calls do not finish in lockstep.
func (c *call) dur(seconds float64, key string) time.Duration {
	f := 1.0
	if key != "" {
		h := fnv.New32a()
		h.Write([]byte(key))
		f = 0.85 + 0.3*float64(h.Sum32()%1000)/1000
	}
	return time.Duration(seconds * f / c.speed * float64(time.Second))
}

// startUp spends the tool's start-up cost, scaled like every simulated
// duration, outside the lock and before the call decides anything (a real
// program loads before it looks at the host); it lies between the start
// and end records, so it is part of the call's dur_ms.
func (c *call) startUp() {
	if s := StartUpCost(c.tool, c.profile); s > 0 {
		c.sleep(c.dur(s, ""))
	}
}

// wait spends simulated time outside the lock; the crash hook's start
// point fires halfway.
func (c *call) wait(d time.Duration) {
	c.waited = true
	if c.crashAt == CrashAtStart {
		c.sleep(d / 2)
		crash(c.st)
	}
	c.sleep(d)
}

// killed is the panic that stops a call whose caller's ctx ended while it
// waited (never under the world lock); runTool recovers it.
type killed struct{}

// sleep waits d, outside the lock; a call run in process stops (killed)
// when its ctx ends first, as a process killed by its caller would.
func (c *call) sleep(d time.Duration) {
	done := c.by.ctx.Done()
	if done == nil {
		time.Sleep(d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-done:
		panic(killed{})
	}
}

// hang never returns: the call waits until it is killed, after half its
// nominal time, during which the lines go to log (waitLogging).
func (c *call) hang(nominal time.Duration, log string, lines []string) {
	c.waitLogging(nominal/2, log, lines)
	if done := c.by.ctx.Done(); done != nil {
		<-done
		panic(killed{})
	}
	sleepForever()
}

// sleepForever blocks without tripping the runtime's deadlock detector.
func sleepForever() {
	for {
		time.Sleep(time.Hour)
	}
}

// view runs fn on the world under the lock, without saving.
func (c *call) view(fn func(w *world) error) error {
	return c.st.locked(false, fn)
}

// change runs fn on the world under the lock and saves it.
func (c *call) change(fn func(w *world) error) error {
	return c.st.locked(true, fn)
}

// end runs fn under the lock, saves the world when save is set, writes
// the end record before unlocking, and fires the crash hook's end point.
func (c *call) end(save bool, fn func(w *world) int) int {
	if c.crashAt == CrashAtStart {
		crash(c.st)
	}
	code := 1
	if err := c.st.lock(); err != nil {
		fmt.Fprintf(c.errw, "%s: zonesim: %v\n", c.tool, err)
	} else {
		if w, err := c.st.load(); err != nil {
			fmt.Fprintf(c.errw, "%s: zonesim: %v\n", c.tool, err)
		} else {
			code = fn(w)
			if save {
				if err := c.st.save(w); err != nil {
					fmt.Fprintf(c.errw, "%s: zonesim: %v\n", c.tool, err)
					code = 1
				}
			}
		}
		// dur_ms from the wall-clock times the records carry (Round(0)
		// drops the monotonic reading): the log's end minus its start is
		// then dur_ms to the millisecond, also when the clock is slewed.
		now := time.Now().Round(0)
		appendRecord(c.world, logRecord{Seq: c.seq, Ev: "end", Code: code, DurMS: now.Sub(c.began.Round(0)).Milliseconds(),
			Time: now.UTC().Format(time.RFC3339Nano)})
		c.st.unlock()
	}
	c.ended = true
	if !c.by.inProcess && readCrashPlan(c.world, c.seq, c.cmdline()) == CrashAtEnd {
		crash(c.st)
	}
	return code
}

// cmdline is the call as a command line, for crash plans that match one.
func (c *call) cmdline() string { return strings.Join(append([]string{c.tool}, c.args...), " ") }

// decideApply is a change the way every tool call makes one (package doc,
// "A tool call"): check decides under the lock (a message is the failure
// to print, exit 1), the call sleeps d, then check runs again on the world
// as it is by then and apply changes it.
func decideApply[T any](c *call, d time.Duration, check func(w *world) (T, string), apply func(w *world, v T) int) int {
	msg := ""
	c.view(func(w *world) error { _, msg = check(w); return nil })
	if msg != "" {
		return c.fail(1, "%s", msg)
	}
	c.wait(d)
	return c.end(true, func(w *world) int {
		v, msg := check(w)
		if msg != "" {
			return c.fail(1, "%s", msg)
		}
		return apply(w, v)
	})
}

// fail prints one error line and returns code; the caller returns it.
func (c *call) fail(code int, format string, a ...any) int {
	fmt.Fprintf(c.errw, format+"\n", a...)
	return code
}

// Per-zone and per-image operation locks, like zoneadm's and pkg's.

// lockHolder is the live process other than this one that holds key.
func (c *call) lockHolder(w *world, key string) (opLock, bool) {
	l, ok := w.Locks[key]
	if !ok || (l.PID == c.pid && l.Start == c.pstart) || !alive(l.PID, l.Start) {
		return opLock{}, false
	}
	return l, true
}

func (c *call) takeLock(w *world, key string) {
	if w.Locks == nil {
		w.Locks = map[string]opLock{}
	}
	w.Locks[key] = opLock{PID: c.pid, Start: c.pstart, Tool: c.tool}
}

func (c *call) ownsLock(w *world, key string) bool {
	l, ok := w.Locks[key]
	return ok && l.PID == c.pid && l.Start == c.pstart
}

func (c *call) dropLock(w *world, key string) {
	if c.ownsLock(w, key) {
		delete(w.Locks, key)
	}
}
