package daemon

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"zoneup/host"
)

// hostFacts keeps, for a short while, what the host said to a read-only
// question about the host as a whole (its boot environments, the global
// zone's entire and publishers, the dataset and mount tables), so that a
// night of many jobs asks each of them once, not once per job, and jobs
// that ask while it is being read wait for that read (the zone
// list is not kept: an administrator may configure a zone and enqueue it
// at once). On a real host every pkg run costs about a second before it does
// anything. A fact is forgotten when its age passes and whenever a call
// that changes the host in a way that could change it runs (before it
// starts and again when it ends), whichever job makes it; a read that
// overlapped such a change is not kept. Per-zone questions are never
// kept here: the stages ask them when they need them.
type hostFacts struct {
	mu sync.Mutex
	// gen counts, per rule (by its first argv), the changes that forget
	// its facts: a read during which its count moved is not kept.
	gen   map[string]uint64
	facts map[string]fact
	// asking are the fact reads under way: a job that needs one waits for
	// its answer rather than running the same tool beside it (at the
	// start of a night every job asks for the boot environments and the
	// dataset table at once).
	asking map[string]*asking
	now    func() time.Time
}

// asking is one fact read under way. res is set, and shared when ok,
// before done is closed.
type asking struct {
	gen  uint64
	done chan struct{}
	res  host.Result
	ok   bool // exit 0, and no change that forgets it ran meanwhile
}

type fact struct {
	res host.Result
	at  time.Time
	ttl time.Duration
}

func newHostFacts(now func() time.Time) *hostFacts {
	return &hostFacts{gen: map[string]uint64{}, facts: map[string]fact{}, asking: map[string]*asking{}, now: now}
}

// factRule says which reads are facts, for how long, and which changes
// forget them.
type factRule struct {
	argv    []string
	ttl     time.Duration
	forgets func(change []string) bool
}

func tool(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	i := strings.LastIndexByte(argv[0], '/')
	return argv[0][i+1:]
}

// changesGlobalImage: pkg on the global zone's image.
func changesGlobalImage(c []string) bool {
	return tool(c) == "pkg" && len(c) > 2 && c[1] == "-R" && c[2] == "/"
}

// changesMounts: a call that may mount, unmount or change datasets (a
// brand hook mounts the zone BE and its overlays).
func changesMounts(c []string) bool {
	t := tool(c)
	return t == "zfs" || t == "zoneadm" || t == "mount" || t == "umount"
}

// changesZonepathMounts: a call that may change which filesystem is
// mounted at a zonepath, the one question the dataset table answers
// (DatasetAt): creating, destroying, renaming or receiving datasets,
// setting or inheriting a mountpoint or canmount, mounting and unmounting,
// and installing, uninstalling, moving or cloning a zone. A zone's attach,
// detach, halt and boot mount and unmount its zone BE at ZONEROOT, never
// at a zonepath; snapshots, rollbacks (properties are not rolled back, and
// a rolled-back filesystem is mounted again where it was) and pkg do not
// move mountpoints.
func changesZonepathMounts(c []string) bool {
	switch tool(c) {
	case "mount", "umount":
		return true
	case "zfs":
		if len(c) < 2 {
			return true
		}
		switch c[1] {
		case "snapshot", "rollback", "hold", "release":
			return false
		case "set", "inherit":
			for _, a := range c[2:] {
				if strings.HasPrefix(a, "mountpoint") || strings.HasPrefix(a, "canmount") {
					return true
				}
			}
			return false
		}
		return true
	case "zoneadm":
		for i, a := range c {
			if i > 0 && c[i-1] == "-z" {
				continue
			}
			switch a {
			case "attach", "detach", "halt", "boot", "reboot", "ready", "shutdown", "list", "verify":
				return false
			}
		}
		return true
	}
	return false
}

var factRules = []factRule{
	// zoneup never changes the global zone's boot environments or its
	// installed packages.
	{[]string{"beadm", "list", "-H"}, 10 * time.Minute, func(c []string) bool { return tool(c) == "beadm" }},
	{[]string{"pkg", "-R", "/", "list", "-H", "entire"}, 10 * time.Minute, changesGlobalImage},
	// The global publishers change with zoneup's own strip and restore.
	{[]string{"pkg", "-R", "/", "publisher", "-H", "-F", "tsv"}, 10 * time.Minute, changesGlobalImage},
	// The dataset table is asked which filesystem is mounted at a
	// zonepath (DatasetAt); the mount table what is mounted at a zone
	// root, which every attach and detach changes.
	{[]string{"zfs", "list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted"}, 30 * time.Second, changesZonepathMounts},
	{[]string{"mount", "-p"}, 30 * time.Second, changesMounts},
}

