package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/client"
)

// zoneupd under SMF: configuration from svcprop (zonesim's, answering from
// a property file in the world), reload, drain on shutdown, --background.

const zoneupFMRI = "svc:/application/zoneup:default"

// writeProps writes the instance's config property group as svcprop prints
// it, every key of SPEC 4 with the given overrides.
func writeProps(t *testing.T, world string, over map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, key := range ConfigKeys {
		k, typ := key.Name, key.SMFType
		v, ok := over[k]
		if !ok {
			v = key.Default
		}
		if v == "" {
			v = `""`
		}
		fmt.Fprintf(&b, "config/%s %s %s\n", k, typ, strings.ReplaceAll(v, " ", `\ `))
	}
	dir := filepath.Join(world, "smf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "svc__application_zoneup_default.props"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// smfDaemon starts zoneupd as SMF would: SMF_FMRI set, no configuration
// flags. Its stderr goes to a file, as to the service log (a --background
// daemon keeps it open after its parent exits).
func smfDaemon(t *testing.T, args ...string) (*exec.Cmd, *logFile) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), "zoneupd"), args...)
	cmd.Env = append(os.Environ(), "SMF_FMRI="+zoneupFMRI)
	f, err := os.CreateTemp(t.TempDir(), "svc-log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	cmd.Stderr = f
	return cmd, &logFile{f}
}

// logFile is a service log: String reads what was written so far.
type logFile struct{ f *os.File }

func (l *logFile) String() string {
	b, _ := os.ReadFile(l.f.Name())
	return string(b)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func waitInfo(t *testing.T, c *client.Client) {
	t.Helper()
	for i := 0; i < 250; i++ {
		if _, err := c.Info(context.Background()); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("zoneupd does not answer")
}

func TestSMFConfigurationAndReload(t *testing.T) {
	w := newScenario(t, fast, `{"profile": "s11e", "seed": 1, "zones": [{"name": "s1", "state": "running"}]}`)
	dir := t.TempDir()
	sock, db := filepath.Join(dir, "s"), filepath.Join(dir, "db", "zoneup.db")
	base := map[string]string{"db_path": db, "socket_path": sock, "concurrency": "1", "stage_timeout": "30s"}
	writeProps(t, w.dir, base)
	cmd, stderr := smfDaemon(t)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := client.New(sock)
	waitInfo(t, c)
	info, _ := c.Info(context.Background())
	if info.Concurrency != 1 {
		t.Errorf("concurrency %d from svcprop, want 1", info.Concurrency)
	}
	base["concurrency"] = "3"
	base["window"] = "01:00-05:00"
	writeProps(t, w.dir, base)
	adm := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", sock, "reload")
	if out, err := adm.CombinedOutput(); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	info, _ = c.Info(context.Background())
	if info.Concurrency != 3 || info.Window != "01:00-05:00" {
		t.Errorf("after reload: concurrency %d window %q, want 3 and 01:00-05:00", info.Concurrency, info.Window)
	}
	// A bad value on reload is refused; the old configuration stays.
	base["concurrency"] = "zero"
	writeProps(t, w.dir, base)
	out, err := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", sock, "reload").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "concurrency") {
		t.Errorf("reload with a bad value: %v %q; want a refusal naming concurrency", err, out)
	}
	// As the refresh method it still exits 0 (a failed method would put the
	// instance in maintenance while the daemon runs on) and says why.
	refresh := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", sock, "reload")
	refresh.Env = append(os.Environ(), "SMF_METHOD=refresh", "SMF_FMRI="+zoneupFMRI)
	if out, err := refresh.CombinedOutput(); err != nil || !strings.Contains(string(out), "concurrency") {
		t.Errorf("refresh method with a bad value: %v %q; want exit 0 and the refusal in the log", err, out)
	}
	if info, _ = c.Info(context.Background()); info.Concurrency != 3 {
		t.Errorf("bad reload changed concurrency to %d", info.Concurrency)
	}
	if out, err := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", sock, "shutdown", "--wait").CombinedOutput(); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, out)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("zoneupd after shutdown: %v\n%s", err, stderr)
	}
}

func TestSMFBadValueExits96NamingTheProperty(t *testing.T) {
	for key, bad := range map[string]string{"concurrency": "0", "window": "25:00-03:00", "stage_timeout": "forever", "ladder": "attach-update,nosuch"} {
		t.Run(key, func(t *testing.T) {
			w := newScenario(t, fast, `{"profile": "s11e", "seed": 1, "zones": [{"name": "s1"}]}`)
			dir := t.TempDir()
			writeProps(t, w.dir, map[string]string{"db_path": filepath.Join(dir, "db"), "socket_path": filepath.Join(dir, "s"), key: bad})
			for _, args := range [][]string{nil, {"--background"}} {
				cmd, stderr := smfDaemon(t, args...)
				err := cmd.Run()
				if code := exitCode(err); code != 96 || !strings.Contains(stderr.String(), key) {
					t.Errorf("zoneupd %v with %s=%q: exit %d, %q; want 96 naming %s", args, key, bad, code, stderr, key)
				}
				if n := strings.Count(strings.TrimSpace(stderr.String()), "\n"); n != 0 {
					t.Errorf("message is %d lines, want one: %q", n+1, stderr)
				}
			}
		})
	}
}

