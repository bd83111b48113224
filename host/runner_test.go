package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The Runner against real processes. sh is used here, in tests only, to
// make processes that misbehave in the ways tools do.

// processGone: no such process, or a zombie nobody reaped yet (it holds no
// resources and runs nothing).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}

// A tool past its timeout gets SIGINT first: a trap (the ipkg brand's)
// runs before the tool exits.
func TestRunnerTimeoutInterruptsFirst(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "cleaned")
	r := NewRunner()
	// The background sleep ignores SIGINT (sh's & does that) and holds the
	// pipes: it goes at the grace's end.
	r.ReadTimeout, r.KillGrace = 200*time.Millisecond, 300*time.Millisecond
	res := r.Run(context.Background(), false, "sh", "-c", "trap 'echo cleaned > "+marker+"; exit 1' INT; sleep 100 & wait")
	if !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("err %v, want ErrTimeout", res.Err)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "cleaned\n" {
		t.Fatalf("the tool's SIGINT trap did not run: %q %v", b, err)
	}
}

// A tool that ignores SIGINT is killed KillGrace later.
func TestRunnerKillGrace(t *testing.T) {
	r := NewRunner()
	r.ReadTimeout, r.KillGrace = 200*time.Millisecond, 300*time.Millisecond
	start := time.Now()
	res := r.Run(context.Background(), false, "sh", "-c", "trap '' INT; sleep 100")
	if !errors.Is(res.Err, ErrTimeout) || time.Since(start) > 8*time.Second {
		t.Fatalf("err %v after %s, want ErrTimeout soon after the grace", res.Err, time.Since(start))
	}
}

func TestRunnerTimeoutKillsProcessGroup(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	r := NewRunner()
	r.ReadTimeout, r.KillGrace = 300*time.Millisecond, 300*time.Millisecond
	start := time.Now()
	res := r.Run(context.Background(), false, "sh", "-c", "sleep 100 & echo $! > "+pids+"; echo $$ >> "+pids+"; sleep 100")
	if el := time.Since(start); el > 8*time.Second {
		t.Fatalf("Run took %s", el)
	}
	if res.Code != -1 || !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("code %d, err %v: want -1 and ErrTimeout", res.Code, res.Err)
	}
	if !strings.Contains(res.Err.Error(), "timeout") {
		t.Fatalf("message %q", res.Err)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		t.Fatalf("pids file %q", b)
	}
	for _, f := range fields {
		pid, _ := strconv.Atoi(f)
		deadline := time.Now().Add(5 * time.Second)
		for !processGone(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Fatalf("process %d (of the tool's group) outlived the timeout", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestRunnerChangeAndReadTimeouts(t *testing.T) {
	r := &Runner{ChangeTimeout: 10 * time.Second, ReadTimeout: 100 * time.Millisecond}
	if res := r.Run(context.Background(), true, "sleep", "0.4"); res.Err != nil || res.Code != 0 {
		t.Fatalf("change call: %v", res.Err)
	}
	if res := r.Run(context.Background(), false, "sleep", "5"); !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("read call: %v", res.Err)
	}
	// ctx's own deadline is a timeout too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if res := r.Run(ctx, true, "sleep", "5"); !errors.Is(res.Err, ErrTimeout) || res.Code != -1 {
		t.Fatalf("ctx deadline: %d %v", res.Code, res.Err)
	}
}

func TestRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := NewRunner().Run(ctx, true, "sleep", "100")
	if res.Code != -1 || !errors.Is(res.Err, context.Canceled) || errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("code %d, err %v", res.Code, res.Err)
	}
	if res.Duration > 8*time.Second {
		t.Fatalf("took %s", res.Duration)
	}
	// An already cancelled ctx starts nothing.
	res = NewRunner().Run(ctx, true, "true")
	if res.Code != -1 || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("code %d, err %v", res.Code, res.Err)
	}
}

func TestRunnerExitCodeAndError(t *testing.T) {
	res := NewRunner().Run(context.Background(), false, "sh", "-c", `echo out; echo first >&2; echo "zoneadm: zone 'web01': boom." >&2; exit 3`)
	if res.Code != 3 || string(res.Stdout) != "out\n" || !strings.HasPrefix(string(res.Stderr), "first\n") {
		t.Fatalf("%+v", res)
	}
	var e *ExecError
	if !errors.As(res.Err, &e) {
		t.Fatalf("%T", res.Err)
	}
	if e.Code != 3 || e.Kind != nil || e.Err != nil || e.Stderr != "first\nzoneadm: zone 'web01': boom." || len(e.Argv) != 3 {
		t.Fatalf("%+v", e)
	}
	if msg := res.Err.Error(); !strings.HasPrefix(msg, "sh -c echo out;") || !strings.HasSuffix(msg, ": exit 3: first / zoneadm: zone 'web01': boom.") {
		t.Fatalf("message %q", msg)
	}
	if Code(res.Err) != 3 || Code(fmt.Errorf("detach: %w", res.Err)) != 3 {
		t.Fatal("Code does not see the exit code")
	}
	if errors.Is(res.Err, ErrTransient) || errors.Is(res.Err, ErrNotFound) {
		t.Fatal("a plain failure has a kind")
	}
	ok := NewRunner().Run(context.Background(), false, "true")
	if ok.Code != 0 || ok.Err != nil || ok.Started.IsZero() || ok.Duration <= 0 {
		t.Fatalf("%+v", ok)
	}
	killed := NewRunner().Run(context.Background(), false, "sh", "-c", "kill -9 $$")
	if killed.Code != -1 || killed.Err == nil || errors.Is(killed.Err, ErrTimeout) {
		t.Fatalf("%+v", killed)
	}
}

