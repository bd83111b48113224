package persist

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The child process side of the multi-process tests: the test binary runs
// itself with -test.run=^TestChild$ and these variables set.
const (
	envChild = "ZONEUP_PERSIST_CHILD" // what the child does
	envDB    = "ZONEUP_PERSIST_DB"    // the database path
)

// TestChild is not a test: it is the body of the child processes.
func TestChild(t *testing.T) {
	mode, path := os.Getenv(envChild), os.Getenv(envDB)
	switch mode {
	case "":
		t.Skip("only runs as a child of another test")
	case "open", "open-ro":
		start := time.Now()
		d, err := Open(path, Options{Timeout: 300 * time.Millisecond, ReadOnly: mode == "open-ro"})
		took := time.Since(start).Milliseconds()
		switch {
		case errors.Is(err, ErrLocked):
			fmt.Printf("locked %d %s\n", took, err)
		case err != nil:
			fmt.Printf("error %d %s\n", took, err)
		default:
			d.Close()
			fmt.Printf("opened %d\n", took)
		}
	case "open-check":
		d, err := Open(path, Options{})
		if err == nil {
			err = d.Check()
			d.Close()
		}
		fmt.Printf("corrupt=%v %v\n", errors.Is(err, ErrCorrupt), err)
	case "putloop":
		putLoop(path)
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
}

// putLoop checkpoints jobs as the daemon does (each job three times, a
// log line with each) and reports "id step" once each PutJob returned,
// until it is killed.
func putLoop(path string) {
	d, err := Open(path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	base := 0
	d.ForEachJob(func(*Job) error { base++; return nil }) // a later round goes on numbering
	for n := base; ; n++ {
		j := crashJob(n)
		for step := 1; step <= 3; step++ {
			j.Attempt = step
			j.State = []string{"", "queued", "attach", "done"}[step]
			if err := d.PutJob(j); err != nil {
				fmt.Println("put:", err)
				os.Exit(2)
			}
			if err := d.AppendLog(j.ID, LogEntry{Kind: "event", Text: strings.Repeat("x", 200)}); err != nil {
				fmt.Println("log:", err)
				os.Exit(2)
			}
			fmt.Printf("%s %d\n", j.ID, step)
		}
	}
}

func crashJob(n int) *Job {
	id := fmt.Sprintf("20250301T%06dZ-crash", n)
	j := &Job{ID: id, Zone: fmt.Sprintf("zone%d", n%7), Enqueued: time.Unix(int64(n), 0).UTC(),
		Snapshot: "rpool/zones/z@zoneup-" + id}
	for i := range 12 {
		j.History = append(j.History, Step{Stage: "attach", Rung: "image-update", Started: time.Unix(int64(n+i), 0).UTC(), Outcome: "ok"})
	}
	return j
}

// child starts the test binary as a child process in mode on path.
func child(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envDB+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// runChild runs a child to its end and returns the first line it printed.
func runChild(t *testing.T, mode, path string) string {
	t.Helper()
	out, err := child(t, mode, path).Output()
	if err != nil {
		t.Fatalf("child %s: %v\n%s", mode, err, out)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return line
}

func openT(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenCreatesPrivateDirectoryAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "var", "zoneup", "zoneup.db")
	d := openT(t, path)
	for p, want := range map[string]fs.FileMode{filepath.Dir(path): 0o700, filepath.Dir(filepath.Dir(path)): 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
}

// An empty file is somebody's: refused, never initialised over (zoneupd
// makes a new database whole before it has its name).
func TestOpenRefusesEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("open of an empty file: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("the empty file was touched: %v %v", st, err)
	}
}

// A new database leaves no .new file behind; one readable by others is
// made 0600, and Open says what it was.
func TestOpenCreatesWholeAndFixesTheMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	d := openT(t, path)
	if _, err := os.Stat(path + ".new"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s.new left: %v", path, err)
	}
	d.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	d2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 || d2.ModeWas != 0o644 {
		t.Fatalf("mode %v, ModeWas %v", st.Mode().Perm(), d2.ModeWas)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []*Job
	for n := range 200 {
		j := crashJob(n)
		j.State = "done"
		if n%50 == 0 {
			j.State = "snapshot"
		}
		want = append(want, j)
		if err := d.PutJob(j); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AppendLog(want[3].ID, LogEntry{Kind: "tool", Text: "$ zoneadm -z zone3 attach -u"}, LogEntry{Kind: "stdout", Text: "done"}); err != nil {
		t.Fatal(err)
	}
	g := &GlobalRecord{Original: []Publisher{{Name: "solaris", Origins: []string{"http://pkg/"}, Enabled: true}}, Stripped: true, Holders: []string{want[0].ID}}
	if err := d.PutGlobal(g); err != nil {
		t.Fatal(err)
	}
	if err := d.PutQueue(QueueState{Paused: true, Reason: "operator"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d = openT(t, path)
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	var got []*Job
	if err := d.ForEachJob(func(j *Job) error { got = append(got, j); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d jobs after reopen, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].State != want[i].State || len(got[i].History) != 12 {
			t.Fatalf("job %d after reopen = %+v", i, got[i])
		}
	}
	active, err := d.ActiveJobs()
	if err != nil || len(active) != 4 || active[0].ID != want[0].ID {
		t.Errorf("ActiveJobs after reopen = %d jobs, %v", len(active), err)
	}
	newest := ""
	for _, j := range want {
		if j.Zone == "zone3" {
			newest = j.ID
		}
	}
	if l, err := d.LatestJob("zone3"); err != nil || l.ID != newest {
		t.Errorf("LatestJob(zone3) = %v, %v; want %s", l, err, newest)
	}
	if logs, err := d.Logs(want[3].ID, 0); err != nil || len(logs) != 2 || logs[1].Seq != 2 {
		t.Errorf("Logs after reopen = %+v, %v", logs, err)
	}
	if err := d.AppendLog(want[3].ID, LogEntry{Text: "more"}); err != nil {
		t.Fatal(err)
	}
	if logs, _ := d.Logs(want[3].ID, 2); len(logs) != 1 || logs[0].Seq != 3 {
		t.Errorf("numbering does not go on after reopen: %+v", logs)
	}
	if gg, err := d.Global(); err != nil || gg == nil || !gg.Stripped || gg.Holders[0] != want[0].ID {
		t.Errorf("Global after reopen = %+v, %v", gg, err)
	}
	if q, err := d.Queue(); err != nil || q != (QueueState{Paused: true, Reason: "operator"}) {
		t.Errorf("Queue after reopen = %+v, %v", q, err)
	}
}

func TestSecondOpenInSameProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zoneup.db")
	d := openT(t, path)
	// Also through another spelling of the same path.
	for _, p := range []string{path, filepath.Join(dir, ".", "zoneup.db")} {
		start := time.Now()
		_, err := Open(p, Options{Timeout: time.Minute})
		if !errors.Is(err, ErrLocked) || time.Since(start) > 10*time.Second {
			t.Errorf("second Open(%s) = %v after %v, want ErrLocked at once", p, err, time.Since(start))
		}
	}
	// The first handle still works, and after Close the path opens again.
	if err := d.PutJob(crashJob(1)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	openT(t, path)
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	d := openT(t, path)
	for _, mode := range []string{"open", "open-ro"} { // a read-only open conflicts too
		line := runChild(t, mode, path)
		var took int
		var msg string
		if _, err := fmt.Sscanf(line, "locked %d", &took); err != nil {
			t.Fatalf("child %s: %q, want locked", mode, line)
		}
		msg = line
		if took < 250 || took > 5000 {
			t.Errorf("child %s gave up after %d ms, want about the 300 ms timeout", mode, took)
		}
		if !strings.Contains(msg, "another zoneupd holds "+path+"; stop it first") {
			t.Errorf("child %s message %q does not name the file and what to do", mode, msg)
		}
	}
	d.Close()
	if line := runChild(t, "open", path); !strings.HasPrefix(line, "opened") {
		t.Errorf("after Close, child: %q, want opened", line)
	}
}

// snapshotDir returns every file in dir with its content and mode.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		info, _ := e.Info()
		out[e.Name()] = fmt.Sprintf("%v %x", info.Mode(), b)
	}
	return out
}

// validDB returns the bytes of a zoneup database holding a few jobs,
// after change (if any) ran on it through raw bbolt.
func validDB(t *testing.T, change func(tx *bolt.Tx) error) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "valid.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for n := range 20 {
		if err := d.PutJob(crashJob(n)); err != nil {
			t.Fatal(err)
		}
	}
	if change != nil {
		if err := d.db.Update(change); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCorruptFilesAreLeftUntouched(t *testing.T) {
	random := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	const pageSize = 16 << 10
	tornMetas := validDB(t, nil)
	for _, off := range []int{64, pageSize + 64} { // inside both meta pages
		tornMetas[off] ^= 0xff
	}
	foreign := func() []byte {
		path := filepath.Join(t.TempDir(), "foreign.db")
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err })
		db.Close()
		b, _ := os.ReadFile(path)
		return b
	}()
	setSchema := func(v string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte(v)) }
	}
	cases := []struct {
		name    string
		content []byte
		says    string // in the error
	}{
		{"text", bytes.Repeat([]byte("this is not a database\n"), 5000), "invalid database"},
		{"random", random, ""},
		{"zeros", make([]byte, 32<<10), ""},
		{"truncated", validDB(t, nil)[:8<<10], ""},
		{"torn metas", tornMetas, ""},
		{"foreign bbolt file", foreign, "not a zoneup database"},
		{"newer schema", validDB(t, setSchema("99")), "schema 99 is newer than this zoneupd knows (1)"},
		{"unreadable schema", validDB(t, setSchema("one")), `bad schema version "one"`},
		{"missing bucket", validDB(t, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketActive) }), "bucket active is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "zoneup.db")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshotDir(t, dir)
			d, err := Open(path, Options{})
			if err == nil {
				d.Close()
				t.Fatal("Open accepted it")
			}
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrLocked) {
				t.Errorf("Open = %v, want ErrCorrupt", err)
			}
			for _, want := range []string{path, tc.says, "move it aside", "bbolt check " + path} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			if after := snapshotDir(t, dir); !maps2Equal(before, after) {
				t.Errorf("the directory changed: before %d files, after %d (or content changed)", len(before), len(after))
			}
			// And once more, as a restarting service would.
			if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
				t.Errorf("second Open = %v", err)
			}
			if after := snapshotDir(t, dir); !maps2Equal(before, after) {
				t.Error("the directory changed on the second Open")
			}
		})
	}
}

