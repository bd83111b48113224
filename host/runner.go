package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Result is one tool run, whatever its outcome.
type Result struct {
	Argv     []string
	Code     int    // exit code; -1 if killed by a signal or a timeout, or not started
	Stdout   []byte // bounded: see Runner.MaxOutput
	Stderr   []byte
	Started  time.Time
	Duration time.Duration
	Err      error // nil when Code == 0; otherwise an *ExecError
}

// Executor runs one argv. change says whether the call changes the host
// (it then gets the long timeout). The Runner is the real one; tests use
// fakes that answer from a table.
type Executor interface {
	Run(ctx context.Context, change bool, argv ...string) Result
}

// Defaults of a Runner whose fields are zero.
const (
	DefaultChangeTimeout = 2 * time.Hour   // SPEC 4 stage_timeout
	DefaultReadTimeout   = 2 * time.Minute // a read that takes longer is stuck
	DefaultMaxOutput     = 1 << 20         // per stream
	DefaultKillGrace     = 10 * time.Second
)

// waitDelay bounds how long Run waits for the output pipes once the tool
// has exited or been killed: a grandchild that escaped the process group
// (a daemon it started) may hold them open forever.
const waitDelay = 5 * time.Second

// Runner runs the host's tools: argv only, never a shell (SPEC 2); the
// tool found by bare name through PATH at run time; its own process group,
// stopped as a whole when the timeout or ctx ends the run (SIGINT, so a
// brand script's trap can clean up, then SIGKILL after KillGrace, and
// SIGKILL for whatever is left once the tool has exited); stdout
// and stderr kept, bounded; the environment passed on with LC_ALL=C so
// messages are the literal English texts the adapters match, and without
// PKG_IMAGE so pkg acts only on the -R it is given.
//
// The zero Runner works (with the defaults); a Runner may be shared by
// goroutines as long as its fields are not changed meanwhile.
type Runner struct {
	ChangeTimeout time.Duration // calls that change the host; <= 0: DefaultChangeTimeout
	ReadTimeout   time.Duration // read-only calls; <= 0: DefaultReadTimeout
	MaxOutput     int           // bytes kept per stream; <= 0: DefaultMaxOutput
	KillGrace     time.Duration // from SIGINT to SIGKILL; <= 0: DefaultKillGrace
	// Observe, when set, is called after every run (also one that did not
	// start), from the goroutine that called Run. The daemon logs each run
	// in the job's log with it.
	Observe func(Result)
	// Start, when set, is called with the argv just before the tool
	// starts, from the goroutine that called Run.
	Start func(argv []string)
	// Line, when set, is called with every line the tool writes, as it
	// writes it (stream "stdout" or "stderr", without the newline; a last
	// line without one when the stream ends), from the goroutine that
	// copies that stream: it must be safe for concurrent use. It sees
	// everything, also what the bounded Result keeps only in part.
	Line func(argv []string, stream, line string)
	// Spawn, when set, runs the tool in place of its process (tests: the
	// simulator in process); nil spawns the tool found on PATH. See
	// SpawnFunc. Everything else (hooks, timeouts, bounds, the Result)
	// is the same either way.
	Spawn SpawnFunc
}

// SpawnFunc runs one tool: argv[0] is the tool's name as given (no PATH
// look-up), stdin is nil when the tool gets no input, and it returns the
// exit code (-1: killed). It must return soon after ctx is done, as a
// killed process would; the Runner then reports the run as killed (a
// timeout, or ctx's error) whatever non-zero code it returns.
type SpawnFunc func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int

// NewRunner returns a Runner with the default timeouts and bounds.
func NewRunner() *Runner {
	return &Runner{ChangeTimeout: DefaultChangeTimeout, ReadTimeout: DefaultReadTimeout, MaxOutput: DefaultMaxOutput, KillGrace: DefaultKillGrace}
}

// Run runs argv and returns what happened; it never panics and always
// returns a Result. Result.Err is an *ExecError whose Kind is ErrTimeout
// when the run was killed at its timeout (or at ctx's deadline), and whose
// Err is ctx's error when ctx was cancelled.
func (r *Runner) Run(ctx context.Context, change bool, argv ...string) Result {
	return r.run(ctx, change, nil, argv)
}

