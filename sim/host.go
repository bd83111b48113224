package sim

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Host is a zonesim world whose tools are called in the caller's process:
// the daemon's fast tests run them through host.Runner's Spawn, many
// worlds side by side, without ZONESIM_WORLD and ZONESIM_SPEED (which a
// process can have only once). Each Run is one tool call, the same code a
// zonesim process runs (Main): the invocation log, the world lock, the
// zoneadm and pkg locks and the simulated times are the same.
//
// What differs is what a process would get from the kernel. A call has no
// pid of its own: it holds its locks as a token of this process, which is
// dead (the lock stale) once Run returns. It has no environment (the
// Runner strips PKG_IMAGE anyway). It is not in the world's running/
// registry and never fires the crash hook, which would SIGKILL its caller
// (in process, the caller stops its own daemon). And it is killed through
// ctx: when ctx ends while the call waits (its start-up cost, its
// simulated time, a hung attach), the call stops there as a killed
// process does, with no end record and nothing applied, and Run returns
// -1. A call under the world lock finishes its step first.
type Host struct {
	World string  // the world folder (Init)
	Speed float64 // as ZONESIM_SPEED: simulated durations are divided by it; <= 0 means 1
}

// Run runs tool (zoneadm, zfs, pkg, ..., sendmail: Tools) with args, its
// standard input from stdin (nil: none), and returns its exit code.
func (h Host) Run(ctx context.Context, tool string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	sp := h.Speed
	if sp <= 0 {
		sp = 1
	}
	by := caller{world: h.World, speed: sp, ctx: ctx, stdin: stdin, getenv: func(string) string { return "" }, inProcess: true}
	known := false
	for _, t := range Tools {
		known = known || t == tool
	}
	if !known {
		io.WriteString(stderr, "zonesim: "+tool+": not a simulated tool\n")
		return 127
	}
	return runTool(by, tool, args, stdout, stderr)
}

// In-process identities: the process's pid with a start time that no
// process has (the top bit set), live while the call runs.
const inProcessMark = 1 << 63

var (
	selfPID       = os.Getpid()
	inProcessNext atomic.Uint64
	inProcessLive sync.Map // token -> struct{}
)

// inProcessIdentity gives a call run in process its identity; done ends
// it (the call's locks are then stale, as a dead process's are).
func inProcessIdentity() (pid int, start uint64, done func()) {
	start = inProcessMark | inProcessNext.Add(1)
	inProcessLive.Store(start, struct{}{})
	return selfPID, start, func() { inProcessLive.Delete(start) }
}

// inProcessAlive tells whether the in-process call with that start token
// still runs. A token of another process is never alive here: that
// process's calls are gone or not ours to wait for.
func inProcessAlive(pid int, start uint64) bool {
	if pid != selfPID {
		return false
	}
	_, ok := inProcessLive.Load(start)
	return ok
}
