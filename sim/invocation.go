package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Invocation is one tool call of the invocation log, its start and end
// records paired. Ended is false when the call never finished (killed).
type Invocation struct {
	Seq   int       `json:"seq"`
	Tool  string    `json:"tool"`
	Argv  []string  `json:"argv"` // arguments after the tool name
	PID   int       `json:"pid"`
	PPID  int       `json:"ppid"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Ended bool      `json:"ended"`
	Code  int       `json:"code"`
	DurMS int64     `json:"dur_ms"`
}

// Kind names the call by tool and subcommand ("zoneadm attach", "pkg
// publisher", "zlogin svcs"), the operands of -R, -z and -F skipped: what
// tests and benchmarks count calls by.
func (i Invocation) Kind() string {
	args := i.Argv
	if i.Tool == "zlogin" && len(args) > 1 {
		args = args[1:] // zlogin ZONE svcs ...
	}
	for j, a := range args {
		switch {
		case a == "-R" || a == "-z" || a == "-F":
			continue
		case j > 0 && (args[j-1] == "-R" || args[j-1] == "-z" || args[j-1] == "-F"):
			continue
		case strings.HasPrefix(a, "-"):
			continue
		}
		return i.Tool + " " + a
	}
	return i.Tool
}

// Cmd is the call as a command line (tool and arguments, space separated).
func (i Invocation) Cmd() string {
	return strings.Join(append([]string{i.Tool}, i.Argv...), " ")
}

// logRecord is one line of invocations.jsonl.
type logRecord struct {
	Seq   int      `json:"seq"`
	Ev    string   `json:"ev"`
	Tool  string   `json:"tool,omitempty"`
	Argv  []string `json:"argv,omitempty"`
	PID   int      `json:"pid,omitempty"`
	PPID  int      `json:"ppid,omitempty"`
	Code  int      `json:"code"`
	DurMS int64    `json:"dur_ms,omitempty"`
	Time  string   `json:"time"`
}

// ReadInvocations reads a world's invocation log in start order. A line cut
// short by a kill is skipped.
func ReadInvocations(world string) ([]Invocation, error) {
	f, err := os.Open(filepath.Join(world, invocations))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bySeq := map[int]*Invocation{}
	var order []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r logRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		t, _ := time.Parse(time.RFC3339Nano, r.Time)
		switch r.Ev {
		case "start":
			bySeq[r.Seq] = &Invocation{Seq: r.Seq, Tool: r.Tool, Argv: r.Argv, PID: r.PID, PPID: r.PPID, Start: t}
			order = append(order, r.Seq)
		case "end":
			if inv := bySeq[r.Seq]; inv != nil {
				inv.Ended, inv.Code, inv.DurMS, inv.End = true, r.Code, r.DurMS, t
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	out := make([]Invocation, 0, len(order))
	for _, s := range order {
		out = append(out, *bySeq[s])
	}
	return out, nil
}

// Crash points.
const (
	CrashAtStart = "start" // halfway through the call's simulated time, before any change
	CrashAtEnd   = "end"   // right after its change and its end record
)

// SetCrashPlan arms the crash hook: the tool call numbered seq, at the
// given point, SIGKILLs its parent, every other live tool process of the
// world, and itself.
func SetCrashPlan(world string, seq int, at string) error {
	if at != CrashAtStart && at != CrashAtEnd {
		return fmt.Errorf("crash point %q: want %s or %s", at, CrashAtStart, CrashAtEnd)
	}
	return writeAtomic(filepath.Join(world, crashFile), fmt.Appendf(nil, "%d %s\n", seq, at))
}

// SetCrashMatch arms the crash hook for the next tool call whose command
// line (tool and arguments, space separated) contains pattern, whatever its
// number: the way to kill the daemon inside a given kind of call.
func SetCrashMatch(world, pattern, at string) error {
	if at != CrashAtStart && at != CrashAtEnd {
		return fmt.Errorf("crash point %q: want %s or %s", at, CrashAtStart, CrashAtEnd)
	}
	return writeAtomic(filepath.Join(world, crashFile), fmt.Appendf(nil, "match %s %s\n", at, pattern))
}

// readCrashPlan returns the armed point for call seq with command line cmd,
// "" if none. The plan is "SEQ start|end" or "match start|end PATTERN".
func readCrashPlan(world string, seq int, cmd string) string {
	b, err := os.ReadFile(filepath.Join(world, crashFile))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) >= 3 && f[0] == "match" {
		if strings.Contains(cmd, strings.Join(f[2:], " ")) {
			return f[1]
		}
		return ""
	}
	if len(f) != 2 {
		return ""
	}
	if n, err := strconv.Atoi(f[0]); err != nil || n != seq {
		return ""
	}
	return f[1]
}

// appendRecord writes one log line with one write(2) on an O_APPEND file,
// so records of concurrent processes never interleave.
func appendRecord(world string, r logRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(filepath.Join(world, invocations), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// nextSeq hands out the next invocation number; the caller holds the lock.
func nextSeq(world string) (int, error) {
	p := filepath.Join(world, seqFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	n++
	return n, writeAtomic(p, fmt.Appendf(nil, "%d\n", n))
}

// Process identity: a pid plus its start time, so that a pid reused by an
// unrelated process is never mistaken for a tool that died.

func procStart(pid int) (uint64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// After the command: state is field 3 of stat, starttime field 22.
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0, false
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	return n, err == nil
}

// alive tells whether the process that had start time start still runs
// (or, for a Host's call, whether that call still runs).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if start&inProcessMark != 0 {
		return inProcessAlive(pid, start)
	}
	if _, err := os.Stat("/proc/self/stat"); err == nil {
		s, ok := procStart(pid)
		return ok && (start == 0 || s == start)
	}
	return syscall.Kill(pid, 0) == nil || errors.Is(syscall.Kill(pid, 0), syscall.EPERM)
}

func self() (int, uint64) {
	pid := os.Getpid()
	s, _ := procStart(pid)
	return pid, s
}

// The registry of live tool processes: WORLD/running/PID holding the
// process start time.

func register(world string) error {
	pid, start := self()
	return os.WriteFile(filepath.Join(world, runningDir, strconv.Itoa(pid)), fmt.Appendf(nil, "%d\n", start), 0o644)
}

func unregister(world string) {
	os.Remove(filepath.Join(world, runningDir, strconv.Itoa(os.Getpid())))
}

type registered struct {
	pid   int
	start uint64
}

// liveTools lists the registered processes, forgetting the dead ones.
func liveTools(world string) []registered {
	dir := filepath.Join(world, runningDir)
	ents, _ := os.ReadDir(dir)
	var out []registered
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		start, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if !alive(pid, start) {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		out = append(out, registered{pid, start})
	}
	return out
}

// crash is the hook's act: the plan is spent, then the daemon (parent),
// every other tool of this world, and this process die by SIGKILL. It takes
// the world lock first, so no tool dies in the middle of a change (the
// lock goes with this process).
func crash(st *store) {
	st.lock()
	world := st.dir
	os.Remove(filepath.Join(world, crashFile))
	if pp := os.Getppid(); pp > 1 {
		syscall.Kill(pp, syscall.SIGKILL)
	}
	me := os.Getpid()
	for _, r := range liveTools(world) {
		if r.pid != me {
			syscall.Kill(r.pid, syscall.SIGKILL)
		}
	}
	unregister(world)
	syscall.Kill(me, syscall.SIGKILL)
	sleepForever() // the signal is on its way
}
