package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// A Runner with Spawn runs no process: the function gets the argv, the
// input and the writers, and the Runner's hooks, bounds and timeouts work
// as they do for a process.
func TestRunnerSpawn(t *testing.T) {
	var mu sync.Mutex
	var started []string
	var lines []string
	var observed []Result
	r := NewRunner()
	r.Start = func(argv []string) { started = append(started, strings.Join(argv, " ")) }
	r.Line = func(argv []string, stream, line string) {
		mu.Lock()
		lines = append(lines, stream+": "+line)
		mu.Unlock()
	}
	r.Observe = func(res Result) { observed = append(observed, res) }
	r.Spawn = func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
		in := ""
		if stdin != nil {
			b, _ := io.ReadAll(stdin)
			in = string(b)
		}
		fmt.Fprintf(stdout, "ran %s\nin=%q", strings.Join(argv, " "), in) // no newline at the end
		fmt.Fprintln(stderr, "warning")
		if argv[0] == "nonesuch-tool-on-no-path" {
			return 3
		}
		return 0
	}
	res := r.RunInput(context.Background(), true, []byte("mail"), "sendmail", "-t")
	if res.Err != nil || res.Code != 0 || string(res.Stdout) != "ran sendmail -t\nin=\"mail\"" || string(res.Stderr) != "warning\n" {
		t.Fatalf("result %+v (stdout %q)", res, res.Stdout)
	}
	// No PATH look-up: the tool's name is the spawn's business.
	res = r.Run(context.Background(), false, "nonesuch-tool-on-no-path", "x")
	var ee *ExecError
	if res.Code != 3 || !errors.As(res.Err, &ee) || ee.Code != 3 || ee.Stderr != "warning" {
		t.Fatalf("exit 3: %+v", res)
	}
	if fmt.Sprint(started) != "[sendmail -t nonesuch-tool-on-no-path x]" || len(observed) != 2 {
		t.Errorf("hooks: started %q, %d observed", started, len(observed))
	}
	// The last line, without its newline, comes when the tool ends.
	want := []string{"stdout: ran sendmail -t", "stderr: warning", `stdout: in="mail"`}
	if got := lines[:3]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lines %q, want %q first", lines, want)
	}
}

// A spawned tool that outlives its timeout or ctx is reported as killed,
// as a process would be.
func TestRunnerSpawnTimeoutAndCancel(t *testing.T) {
	r := NewRunner()
	r.ReadTimeout = 50 * time.Millisecond
	r.Spawn = func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
		<-ctx.Done()
		return -1
	}
	start := time.Now()
	res := r.Run(context.Background(), false, "zoneadm", "-z", "z1", "attach", "-u")
	if !errors.Is(res.Err, ErrTimeout) || res.Code != -1 || time.Since(start) > 5*time.Second {
		t.Fatalf("timeout: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	res = r.Run(ctx, false, "zoneadm", "list")
	if !errors.Is(res.Err, context.Canceled) || errors.Is(res.Err, ErrTimeout) || res.Code != -1 {
		t.Fatalf("cancel: %+v", res)
	}
	// A tool that completed just as the deadline came keeps its success.
	r.Spawn = func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
		<-ctx.Done()
		return 0
	}
	if res = r.Run(context.Background(), false, "zfs", "list"); res.Err != nil || res.Code != 0 {
		t.Fatalf("exit 0 at the deadline: %+v", res)
	}
}