func maps2Equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDamagedPagesAreLeftUntouched overwrites data pages. bbolt may
// notice at open, in Check, or crash outright on such a file, so a child
// process does the opening; whatever it does, the file must not change,
// and if it returns it must say corrupt.
func TestDamagedPagesAreLeftUntouched(t *testing.T) {
	const pageSize = 16 << 10
	for seed := range uint64(3) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			content := validDB(t, nil)
			r := rand.New(rand.NewPCG(seed, 5))
			for off := 2 * pageSize; off < len(content); off++ {
				if off%pageSize >= 16 { // keep page headers, damage content
					content[off] = byte(r.IntN(256))
				}
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "zoneup.db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			before := snapshotDir(t, dir)
			cmd := child(t, "open-check", path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if after := snapshotDir(t, dir); !maps2Equal(before, after) {
				t.Fatal("the damaged file or its directory changed")
			}
			line, _, _ := strings.Cut(string(out), "\n")
			if err != nil {
				// A panic inside bbolt's own page walk cannot be recovered.
				first, _, _ := strings.Cut(stderr.String(), "\n")
				t.Logf("child crashed (%v): %s", err, first)
			} else if !strings.HasPrefix(line, "corrupt=true") {
				t.Errorf("child: %q, want corrupt=true", line)
			}
		})
	}
}