func TestExecErrorAndCode(t *testing.T) {
	e := &ExecError{Argv: []string{"pkg", "-R", "/", "install", "x"}, Code: 7, Kind: ErrTransient,
		Stderr: "pkg: The image cannot be modified as it is currently in use by another package client."}
	if got := e.Error(); got != "pkg -R / install x: exit 7: pkg: The image cannot be modified as it is currently in use by another package client." {
		t.Fatal(got)
	}
	if !errors.Is(e, ErrTransient) || errors.Is(e, ErrTimeout) {
		t.Fatal("kind")
	}
	both := &ExecError{Argv: []string{"zfs", "list"}, Code: -1, Kind: ErrTimeout, Err: context.Canceled}
	if !errors.Is(both, ErrTimeout) || !errors.Is(both, context.Canceled) || len(both.Unwrap()) != 2 {
		t.Fatal("Unwrap")
	}
	if len((&ExecError{}).Unwrap()) != 0 {
		t.Fatal("Unwrap of nothing")
	}
	// stderr empty: the brand's ERROR line on stdout tells.
	brand := &ExecError{Argv: []string{"zoneadm", "-z", "w", "detach"}, Code: 1, stdout: "x\nERROR: no active dataset.\n"}
	if got := brand.Error(); got != "zoneadm -z w detach: exit 1: x / ERROR: no active dataset." {
		t.Fatal(got)
	}
	notStarted := &ExecError{Argv: []string{"beadm"}, Code: -1, Err: exec.ErrNotFound}
	if !strings.Contains(notStarted.Error(), "beadm: ") || !errors.Is(notStarted, exec.ErrNotFound) {
		t.Fatal(notStarted.Error())
	}
	if Code(nil) != 0 || Code(errors.New("x")) != -1 || Code(notStarted) != -1 {
		t.Fatal("Code")
	}
	long := &ExecError{Argv: []string{"pkg"}, Code: 1, Stderr: strings.Repeat("y", 5000)}
	if len(long.Error()) > 450 {
		t.Fatalf("message of %d bytes", len(long.Error()))
	}
}

func TestRunnerEnvironment(t *testing.T) {
	t.Setenv("PKG_IMAGE", "/zones/web01/root")
	t.Setenv("PKG_FIND_IMAGE", "1")
	t.Setenv("LC_ALL", "de_DE.UTF-8")
	t.Setenv("LC_MESSAGES", "de_DE.UTF-8")
	t.Setenv("LANG", "de_DE.UTF-8")
	t.Setenv("LANGUAGE", "de")
	t.Setenv("ZONEUP_TEST_KEEP", "kept")
	res := NewRunner().Run(context.Background(), false, "env")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := map[string][]string{}
	for _, kv := range strings.Split(strings.TrimSpace(string(res.Stdout)), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = append(got[k], v)
	}
	if len(got["LC_ALL"]) != 1 || got["LC_ALL"][0] != "C" {
		t.Errorf("LC_ALL = %q", got["LC_ALL"])
	}
	for _, k := range []string{"PKG_IMAGE", "PKG_FIND_IMAGE", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s=%q passed on", k, v)
		}
	}
	if got["ZONEUP_TEST_KEEP"] == nil || got["PATH"] == nil {
		t.Error("the rest of the environment is not passed on")
	}
	// The working directory is fixed: pkg without -R must find nothing.
	if res := NewRunner().Run(context.Background(), false, "pwd"); strings.TrimSpace(string(res.Stdout)) != "/" {
		t.Errorf("cwd %q", res.Stdout)
	}
}