func TestBackground(t *testing.T) {
	w := newScenario(t, fast, `{"profile": "s11e", "seed": 1, "zones": [{"name": "s1"}]}`)
	dir := t.TempDir()
	sock, db := filepath.Join(dir, "s"), filepath.Join(dir, "db", "zoneup.db")
	writeProps(t, w.dir, map[string]string{"db_path": db, "socket_path": sock})
	start := time.Now()
	cmd, stderr := smfDaemon(t, "--background")
	if err := cmd.Run(); err != nil {
		t.Fatalf("zoneupd --background: %v\n%s", err, stderr)
	}
	c := client.New(sock)
	if _, err := c.Info(context.Background()); err != nil {
		t.Fatalf("--background returned 0 but the socket does not answer: %v", err)
	}
	t.Logf("--background returned after %s", time.Since(start).Round(time.Millisecond))
	// A second daemon on the same database: locked, 95.
	other := filepath.Join(dir, "s2")
	cmd2, stderr2 := smfDaemon(t, "--background", "--db-path", db, "--socket-path", other)
	if code := exitCode(cmd2.Run()); code != 95 || !strings.Contains(stderr2.String(), db) {
		t.Errorf("second zoneupd on %s: exit %d %q, want 95 naming the file", db, code, stderr2.String())
	}
	if err := c.Shutdown(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	// Nothing answers any more; shutdown --wait still exits 0.
	if out, err := exec.Command(filepath.Join(binaries(t), "zoneupadm"), "--socket", sock, "shutdown", "--wait").CombinedOutput(); err != nil {
		t.Errorf("shutdown --wait with no daemon: %v %s", err, out)
	}
}

// shutdown --wait during a running attach -u lets it finish, exits 0, and
// the job resumes at the next start without repeating anything.
func TestShutdownDrainsRunningAttach(t *testing.T) {
	w := newScenario(t, 100, `{"profile": "s11e", "seed": 1, "zones": [{"name": "d1", "state": "installed"}]}`)
	dir := t.TempDir()
	d := startDaemon(t, dir, "--drain-grace", "60s")
	d.mustAdm("enqueue", "d1")
	// Wait for the attach -u to be running (its start record, no end).
	deadline := time.Now().Add(30 * time.Second)
	for {
		running := false
		for _, i := range readInvocations(t, w.dir) {
			if strings.Contains(i.Cmd(), "attach -u") && !i.Ended {
				running = true
			}
		}
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("attach -u never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.shutdown()
	if code := d.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("zoneupd exit %d after shutdown, want 0", code)
	}
	attaches := 0
	for _, i := range readInvocations(t, w.dir) {
		if strings.Contains(i.Cmd(), "attach -u") {
			attaches++
			if !i.Ended || i.Code != 0 {
				t.Errorf("attach -u was not let finish: ended=%v code=%d", i.Ended, i.Code)
			}
		}
	}
	// The job resumes where it stood and completes; one snapshot, one attach.
	d.launch(binaries(t))
	if _, code := d.admCode("wait", "--timeout", "60s", "d1"); code != 0 {
		out, _ := d.adm("status", "d1")
		t.Fatalf("d1 after restart not upgraded:\n%s", out)
	}
	d.shutdown()
	checkNothingTwice(t, w)
	n := 0
	for _, i := range readInvocations(t, w.dir) {
		if strings.Contains(i.Cmd(), "attach -u") {
			n++
		}
	}
	if n != attaches {
		t.Errorf("attach -u ran %d times in all, %d before the shutdown: repeated after resume", n, attaches)
	}
}

// The rough edges an administrator meets first: an admin_group the host
// does not have is bad configuration (96, naming it); an empty or foreign
// database file is refused (95) in one line that says it once and is left
// as it was; a clean stop logs no error.
func TestStartRefusals(t *testing.T) {
	newScenario(t, fast, `{"profile": "s11e", "seed": 1, "zones": [{"name": "s1"}]}`)
	bin := filepath.Join(binaries(t), "zoneupd")
	run := func(args ...string) (int, string) {
		var stderr strings.Builder
		cmd := exec.Command(bin, args...)
		cmd.Stderr = &stderr
		return exitCode(cmd.Run()), stderr.String()
	}
	dir := t.TempDir()
	code, msg := run("--db-path", filepath.Join(dir, "a.db"), "--socket-path", filepath.Join(dir, "a.s"), "--admin-group", "nosuchgroup-zoneup")
	if code != 96 || !strings.Contains(msg, "admin_group") || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
		t.Errorf("bad admin_group: exit %d %q", code, msg)
	}
	for name, content := range map[string][]byte{"empty.db": nil, "text.db": []byte("not a database\n")} {
		db := filepath.Join(dir, name)
		if err := os.WriteFile(db, content, 0o600); err != nil {
			t.Fatal(err)
		}
		code, msg := run("--db-path", db, "--socket-path", filepath.Join(dir, name+".s"))
		if code != 95 || !strings.Contains(msg, db) || strings.Count(msg, "database corrupt") != 1 || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
			t.Errorf("%s: exit %d %q", name, code, msg)
		}
		if got, _ := os.ReadFile(db); string(got) != string(content) {
			t.Errorf("%s was changed", name)
		}
	}
	// A clean start and stop: no error line.
	var stderr strings.Builder
	sock := filepath.Join(dir, "ok.s")
	cmd := exec.Command(bin, "--db-path", filepath.Join(dir, "ok", "z.db"), "--socket-path", sock)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := client.New(sock)
	waitInfo(t, c)
	if err := c.Shutdown(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("zoneupd: %v\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), `"level":"error"`) {
		t.Errorf("a clean stop logged an error:\n%s", stderr.String())
	}
}