func TestCheckFindsBrokenIndexes(t *testing.T) {
	d := openT(t, filepath.Join(t.TempDir(), "zoneup.db"))
	j := crashJob(1)
	j.State = "halt"
	if err := d.PutJob(j); err != nil {
		t.Fatal(err)
	}
	if err := d.AppendLog(j.ID, LogEntry{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	// Remove the job behind the indexes' back.
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketJobs).Delete([]byte(j.ID)) }); err != nil {
		t.Fatal(err)
	}
	err := d.Check()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Check = %v, want ErrCorrupt", err)
	}
	for _, want := range []string{"zones/zone1 names missing job", "active/" + j.ID, "logs/" + j.ID + " belongs to no job"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check message %q lacks %q", err, want)
		}
	}
	if _, err := d.LatestJob("zone1"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("LatestJob through a broken index = %v, want ErrCorrupt", err)
	}
	if _, err := d.ActiveJobs(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("ActiveJobs through a broken index = %v, want ErrCorrupt", err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zoneup.db")
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open of a missing file = %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("read-only Open created the file")
	}
	d := openT(t, path)
	if err := d.PutJob(crashJob(1)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if j, err := ro.GetJob(crashJob(1).ID); err != nil || j.Zone != "zone1" {
		t.Errorf("read-only GetJob = %v, %v", j, err)
	}
	if err := ro.PutJob(crashJob(2)); !errors.Is(err, bolt.ErrDatabaseReadOnly) {
		t.Errorf("read-only PutJob = %v", err)
	}
}

// TestKill9DuringCheckpoints kills a child that checkpoints in a loop,
// several times over on the same file, and checks that every checkpoint
// it reported is there and the file is sound.
func TestKill9DuringCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	reported := map[string]int{} // id -> last step the child reported
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 4 {
		cmd := child(t, "putloop", path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 20 + r.IntN(200) // reported checkpoints
		sc := bufio.NewScanner(stdout)
		lines := 0
		for sc.Scan() {
			id, step, ok := strings.Cut(sc.Text(), " ")
			n, err := strconv.Atoi(step)
			if !ok || err != nil {
				t.Fatalf("round %d: child said %q", round, sc.Text())
			}
			reported[id] = n
			if lines++; lines == killAfter {
				cmd.Process.Signal(syscall.SIGKILL) // mid-checkpoint, most likely
			}
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, want killed", round, err)
		}

		d, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if err := d.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ids := slices.Sorted(func(yield func(string) bool) {
			for id := range reported {
				if !yield(id) {
					return
				}
			}
		})
		for _, id := range ids {
			j, err := d.GetJob(id)
			if err != nil {
				t.Fatalf("round %d: reported job %s: %v", round, id, err)
			}
			if j.Attempt < reported[id] || len(j.History) != 12 {
				t.Fatalf("round %d: job %s at step %d, reported %d", round, id, j.Attempt, reported[id])
			}
			logs, err := d.Logs(id, 0)
			if err != nil || len(logs) < reported[id] {
				t.Fatalf("round %d: job %s has %d log lines, reported %d", round, id, len(logs), reported[id])
			}
		}
		d.Close()
	}
}