func TestRunnerBoundedOutput(t *testing.T) {
	r := NewRunner()
	r.MaxOutput = 1000
	res := r.Run(context.Background(), false, "sh", "-c",
		`echo HEAD; i=0; while [ $i -lt 2000 ]; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo TAIL; echo err >&2`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out := string(res.Stdout)
	if len(out) > 1100 || !strings.HasPrefix(out, "HEAD\n") || !strings.HasSuffix(out, "xxx\nTAIL\n") {
		t.Fatalf("%d bytes: %.80q ... %.80q", len(out), out, out[max(0, len(out)-80):])
	}
	// 5 + 2000*50 + 5 bytes were written, 1000 kept.
	if !strings.Contains(out, "\n[... 99010 bytes cut ...]\n") {
		t.Fatalf("no or wrong marker in %q", out)
	}
	if string(res.Stderr) != "err\n" {
		t.Fatalf("stderr %q", res.Stderr)
	}
}

func TestBoundedBuffer(t *testing.T) {
	b := newBoundedBuffer(8) // head 2, tail 6
	b.Write([]byte("ab"))
	if string(b.Bytes()) != "ab" {
		t.Fatalf("%q", b.Bytes())
	}
	b.Write([]byte("cdefgh"))
	if string(b.Bytes()) != "abcdefgh" {
		t.Fatalf("%q", b.Bytes())
	}
	for range 10 {
		b.Write([]byte("0123"))
	}
	if got := string(b.Bytes()); got != "ab\n[... 40 bytes cut ...]\n230123" {
		t.Fatalf("%q", got)
	}
	if len(b.tail) > 2*b.tailMax {
		t.Fatal("tail grows")
	}
}

func TestRunnerObserveAndLookPath(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	for d, word := range map[string]string{dir1: "one", dir2: "two"} {
		if err := os.WriteFile(filepath.Join(d, "zoneadm"), []byte("#!/bin/sh\necho "+word+" \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var seen []Result
	r := NewRunner()
	r.Observe = func(res Result) { seen = append(seen, res) }
	path := os.Getenv("PATH")
	t.Setenv("PATH", dir1+string(os.PathListSeparator)+path)
	a := r.Run(context.Background(), false, "zoneadm", "list", "-cp")
	t.Setenv("PATH", dir2+string(os.PathListSeparator)+path)
	b := r.Run(context.Background(), false, "zoneadm", "list")
	t.Setenv("PATH", t.TempDir())
	c := r.Run(context.Background(), false, "zoneadm", "list")
	d := r.Run(context.Background(), false)
	if string(a.Stdout) != "one list -cp\n" || string(b.Stdout) != "two list\n" {
		t.Fatalf("PATH not read at run time: %q %q", a.Stdout, b.Stdout)
	}
	if c.Code != -1 || !errors.Is(c.Err, exec.ErrNotFound) {
		t.Fatalf("missing tool: %d %v", c.Code, c.Err)
	}
	if d.Code != -1 || d.Err == nil {
		t.Fatalf("no argv: %+v", d)
	}
	if len(seen) != 4 || seen[0].Argv[0] != "zoneadm" || string(seen[1].Stdout) != "two list\n" || !errors.Is(seen[2].Err, exec.ErrNotFound) {
		t.Fatalf("Observe saw %+v", seen)
	}
}

func TestZeroRunner(t *testing.T) {
	var r Runner
	if res := r.Run(context.Background(), true, "true"); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := childEnv([]string{"A=1", "LC_ALL=fr", "LC_CTYPE=x", "PKG_IMAGE=/", "LANGUAGE=fr", "B=2"}); strings.Join(got, " ") != "A=1 B=2 LC_ALL=C" {
		t.Fatal(got)
	}
}

// Line sees every line as the tool writes it, stdout and stderr apart, a
// last line without a newline too, and Start comes first.
func TestRunnerStreamsLines(t *testing.T) {
	var mu sync.Mutex
	var got []string
	r := NewRunner()
	r.Start = func(argv []string) {
		mu.Lock()
		got = append(got, "start "+strings.Join(argv, " "))
		mu.Unlock()
	}
	r.Line = func(_ []string, stream, line string) {
		mu.Lock()
		got = append(got, stream+" "+line)
		mu.Unlock()
	}
	res := r.Run(context.Background(), false, "sh", "-c", `echo one; echo two >&2; printf 'three\r\nfour'`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"start sh -c echo one; echo two >&2; printf 'three\\r\\nfour'", "stdout one", "stdout three", "stdout four"}
	var out []string
	for _, g := range got {
		if !strings.HasPrefix(g, "stderr") {
			out = append(out, g)
		}
	}
	if fmt.Sprint(out) != fmt.Sprint(want) || !slices.Contains(got, "stderr two") {
		t.Fatalf("got %q", got)
	}
	if string(res.Stdout) != "one\nthree\r\nfour" {
		t.Fatalf("the Result's stdout: %q", res.Stdout)
	}
}

// A clipped message keeps its whole first sentence and its end.
func TestClip(t *testing.T) {
	long := "zfs rollback -r rpool/zones/z1@zoneup-1: cannot rollback. " + strings.Repeat("x", 500) + " the end"
	got := Clip(long, 120)
	if !strings.HasPrefix(got, "zfs rollback -r rpool/zones/z1@zoneup-1: cannot rollback. ... ") || !strings.HasSuffix(got, " the end") || len(got) > 120 {
		t.Errorf("%d bytes: %q", len(got), got)
	}
	if got := Clip("short", 120); got != "short" {
		t.Errorf("%q", got)
	}
	one := strings.Repeat("y", 300)
	if got := Clip(one, 100); len(got) != 100 || !strings.HasSuffix(got, "...") {
		t.Errorf("one long sentence: %q", got)
	}
}
