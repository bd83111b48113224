package sim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tool calls from many processes at once keep the world consistent: every
// call logged once with its own number, every zone where its calls left
// it, the state file whole.
func TestConcurrentTools(t *testing.T) {
	w := newWorld(t, 2000, "--fleet", "12", "--seed", "5")
	before := w.state()
	var done atomic.Bool
	var wg, readers sync.WaitGroup
	for i := range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			reads := [][]string{{"zfs", "list", "-H", "-o", "name,mountpoint"}, {"zoneadm", "list", "-cp"},
				{"pkg", "-R", "/", "publisher", "-H", "-F", "tsv"}, {"mount", "-p"}}
			for n := 0; !done.Load(); n++ {
				r := reads[(n+i)%len(reads)]
				w.ok(r[0], r[1:]...)
			}
		}()
	}
	results := make(map[string]bool)
	var mu sync.Mutex
	for _, z := range before.Zones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.toDetachedAs(z)
			w.ok("zfs", "snapshot", "-r", "rpool/zones/"+z.Name+"@pre")
			r := w.run("zoneadm", "-z", z.Name, "attach", "-u")
			mu.Lock()
			results[z.Name] = r.code == 0
			mu.Unlock()
		}()
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()

	after := w.state()
	for _, z := range before.Zones {
		a := after.Zone(z.Name)
		want := "configured"
		if results[z.Name] {
			want = "installed"
		}
		if a.State != want || len(a.Snapshots) == 0 {
			t.Errorf("%s: %s with snapshots %v, want %s", z.Name, a.State, a.Snapshots, want)
		}
		if results[z.Name] == (len(z.Troubles) > 0 || hasString(z.Faults, FaultLockedOnce)) {
			t.Errorf("%s: attach -u ok=%v with troubles %v", z.Name, results[z.Name], z.Troubles)
		}
	}
	invs, err := ReadInvocations(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, inv := range invs {
		if inv.Seq != i+1 || !inv.Ended || inv.PID == 0 {
			t.Fatalf("invocation %d: %+v", i+1, inv)
		}
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "state.json"))
	if err != nil || !json.Valid(b) {
		t.Errorf("state.json: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(w.dir, "running")); len(ents) != 0 {
		t.Errorf("%d tools still registered", len(ents))
	}
	t.Logf("%d tool calls", len(invs))
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (w *testWorld) toDetachedAs(z ZoneState) {
	w.t.Helper()
	switch z.State {
	case "running":
		w.ok("zoneadm", "-z", z.Name, "halt")
		fallthrough
	case "installed":
		w.ok("zoneadm", "-z", z.Name, "detach")
	}
}

// zoneadm's per-zone lock and pkg's image lock: a second operation on a
// busy zone is refused; a killed holder's lock is stale.
func TestOperationLocks(t *testing.T) {
	w := newScenario(t, 30, `{"zones": [{"name": "z1", "state": "configured", "troubles": ["stale-image"]}]}`)
	first := w.start("zoneadm", "-z", "z1", "attach", "-u") // fails after 2 s of its time
	w.waitStarted(1)
	w.speed = 20000
	time.Sleep(100 * time.Millisecond) // past its decision: it holds the locks
	r := w.expectCode(1, "zoneadm", "-z", "z1", "attach", "-u")
	if r.err != "zoneadm: zone 'z1': another zoneadm may have an operation in progress.\n" {
		t.Errorf("second attach: %q", r.err)
	}
	r = w.expectCode(7, "pkg", "-R", w.root("z1"), "image-update")
	if !strings.HasPrefix(r.err, "pkg: The image cannot be modified as it is currently in use by another package client: pkg on gz01, pid ") {
		t.Errorf("pkg during the attach: %q", r.err)
	}
	w.expectCode(1, "zfs", "rollback", "rpool/zones/z1/ROOT/zbe@nosuch")
	first.Process.Kill()
	first.Wait()
	// The holder is dead: its locks are stale.
	w.ok("pkg", "-R", w.root("z1"), "image-update")
	r = w.run("zoneadm", "-z", "z1", "attach", "-u")
	if r.code != 0 {
		t.Errorf("attach after the holder died: %s", r)
	}
}
