package api_test

import (
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"zoneup/daemon/api"
	"zoneup/daemon/api/apitest"
)

func TestListenMakesFolderAndMode(t *testing.T) {
	path := filepath.Join(filepath.Dir(apitest.SocketPath(t)), "run", "s")
	l, err := api.Listen(path, 0o660)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v, want a socket with 0660", fi.Mode())
	}
	if di, err := os.Stat(filepath.Dir(path)); err != nil || !di.IsDir() {
		t.Errorf("parent folder: %v", err)
	}
}

func TestListenReplacesDeadSocket(t *testing.T) {
	path := apitest.SocketPath(t)
	// A daemon killed with -9 leaves its socket file behind.
	old, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	old.(*net.UnixListener).SetUnlinkOnClose(false)
	old.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("dead socket file not left behind: %v", err)
	}
	l, err := api.Listen(path, 0o600)
	if err != nil {
		t.Fatalf("dead socket not replaced: %v", err)
	}
	defer l.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("new socket does not answer: %v", err)
	}
	c.Close()
}

func TestListenRefusesLiveSocket(t *testing.T) {
	path := apitest.SocketPath(t)
	l, err := api.Listen(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = api.Listen(path, 0o600)
	if err == nil || err.Error() != "another zoneupd is listening on "+path {
		t.Fatalf("second Listen: %v", err)
	}
	// The first one still works.
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("live socket harmed: %v", err)
	}
	c.Close()
}

func TestListenRefusesNonSocket(t *testing.T) {
	path := apitest.SocketPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := api.Listen(path, 0o600)
	if err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("Listen over a file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("the file was touched: %q, %v", b, err)
	}
	dir := filepath.Join(filepath.Dir(path), "d")
	os.Mkdir(dir, 0o755)
	if _, err := api.Listen(dir, 0o600); err == nil {
		t.Error("Listen over a folder succeeded")
	}
}

// With admin_group set, Serve gives the socket to that group, so its
// members can connect at all (0660, root's otherwise).
func TestServeGivesSocketToAdminGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another group needs root")
	}
	var g *user.Group
	for _, name := range []string{"daemon", "bin", "sys", "adm", "nogroup", "staff"} {
		if x, err := user.LookupGroup(name); err == nil && x.Gid != strconv.Itoa(os.Getgid()) {
			g = x
			break
		}
	}
	if g == nil {
		t.Skip("no second group on this host")
	}
	sock, _ := apitest.Serve(t, apitest.NewFake(), api.ServerOptions{AdminGroup: g.Name})
	newWire(t, sock).ok("GET", "/v1/info", "", nil) // Serve is past the chown once it answers
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if gid := fi.Sys().(*syscall.Stat_t).Gid; strconv.Itoa(int(gid)) != g.Gid {
		t.Errorf("socket group %d, want %s (%s)", gid, g.Gid, g.Name)
	}
}