// RunInput is Run with stdin as the tool's standard input (Run gives it
// none).
func (r *Runner) RunInput(ctx context.Context, change bool, stdin []byte, argv ...string) Result {
	return r.run(ctx, change, stdin, argv)
}

func (r *Runner) run(ctx context.Context, change bool, stdin []byte, argv []string) Result {
	res := Result{Argv: slices.Clone(argv), Code: -1, Started: time.Now()}
	finish := func(kind, cause error) Result {
		res.Duration = time.Since(res.Started)
		if res.Code != 0 || kind != nil || cause != nil {
			res.Err = &ExecError{
				Argv:   res.Argv,
				Code:   res.Code,
				Stderr: tailText(string(res.Stderr), maxErrText),
				Kind:   kind,
				Err:    cause,
				stdout: tailText(string(res.Stdout), maxErrText),
			}
		}
		if r.Observe != nil {
			r.Observe(res)
		}
		return res
	}
	if len(argv) == 0 {
		return finish(nil, errors.New("no command given"))
	}
	if err := ctx.Err(); err != nil {
		return finish(nil, err)
	}
	path := ""
	if r.Spawn == nil {
		// Looked up now, not once: PATH is read at every run so a test (or
		// an operator fixing the manifest) can change it.
		var err error
		if path, err = exec.LookPath(argv[0]); err != nil {
			return finish(nil, err)
		}
	}

	timeout := r.ReadTimeout
	if change {
		timeout = r.ChangeTimeout
	}
	if timeout <= 0 {
		timeout = DefaultReadTimeout
		if change {
			timeout = DefaultChangeTimeout
		}
	}
	limit := r.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// killed is the Result of a run stopped by us. A deadline (ours or
	// ctx's) is a timeout; a cancelled ctx is not.
	killed := func() Result {
		res.Code = -1
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return finish(nil, context.Cause(ctx))
		}
		return finish(ErrTimeout, fmt.Errorf("killed at the %s timeout", timeout))
	}

	stdout, stderr := newBoundedBuffer(limit), newBoundedBuffer(limit)
	var outW, errW io.Writer = stdout, stderr
	var outLines, errLines *lineSplitter
	if r.Line != nil {
		outLines = &lineSplitter{fn: func(l string) { r.Line(res.Argv, "stdout", l) }}
		errLines = &lineSplitter{fn: func(l string) { r.Line(res.Argv, "stderr", l) }}
		outW, errW = io.MultiWriter(stdout, outLines), io.MultiWriter(stderr, errLines)
	}
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	if r.Start != nil {
		r.Start(res.Argv)
	}
	if r.Spawn != nil {
		code := r.Spawn(runCtx, res.Argv, in, outW, errW)
		if outLines != nil {
			outLines.flush()
			errLines.flush()
		}
		res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()
		switch {
		case code != 0 && runCtx.Err() != nil:
			return killed()
		case code < 0:
			return finish(nil, errors.New("terminated"))
		}
		res.Code = code
		return finish(nil, nil)
	}

	cmd := exec.CommandContext(runCtx, path, argv[1:]...)
	cmd.Env = childEnv(os.Environ())
	// A fixed working directory: old pkg clients search for the image
	// upward from the cwd when -R is missing (reference 6.3).
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr, cmd.Stdin = outW, errW, in
	setProcessGroup(cmd)
	grace := r.KillGrace
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	exited := make(chan struct{})
	var stopped atomic.Bool
	cmd.Cancel = func() error {
		stopped.Store(true)
		pid := cmd.Process.Pid
		go func() {
			select {
			case <-exited:
			case <-time.After(grace):
				_ = killGroup(pid)
			}
		}()
		return interruptGroup(pid)
	}
	cmd.WaitDelay = grace + waitDelay

	err := cmd.Run()
	close(exited)
	if outLines != nil {
		// Run has waited for the copying goroutines: the last lines are in.
		outLines.flush()
		errLines.flush()
	}
	if stopped.Load() {
		// What the tool started and left behind goes too.
		_ = killGroup(cmd.Process.Pid)
	}
	res.Stdout, res.Stderr = stdout.Bytes(), stderr.Bytes()

	var exitErr *exec.ExitError
	switch {
	case err == nil:
		res.Code = 0
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		// The tool succeeded; something it left behind held the pipes.
		res.Code = 0
	case runCtx.Err() != nil:
		return killed() // by us
	case errors.As(err, &exitErr):
		res.Code = exitErr.ExitCode() // -1 when a signal killed it
		if res.Code < 0 {
			return finish(nil, fmt.Errorf("terminated: %s", exitErr.ProcessState))
		}
	default:
		return finish(nil, err)
	}
	return finish(nil, nil)
}

