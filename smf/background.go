package smf

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// readyEnv names the descriptor on which a daemon started by
// StartBackground reports that it listens: the write end of a pipe,
// passed as ExtraFiles[0] (descriptor 3).
const readyEnv = "ZONEUPD_READY_FD"

// BackgroundChild reports whether this process is the daemon a
// StartBackground started. Such a child runs in the foreground whatever
// its argv says (--background=true would otherwise start another child).
func BackgroundChild() bool { return os.Getenv(readyEnv) != "" }

// ReadyNotifier returns the function that tells the StartBackground
// parent that the daemon listens (nil when not started by one). Call it
// once: it takes the descriptor out of the environment.
func ReadyNotifier() func() {
	if os.Getenv(readyEnv) != "3" {
		return nil
	}
	os.Unsetenv(readyEnv)
	f := os.NewFile(3, "ready")
	return func() {
		_, _ = f.Write([]byte("ready\n"))
		_ = f.Close()
	}
}

// StartBackground is the start method's --background: it starts this
// program again with args (less --background) as a child in its own
// session, waits until the child says it listens and socket answers, and
// returns 0. If the child dies first its exit code is returned, so 95 and
// 96 reach svc.startd and put the instance in maintenance (the child has
// said why on the shared stderr). A non-nil error is a failure of the
// start itself, exit 95, for the caller to print.
func StartBackground(args []string, socket string) (int, error) {
	var rest []string
	for _, a := range args {
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); name != "background" || !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return ExitFatal, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return ExitFatal, err
	}
	defer pr.Close()
	cmd := exec.Command(self, rest...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Env = append(os.Environ(), readyEnv+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return ExitFatal, fmt.Errorf("start daemon: %w", err)
	}
	pw.Close()
	ready := make(chan bool, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := pr.Read(b)
		ready <- n > 0
	}()
	exited := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if code < 0 {
				code = ExitFatal // killed by a signal
			}
		} else if err != nil {
			code = ExitFatal
		}
		exited <- code
	}()
	select {
	case ok := <-ready:
		if ok {
			conn, err := net.DialTimeout("unix", socket, 5*time.Second)
			if err == nil {
				conn.Close()
				return ExitOK, nil
			}
			return ExitFatal, fmt.Errorf("daemon started but %s does not answer: %v", socket, err)
		}
		// The pipe closed without a word: the child is exiting.
		return failed(<-exited), nil
	case code := <-exited:
		return failed(code), nil
	}
}

// failed is the start method's code for a child that exited before it
// listened: its own code, and 95 for an exit 0 that never listened.
func failed(code int) int {
	if code == 0 {
		return ExitFatal
	}
	return code
}
