package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"zoneup/daemon/api/apitest"
)

// The built binary, as SMF and the contract check run it.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "zoneupadm")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, arg := range []string{"--help", "help"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", arg, err, out)
		}
		for _, v := range []string{"enqueue", "list", "status", "cancel", "retry", "pause", "resume", "log", "report", "wait", "reload", "shutdown"} {
			if !strings.Contains(string(out), "\n  "+v) {
				t.Errorf("%s does not list %s", arg, v)
			}
		}
	}

	sock := apitest.SocketPath(t)
	cmd := exec.Command(bin, "--socket", sock, "list")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 ||
		string(out) != "zoneupadm: zoneupd is not running (nothing answers on "+sock+")\n" {
		t.Errorf("list without a daemon: %v %q", err, out)
	}
	// $ZONEUP_SOCKET is honoured, and shutdown without a daemon succeeds.
	cmd = exec.Command(bin, "shutdown", "--wait")
	cmd.Env = append(os.Environ(), "ZONEUP_SOCKET="+sock)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), sock) {
		t.Errorf("shutdown --wait without a daemon: %v %q", err, out)
	}
}
