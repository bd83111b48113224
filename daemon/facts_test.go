package daemon

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"zoneup/host"
)

// countExec answers every call with exit 0 and counts them.
type countExec struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countExec) Run(_ context.Context, _ bool, argv ...string) host.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[strings.Join(argv, " ")]++
	return host.Result{Argv: argv, Stdout: []byte("x\n")}
}

func (c *countExec) n(cmd string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[cmd]
}

// A host-wide read is asked once while nothing changes it, asked again
// after a change that could change it or when its age has passed; other
// changes and per-zone reads leave it alone.
func TestHostFacts(t *testing.T) {
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	c := &clock{t: now}
	inner := &countExec{}
	x := factExec{facts: newHostFacts(c.now), inner: inner}
	ctx := context.Background()
	ask := func(argv ...string) { x.Run(ctx, false, argv...) }
	change := func(argv ...string) { x.Run(ctx, true, argv...) }

	for range 3 {
		ask("beadm", "list", "-H")
		ask("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
		ask("pkg", "-R", "/", "publisher", "extra")
		ask("mount", "-p")
		ask("zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", "rpool/zones/z1")
	}
	if inner.n("beadm list -H") != 1 || inner.n("pkg -R / publisher -H -F tsv") != 1 || inner.n("pkg -R / publisher extra") != 1 || inner.n("mount -p") != 1 {
		t.Fatalf("facts asked again: %v", inner.calls)
	}
	if inner.n("zfs list -H -t snapshot -o name -r rpool/zones/z1") != 3 {
		t.Fatalf("a per-zone read was kept: %v", inner.calls)
	}
	change("pkg", "-R", "/zones/z1/root", "unset-publisher", "contrib") // a zone's image: the global zone's facts stay
	ask("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	if inner.n("pkg -R / publisher -H -F tsv") != 1 {
		t.Errorf("a zone image's change made the global publishers be asked again")
	}
	change("pkg", "-R", "/", "unset-publisher", "extra")
	ask("pkg", "-R", "/", "publisher", "-H", "-F", "tsv")
	ask("pkg", "-R", "/", "publisher", "extra")
	ask("beadm", "list", "-H")
	if inner.n("pkg -R / publisher -H -F tsv") != 2 || inner.n("pkg -R / publisher extra") != 2 || inner.n("beadm list -H") != 1 {
		t.Errorf("after a global publisher change: %v", inner.calls)
	}
	change("zoneadm", "-z", "z1", "attach", "-u")
	ask("mount", "-p")
	if inner.n("mount -p") != 2 {
		t.Errorf("mount -p kept across an attach: %v", inner.calls)
	}
	// The dataset table answers which filesystem is mounted at a
	// zonepath: an attach, a snapshot or a rollback leave that alone; a
	// mount, a mountpoint change or a destroy do not.
	fsTable := []string{"zfs", "list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted"}
	fsAsked := func() int { return inner.n(strings.Join(fsTable, " ")) }
	ask(fsTable...)
	for _, ch := range [][]string{
		{"zoneadm", "-z", "z1", "detach"},
		{"zoneadm", "-z", "z1", "attach", "-u"},
		{"zoneadm", "-z", "install", "boot"}, // a zone named install
		{"zfs", "snapshot", "-r", "rpool/zones/z1@zoneup-1"},
		{"zfs", "rollback", "-r", "rpool/zones/z1/ROOT/zbe@zoneup-1"},
		{"zfs", "set", "zoned=off", "rpool/zones/z1/ROOT/zbe"},
		{"pkg", "-R", "/zones/z1/root", "image-update"},
	} {
		change(ch...)
		ask(fsTable...)
		if fsAsked() != 1 {
			t.Fatalf("the dataset table was asked again after %v", ch)
		}
	}
	for i, ch := range [][]string{
		{"mount", "-F", "zfs", "rpool/zones/z1/ROOT/zbe", "/zones/z1/root"},
		{"umount", "/zones/z1/root"},
		{"zfs", "set", "mountpoint=/zones/z1/root/lib/svc", "rpool/zones/z1/ROOT/zbe/svc"},
		{"zfs", "mount", "-O", "rpool/zones/z1/ROOT/zbe/svc"},
		{"zfs", "destroy", "rpool/zones/z1/ROOT/zbe-1"},
		{"zoneadm", "-z", "z1", "uninstall", "-F"},
	} {
		change(ch...)
		ask(fsTable...)
		if fsAsked() != i+2 {
			t.Fatalf("the dataset table was kept across %v", ch)
		}
	}
	c.set(now.Add(11 * time.Minute))
	ask("beadm", "list", "-H")
	if inner.n("beadm list -H") != 2 {
		t.Errorf("beadm list kept past its age")
	}
}

// gateExec holds every call of argv[0] == tool until release is closed,
// telling started of each one first; other calls answer at once.
type gateExec struct {
	countExec
	tool    string
	started chan string
	release chan struct{}
	code    int
}

func (g *gateExec) Run(ctx context.Context, change bool, argv ...string) host.Result {
	res := g.countExec.Run(ctx, change, argv...)
	if argv[0] == g.tool && !change {
		g.started <- strings.Join(argv, " ")
		<-g.release
		res.Code = g.code
	}
	return res
}

// Jobs that ask for the same fact while it is being read wait for that
// read instead of running the tool beside it; when it fails, or a change
// that forgets it ran meanwhile, each asks itself.
func TestHostFactsAskedOnceAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     int
		overtake bool
		want     int // beadm runs
	}{
		{"shared", 0, false, 1},
		{"failed", 1, false, 4},
		{"overtaken by a change", 0, true, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := &gateExec{tool: "beadm", started: make(chan string, 8), release: make(chan struct{}), code: tc.code}
				x := factExec{facts: newHostFacts(time.Now), inner: g}
				ctx := context.Background()
				var wg sync.WaitGroup
				results := make(chan host.Result, 4)
				ask := func() {
					wg.Add(1)
					go func() { defer wg.Done(); results <- x.Run(ctx, false, "beadm", "list", "-H") }()
				}
				ask()
				<-g.started // the first read is under way
				ask()
				ask()
				ask()
				synctest.Wait() // the three wait for it
				if n := g.n("beadm list -H"); n != 1 {
					t.Fatalf("%d runs while the first read was under way", n)
				}
				if tc.overtake {
					x.Run(ctx, true, "beadm", "activate", "other")
				}
				close(g.release)
				wg.Wait()
				close(results)
				for res := range results {
					if string(res.Stdout) != "x\n" {
						t.Errorf("a job got %q", res.Stdout)
					}
				}
				if n := g.n("beadm list -H"); n != tc.want {
					t.Errorf("beadm list -H ran %d times, want %d", n, tc.want)
				}
			})
		})
	}
}
