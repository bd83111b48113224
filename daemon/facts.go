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
// night of many jobs asks each of them once, not once per job (the zone
// list is not kept: an administrator may configure a zone and enqueue it
// at once). On a real host every pkg run costs about a second before it does
// anything. A fact is forgotten when its age passes and whenever a call
// that changes the host in a way that could change it runs (before it
// starts and again when it ends), whichever job makes it; a read that
// overlapped such a change is not kept. Per-zone questions are never
// kept here: the stages ask them when they need them.
type hostFacts struct {
	mu    sync.Mutex
	gen   uint64 // bumped by every change that forgets facts
	facts map[string]fact
	now   func() time.Time
}

type fact struct {
	res host.Result
	at  time.Time
	ttl time.Duration
}

func newHostFacts(now func() time.Time) *hostFacts {
	return &hostFacts{facts: map[string]fact{}, now: now}
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

var factRules = []factRule{
	// zoneup never changes the global zone's boot environments or its
	// installed packages.
	{[]string{"beadm", "list", "-H"}, 10 * time.Minute, func(c []string) bool { return tool(c) == "beadm" }},
	{[]string{"pkg", "-R", "/", "list", "-H", "entire"}, 10 * time.Minute, changesGlobalImage},
	// The global publishers change with zoneup's own strip and restore.
	{[]string{"pkg", "-R", "/", "publisher", "-H", "-F", "tsv"}, 10 * time.Minute, changesGlobalImage},
	// Datasets, mounts and zone states change with many calls.
	{[]string{"zfs", "list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted"}, 30 * time.Second, changesMounts},
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

// forget drops the facts a change could make stale.
func (h *hostFacts) forget(change []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	for k := range h.facts {
		argv := strings.Split(k, "\x00")
		if r := ruleFor(argv); (r != nil && r.forgets(change)) || (r == nil && changesGlobalImage(change)) {
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
	h.mu.Lock()
	f, ok := h.facts[key]
	gen := h.gen
	h.mu.Unlock()
	if ok && h.now().Sub(f.at) < f.ttl {
		return f.res
	}
	res := x.inner.Run(ctx, change, argv...)
	if res.Code == 0 && res.Err == nil {
		h.mu.Lock()
		if h.gen == gen { // no change ran meanwhile
			h.facts[key] = fact{res: res, at: h.now(), ttl: ttl}
		}
		h.mu.Unlock()
	}
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
