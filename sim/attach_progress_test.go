package sim

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func logLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// indexOf is the index of the first line containing s, -1 if none.
func indexOf(lines []string, s string) int {
	return slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, s) })
}

// TestAttachLogProgressive: the attach log grows while attach -u runs, as
// the brand writes it under a minutes-long pkg install: Log File: is the
// first line on stdout at once, the header is in the log at once, pkg's
// progress lines come one by one over the simulated time, and the result
// line only at the end.
func TestAttachLogProgressive(t *testing.T) {
	w := newScenario(t, 100, `{"profile": "oi", "zones": [{"name": "web01", "state": "configured"}]}`)
	cmd := exec.Command(filepath.Join(toolsDir, "zoneadm"), "-z", "web01", "attach", "-u")
	cmd.Env = w.env()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	rd := bufio.NewReader(stdout)
	first, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	path, ok := strings.CutPrefix(strings.TrimSuffix(first, "\n"), "Log File: ")
	if !ok {
		t.Fatalf("first line %q", first)
	}
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		rd.WriteTo(&b)
		rest <- b.String()
		done <- cmd.Wait()
	}()

	// The header is written before the package work starts.
	var start []string
	for {
		start = logLines(t, path)
		if indexOf(start, "Updating non-global zone: Output follows") >= 0 {
			break
		}
		if time.Since(started) > 5*time.Second {
			t.Fatalf("no header in the log:\n%s", strings.Join(start, "\n"))
		}
		time.Sleep(2 * time.Millisecond)
	}
	headerAt := time.Since(started)

	// Two more lines while the command still runs, and no result yet.
	var mid []string
	for {
		mid = logLines(t, path)
		if len(mid) >= len(start)+2 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("attach ended (%v) with %d lines, %d at the start:\n%s", err, len(mid), len(start), strings.Join(mid, "\n"))
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	midAt := time.Since(started)
	select {
	case err := <-done:
		t.Fatalf("attach had ended (%v) when the log had %d lines", err, len(mid))
	default:
	}
	if !slices.Equal(mid[:len(start)], start) || indexOf(mid, "Result:") >= 0 || indexOf(mid, "Zone updated.") >= 0 {
		t.Fatalf("log mid-way:\n%s", strings.Join(mid, "\n"))
	}

	if err := <-done; err != nil {
		t.Fatalf("attach -u: %v", err)
	}
	out := first + <-rest
	endAt := time.Since(started)
	final := logLines(t, path)
	if !slices.Equal(final[:len(mid)], mid) {
		t.Fatalf("the log was rewritten, not appended to:\n%s", strings.Join(final, "\n"))
	}
	// Header, every progress line undated and in order, then the end.
	progress := attachProgress(stageDone, 12)
	i := indexOf(final, "Output follows")
	if got := final[i+1 : i+1+len(progress)]; !slices.Equal(got, progress) {
		t.Errorf("progress lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(progress, "\n"))
	}
	if tail := final[i+1+len(progress):]; len(tail) != 3 || !strings.HasSuffix(tail[1], "]   Updating non-global zone: Zone updated.") ||
		!strings.HasSuffix(tail[2], "]                     Result: Attach Succeeded.") {
		t.Errorf("end of the log:\n%s", strings.Join(tail, "\n"))
	}
	// stdout is what it always was.
	if !strings.Contains(out, "  Updating non-global zone: Output follows\n           Packages to update:   12\n") ||
		!strings.HasSuffix(out, "  Updating non-global zone: Zone updated.\n                    Result: Attach Succeeded.\n") ||
		strings.Contains(out, "Creating Plan") {
		t.Errorf("stdout:\n%s", out)
	}
	// The lines came spread over the call: the first two well before
	// its end (they are due after 1/16 and 2/16 of it).
	t.Logf("header after %v, two progress lines after %v, end after %v", headerAt, midAt, endAt)
	if midAt > endAt*3/4 {
		t.Errorf("two progress lines only after %v of %v", midAt, endAt)
	}
}

// TestAttachLogProgressOutcomes: how far pkg's progress goes in the log
// for each way an attach -u ends, and that the end's lines follow it.
func TestAttachLogProgressOutcomes(t *testing.T) {
	w := newScenario(t, 2000, `{"profile": "omnios", "hostname": "gz01", "zones": [
		{"name": "conf01", "state": "configured", "troubles": ["conflicts"]},
		{"name": "down01", "state": "configured", "faults": ["repo-down"]},
		{"name": "full01", "state": "configured", "faults": ["no-space-attach"]},
		{"name": "lock01", "state": "configured", "faults": ["locked-once"]},
		{"name": "san01", "state": "configured", "faults": ["sanity-fails"]}]}`)
	for _, tc := range []struct {
		zone  string
		last  string // the last progress line, "" for none
		error string // the text after it
	}{
		{"conf01", "Creating Plan (Running solver): ...", "pkg install: No solution was found to satisfy constraints"},
		{"down01", "Downloading ", "Errors were encountered while attempting to retrieve package or file data for"},
		{"full01", "Downloading ", "pkg: [Errno 28] No space left on device"},
		{"lock01", "", "pkg: The image cannot be modified as it is currently in use by another package client"},
		{"san01", "", "Sanity Check: FAILED"},
	} {
		r := w.expectCode(1, "zoneadm", "-z", tc.zone, "attach", "-u")
		lines := strings.Split(strings.TrimSuffix(attachLog(t, r.out), "\n"), "\n")
		e := indexOf(lines, tc.error)
		p := indexOf(lines, "Creating Plan")
		switch {
		case e < 0 || !strings.HasSuffix(lines[len(lines)-1], "Result: Attach Failed."):
			t.Errorf("%s: log\n%s", tc.zone, strings.Join(lines, "\n"))
		case tc.last == "" && p >= 0:
			t.Errorf("%s: progress lines in\n%s", tc.zone, strings.Join(lines, "\n"))
		case tc.last != "" && (p < 0 || !strings.HasPrefix(lines[e-2], tc.last) && !strings.HasPrefix(lines[e-1], tc.last)):
			t.Errorf("%s: want %q before the error in\n%s", tc.zone, tc.last, strings.Join(lines, "\n"))
		}
		if strings.Contains(r.out, "Creating Plan") || strings.Contains(r.out, "Downloading") {
			t.Errorf("%s: progress on stdout:\n%s", tc.zone, r.out)
		}
	}
}

// TestAttachLogCrashMidway: the crash hook still fires halfway through
// the attach: the log then holds the progress lines due by then and no
// end, and the zone is as it was.
func TestAttachLogCrashMidway(t *testing.T) {
	w := newScenario(t, 200, `{"profile": "oi", "zones": [{"name": "web01", "state": "configured"}]}`)
	if err := SetCrashMatch(w.dir, "attach -u", CrashAtStart); err != nil {
		t.Fatal(err)
	}
	daemon := exec.Command("sh", "-c", "zoneadm -z web01 attach -u; echo survived; sleep 30")
	daemon.Env = w.env()
	out, err := daemon.Output()
	if !killedBySIGKILL(err) || strings.Contains(string(out), "survived") {
		t.Fatalf("the parent was not killed: %v %q", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(attachLog(t, string(out)), "\n"), "\n")
	progress := attachProgress(stageDone, 12)
	i := indexOf(lines, "Output follows")
	// Line j (from 1) of k is due at j/(k+1); the crash comes at 1/2.
	if got, want := lines[i+1:], progress[:(len(progress)+1)/2]; !slices.Equal(got, want) {
		t.Errorf("after the crash:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := w.state().Zone("web01").State; st != "configured" {
		t.Errorf("web01 is %s", st)
	}
}

// TestAttachLogHang: a hung attach -u has written its progress up to the
// download, and goes on hanging.
func TestAttachLogHang(t *testing.T) {
	w := newScenario(t, 1000, `{"profile": "oi", "zones": [{"name": "hang01", "state": "configured", "faults": ["hung-attach"]}]}`)
	cmd := w.start("zoneadm", "-z", "hang01", "attach", "-u")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() { cmd.Process.Kill(); <-done }()
	w.waitHanging("hang01")
	var path string
	deadline := time.Now().Add(10 * time.Second)
	for path == "" {
		m, _ := filepath.Glob(filepath.Join(w.dir, "var/tmp/hang01.attach_log.*"))
		if len(m) == 1 {
			path = m[0]
		} else if time.Now().After(deadline) {
			t.Fatal("no attach log")
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := attachProgress(stageDownloading, 12)
	for {
		lines := logLines(t, path)
		if i := indexOf(lines, "Output follows"); i >= 0 && len(lines) == i+1+len(want) {
			if !slices.Equal(lines[i+1:], want) {
				t.Fatalf("hung attach log:\n%s", strings.Join(lines, "\n"))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hung attach log:\n%s", strings.Join(lines, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the hung attach ended: %v", err)
	case <-time.After(400 * time.Millisecond): // more than the nominal 300 s at this speed
	}
	if lines := logLines(t, path); len(lines) != indexOf(lines, "Output follows")+1+len(want) {
		t.Fatalf("the hung attach wrote on:\n%s", strings.Join(lines, "\n"))
	}
}