func ruleFor(argv []string) *factRule {
	for i := range factRules {
		r := &factRules[i]
		if len(argv) == len(r.argv) && tool(argv) == r.argv[0] && slices.Equal(argv[1:], r.argv[1:]) {
			return r
		}
	}
	return nil
}

// pkgPublisherInfo: `pkg -R / publisher NAME`, a fact with the tsv's rule.
func pkgPublisherInfo(argv []string) bool {
	return len(argv) == 5 && tool(argv) == "pkg" && argv[1] == "-R" && argv[2] == "/" && argv[3] == "publisher" &&
		!strings.HasPrefix(argv[4], "-")
}

// genKey names the rule of a fact's argv for hostFacts.gen; a global
// publisher's details go with the publisher list.
func genKey(argv []string) string {
	if r := ruleFor(argv); r != nil {
		return strings.Join(r.argv, " ")
	}
	return "pkg publisher"
}

// forgets says whether change makes the fact of argv stale.
func forgets(argv, change []string) bool {
	if r := ruleFor(argv); r != nil {
		return r.forgets(change)
	}
	return changesGlobalImage(change) // a global publisher's details
}

// forget drops the facts a change could make stale.
func (h *hostFacts) forget(change []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range factRules {
		if r := &factRules[i]; r.forgets(change) {
			h.gen[genKey(r.argv)]++
		}
	}
	if changesGlobalImage(change) {
		h.gen["pkg publisher"]++
	}
	for k := range h.facts {
		if forgets(strings.Split(k, "\x00"), change) {
			delete(h.facts, k)
		}
	}
}

// factExec asks the host through inner, answering the host-wide reads it
// knows from hostFacts.
type factExec struct {
	facts *hostFacts
	inner host.Executor
}

func (x factExec) Run(ctx context.Context, change bool, argv ...string) host.Result {
	if change {
		x.facts.forget(argv)
		res := x.inner.Run(ctx, change, argv...)
		x.facts.forget(argv)
		return res
	}
	ttl := time.Duration(0)
	if r := ruleFor(argv); r != nil {
		ttl = r.ttl
	} else if pkgPublisherInfo(argv) {
		ttl = 10 * time.Minute
	}
	if ttl == 0 {
		return x.inner.Run(ctx, change, argv...)
	}
	key := strings.Join(argv, "\x00")
	h := x.facts
	gk := genKey(argv)
	h.mu.Lock()
	gen := h.gen[gk]
	if f, ok := h.facts[key]; ok && h.now().Sub(f.at) < f.ttl {
		h.mu.Unlock()
		return f.res
	}
	if a := h.asking[key]; a != nil && a.gen == gen {
		h.mu.Unlock()
		select {
		case <-a.done:
			if a.ok {
				return a.res
			}
		case <-ctx.Done():
		}
		// It failed, a change overtook it, or this job is stopping: the
		// job asks itself, as it would have.
		return x.inner.Run(ctx, change, argv...)
	}
	a := &asking{gen: gen, done: make(chan struct{})}
	h.asking[key] = a
	h.mu.Unlock()

	res := x.inner.Run(ctx, change, argv...)
	h.mu.Lock()
	// Kept only if no change that forgets it ran meanwhile.
	a.res, a.ok = res, res.Code == 0 && res.Err == nil && h.gen[gk] == gen
	if a.ok {
		h.facts[key] = fact{res: res, at: h.now(), ttl: ttl}
	}
	if h.asking[key] == a {
		delete(h.asking, key)
	}
	close(a.done)
	h.mu.Unlock()
	return res
}

// RunInput passes a tool's input on (nothing with input is a fact).
func (x factExec) RunInput(ctx context.Context, change bool, stdin []byte, argv ...string) host.Result {
	if in, ok := x.inner.(host.InputExecutor); ok {
		if change {
			x.facts.forget(argv)
			defer x.facts.forget(argv)
		}
		return in.RunInput(ctx, change, stdin, argv...)
	}
	return host.Result{Argv: argv, Code: -1}
}