// childEnv is env for a tool: LC_ALL=C replaces every locale variable
// (LANGUAGE too: Python's gettext, i.e. pkg, reads it before LC_ALL), and
// PKG_IMAGE and PKG_FIND_IMAGE go so that pkg acts only on its -R.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PKG_IMAGE", k == "PKG_FIND_IMAGE", k == "LANG", k == "LANGUAGE", strings.HasPrefix(k, "LC_"):
			continue
		}
		out = append(out, kv)
	}
	return append(out, "LC_ALL=C")
}

// lineSplitter calls fn with each complete line written to it; flush
// passes what is left after the last newline. Lines longer than
// maxLineLen are passed in pieces.
type lineSplitter struct {
	fn      func(string)
	partial []byte
}

const maxLineLen = 64 << 10

func (s *lineSplitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.partial = append(s.partial, p...)
			if len(s.partial) >= maxLineLen {
				s.flush()
			}
			break
		}
		line := p[:i]
		if len(s.partial) > 0 {
			line = append(s.partial, line...)
			s.partial = s.partial[:0]
		}
		s.fn(strings.TrimSuffix(string(line), "\r"))
		p = p[i+1:]
	}
	return n, nil
}

func (s *lineSplitter) flush() {
	if len(s.partial) > 0 {
		s.fn(string(s.partial))
		s.partial = s.partial[:0]
	}
}

// boundedBuffer keeps the first head bytes and the last tail bytes written
// to it. The head matters (zoneadm prints the attach log path first), and
// so does the tail (pkg prints why it failed last).
type boundedBuffer struct {
	headMax, tailMax int
	head, tail       []byte
	total            int64
}

func newBoundedBuffer(limit int) *boundedBuffer {
	head := limit / 4
	return &boundedBuffer{headMax: head, tailMax: limit - head}
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.total += int64(n)
	if room := b.headMax - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) > 0 {
		b.tail = append(b.tail, p...)
		// Trim only when twice over, so the copy is amortised.
		if len(b.tail) > 2*b.tailMax {
			b.tail = append(b.tail[:0:0], b.tail[len(b.tail)-b.tailMax:]...)
		}
	}
	return n, nil
}

// Bytes is what was kept; when something was cut, a marker line
// "[... N bytes cut ...]" stands where it was.
func (b *boundedBuffer) Bytes() []byte {
	tail := b.tail
	if len(tail) > b.tailMax {
		tail = tail[len(tail)-b.tailMax:]
	}
	cut := b.total - int64(len(b.head)) - int64(len(tail))
	out := make([]byte, 0, len(b.head)+len(tail)+40)
	out = append(out, b.head...)
	if cut > 0 {
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		out = append(out, "[... "+strconv.FormatInt(cut, 10)+" bytes cut ...]\n"...)
	}
	return append(out, tail...)
}

// Tools are the host's tools as the daemon uses them: one method per
// operation, each building the argv, running it through X and parsing the
// parsable output. The zero Tools runs through a default Runner.
type Tools struct {
	X Executor
}

// classifier gives the kind of a failed run from its exit code and its
// text (stderr, then stdout), or nil.
type classifier func(code int, text string) error

// run runs argv and returns the Result and its error (nil on exit 0), the
// error's kind set by classify when the Runner did not set one (a timeout
// stays a timeout).
func (t Tools) run(ctx context.Context, change bool, classify classifier, argv ...string) (Result, error) {
	x := t.X
	if x == nil {
		x = NewRunner()
	}
	res := x.Run(ctx, change, argv...)
	err := res.Err
	if err == nil && res.Code != 0 {
		// An Executor other than the Runner (a test double) may leave Err
		// unset: the exit code decides.
		err = &ExecError{Argv: slices.Clone(argv), Code: res.Code,
			Stderr: tailText(string(res.Stderr), maxErrText), stdout: tailText(string(res.Stdout), maxErrText)}
		res.Err = err
	}
	if err != nil && classify != nil {
		withKind(err, classify(res.Code, string(res.Stderr)+"\n"+string(res.Stdout)))
	}
	return res, err
}
