package smf

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// childEnv makes the test binary, started again by StartBackground, play
// the daemon instead of running the tests: the value says how (see
// playDaemon).
const childEnv = "ZONEUP_SMF_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(playDaemon(role))
	}
	os.Exit(m.Run())
}

// playDaemon is the child: "listen" listens on $ZONEUP_SMF_TEST_SOCKET,
// says it is ready, answers one connection and exits 0; "config" exits 96
// before it is ready, as a daemon with bad configuration does; "mute"
// says it is ready but never listens (and stays until the test creates
// SOCKET.release, which it removes). Every role first checks that its
// argv lost --background and that it knows it is the child, and exits 97
// if not.
func playDaemon(role string) int {
	if slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.Contains(a, "background") }) ||
		!slices.Contains(os.Args[1:], "--keep=1") || !BackgroundChild() {
		return 97
	}
	ready := ReadyNotifier()
	if ready == nil || BackgroundChild() {
		return 97 // the descriptor is taken out of the environment
	}
	switch role {
	case "listen":
		l, err := net.Listen("unix", os.Getenv("ZONEUP_SMF_TEST_SOCKET"))
		if err != nil {
			return 1
		}
		ready()
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
		l.Close()
		return 0
	case "config":
		return ExitConfig
	case "mute":
		ready()
		// Stay until the parent has given up on the socket: exiting at
		// once would race the parent's dial with its wait for the exit.
		release := os.Getenv("ZONEUP_SMF_TEST_SOCKET") + ".release"
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if os.Remove(release) == nil {
				break // the test waits for the file to go
			}
		}
		return 0
	}
	return 1
}

func TestStartBackground(t *testing.T) {
	if BackgroundChild() || ReadyNotifier() != nil {
		t.Fatal("the test itself looks like a --background child")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	t.Setenv("ZONEUP_SMF_TEST_SOCKET", sock)
	args := []string{"--background", "--keep=1", "-background=true"}
	for _, c := range []struct {
		role    string
		code    int
		failure string
	}{
		{"listen", ExitOK, ""},
		{"config", ExitConfig, ""}, // the child's own code reaches SMF
		{"mute", ExitFatal, "daemon started but " + sock + " does not answer"},
	} {
		t.Run(c.role, func(t *testing.T) {
			t.Setenv(childEnv, c.role)
			code, err := StartBackground(args, sock)
			if c.role == "mute" {
				release(t, sock+".release")
			}
			if code != c.code || (err == nil) != (c.failure == "") || (err != nil && !strings.HasPrefix(err.Error(), c.failure)) {
				t.Errorf("exit %d, %v; want %d, %q", code, err, c.code, c.failure)
			}
		})
	}
}

// release lets a "mute" child go: it creates the file the child waits for
// and waits until the child has taken it away, so that no child outlives
// the test (go test would wait for the output it holds).
func release(t *testing.T, file string) {
	t.Helper()
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(file); err != nil {
			return
		}
	}
	t.Error("the child never took " + file)
}
