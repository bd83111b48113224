package daemon

import (
	"context"
	"path"
	"strings"
	"sync"

	"zoneup/host"
)

// jobFacts is what a job's run knows of its own zone from the calls it
// made: every call of the job passes through it (jobExec, under the Runner
// the stages use). It learns each fact from a call's result and forgets it
// with any changing call its rules do not know to leave it alone, so a new
// kind of call cannot leave a stale fact. Nothing is known when a run
// starts: a resumed job looks at the host first.
//
//   - the zone's line: as `zoneadm -z ZONE list -p` gave it, or as a halt,
//     boot, detach or attach that succeeded left it (a failed attach -u
//     leaves the zone configured, reference 2.3); any other zoneadm
//     change, or a failed or killed one, forgets it;
//   - the zone BE mounted on the zone root: seen in `mount -p`, mounted by
//     `mount -F zfs ZBE ROOT`, or left mounted by the brand's detach
//     (reference 3.3); attach, halt, umount of the root and zfs changes
//     other than a snapshot forget it;
//   - a sparse zone's overlays mounted: told by ensureImage once it has
//     mounted every one (no single call shows it); attach -u and any
//     mount, umount or zfs change other than a snapshot forget it;
//   - whether the job's snapshot exists: from `zfs list -t snapshot NAME`,
//     the zonepath dataset's tree listing, or a `zfs snapshot -r` of it;
//     a zfs destroy forgets it;
//   - the zone image's entire version: from `pkg -R ROOT list -H entire`,
//     or told by the attach stage from the "Non-Global zone version:" line
//     of an attach -u that failed before it changed any package; a pkg
//     change of the zone's image other than its publishers' (set-publisher,
//     unset-publisher, refresh), an attach, a zfs change other than a
//     snapshot, and a mount of anything but the zone BE on the zone root
//     forget it.
//
// pkg changes only the image's packages and publishers: it leaves every
// other one of these alone. A nil jobFacts knows nothing.
type jobFacts struct {
	jobID string
	// names gives the zone, the zone root, the zone BE and the zonepath
	// dataset as the job records them now (preflight learns them).
	names func() (zone, root, zbe, ds string)

	mu          sync.Mutex
	zone        *host.Zone
	rootMounted bool
	overlays    bool
	snapshot    int8   // 0 unknown, 1 exists, -1 does not
	entire      string // the zone image's entire version, "" unknown
}

// zoneEntire is the zone image's entire version, when a call of this run
// showed it (ok false: ask).
func (f *jobFacts) zoneEntire() (string, bool) {
	if f == nil {
		return "", false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entire, f.entire != ""
}

// sawZoneEntire is the attach stage's word: the attach -u it just ran
// printed the zone's entire version and failed before it changed anything.
func (f *jobFacts) sawZoneEntire(v string) {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.entire = v
	f.mu.Unlock()
}

// zoneLine is the zone as the run last saw or left it (ok false: unknown).
func (f *jobFacts) zoneLine() (host.Zone, bool) {
	if f == nil {
		return host.Zone{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.zone == nil {
		return host.Zone{}, false
	}
	return *f.zone, true
}

func (f *jobFacts) root() bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rootMounted
}

func (f *jobFacts) overlaysMounted() bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.overlays
}

// snapshotKnown says whether the job's snapshot exists, when a call of this
// run showed it (known false: ask).
func (f *jobFacts) snapshotKnown() (exists, known bool) {
	if f == nil {
		return false, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshot > 0, f.snapshot != 0
}

// mountedOverlays is ensureImage's word that every overlay is mounted.
func (f *jobFacts) mountedOverlays() {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.overlays = true
	f.mu.Unlock()
}

func (f *jobFacts) forgetAll() {
	f.zone, f.rootMounted, f.overlays, f.snapshot, f.entire = nil, false, false, 0, ""
}

// snapOf is the job's snapshot of the zonepath dataset ds.
func (f *jobFacts) snapOf(ds string) string { return ds + "@zoneup-" + f.jobID }

// observe learns from one call of the job, or forgets.
func (f *jobFacts) observe(change bool, argv []string, res host.Result) {
	zone, root, zbe, ds := f.names()
	ok := res.Code == 0 && res.Err == nil
	f.mu.Lock()
	defer f.mu.Unlock()
	if !change {
		f.read(argv, res, ok, zone, root, zbe, ds)
		return
	}
	switch tool(argv) {
	case "pkg":
		if onImage(argv, root) && !publishersOnly(argv) {
			f.entire = ""
		}
	case "zoneadm":
		f.entire = "" // an attach updates the zone; the stage tells what it saw
		f.zoneadm(argv, res, ok, zone)
	case "zfs":
		if len(argv) > 2 && argv[1] == "snapshot" {
			if ds != "" && argv[len(argv)-1] == f.snapOf(ds) {
				if ok {
					f.snapshot = 1
				} else {
					f.snapshot = 0 // it may exist already: ask
				}
			}
			return
		}
		f.rootMounted, f.overlays, f.entire = false, false, ""
		if len(argv) > 1 && argv[1] == "destroy" {
			f.snapshot = 0
		}
	case "mount":
		f.overlays = false
		if n := len(argv); n >= 3 && path.Clean(argv[n-1]) == path.Clean(root) && argv[n-2] == zbe {
			if ok {
				f.rootMounted = true
			}
		} else {
			f.entire = "" // something else may now be seen at the zone root
		}
	case "umount":
		f.overlays = false
		if len(argv) > 1 && path.Clean(argv[len(argv)-1]) == path.Clean(root) {
			f.rootMounted = false
		}
	default:
		f.forgetAll()
	}
}

// read learns from a question.
func (f *jobFacts) read(argv []string, res host.Result, ok bool, zone, root, zbe, ds string) {
	switch t := tool(argv); {
	case t == "zoneadm" && len(argv) == 5 && argv[1] == "-z" && argv[2] == zone && argv[3] == "list":
		f.zone = nil
		if ok {
			if zs, err := host.ParseZoneList(string(res.Stdout)); err == nil && len(zs) == 1 && zs[0].Name == zone {
				f.zone = &zs[0]
			}
		}
	case t == "pkg" && ok && onImage(argv, root) && len(argv) == 6 && argv[3] == "list" && argv[4] == "-H" && argv[5] == "entire":
		if pkgs, err := host.ParsePkgList(string(res.Stdout)); err == nil && len(pkgs) == 1 && pkgs[0].Stem == "entire" {
			f.entire = pkgs[0].Version
		}
	case t == "mount" && len(argv) == 2 && argv[1] == "-p" && ok && root != "" && zbe != "":
		if ms, err := host.ParseMountP(string(res.Stdout)); err == nil {
			m, on := mountedOn(ms, root)
			f.rootMounted = on && m.FSType == "zfs" && m.Special == zbe
		}
	case t == "zfs" && len(argv) > 2 && argv[1] == "list" && flagValue(argv, "-t") != "":
		types, last := flagValue(argv, "-t"), argv[len(argv)-1]
		switch {
		case types == "snapshot" && ds != "" && last == f.snapOf(ds) && !hasFlag(argv, "-r"):
			switch {
			case ok:
				f.snapshot = 1
			case res.Code == 1 && strings.Contains(string(res.Stderr), "dataset does not exist"):
				f.snapshot = -1
			}
		case types == "filesystem,snapshot" && hasFlag(argv, "-r") && ok:
			rows, err := host.ParseBEDatasets(string(res.Stdout))
			if err != nil {
				return
			}
			f.snapshot = -1
			for _, r := range rows {
				if r.Name == f.snapOf(last) {
					f.snapshot = 1
				}
			}
		}
	}
}

// zoneadm learns from a zoneadm change: the state a successful halt, boot,
// detach or attach leaves.
func (f *jobFacts) zoneadm(argv []string, res host.Result, ok bool, zone string) {
	if len(argv) < 4 || argv[1] != "-z" || argv[2] != zone {
		f.forgetAll()
		return
	}
	state := ""
	switch argv[3] {
	case "halt":
		state, f.rootMounted = host.StateInstalled, false
	case "boot":
		state = host.StateRunning
	case "detach":
		// The brand's detach mounts the zone BE on the zone root through
		// its mountpoint (reference 3.3 step 3).
		state, f.rootMounted = host.StateConfigured, ok
	case "attach":
		f.rootMounted, f.overlays = false, false
		state = host.StateInstalled
		if !ok && res.Code > 0 {
			ok, state = true, host.StateConfigured // a failed attach leaves it detached
		}
	default:
		f.forgetAll()
		return
	}
	if !ok || f.zone == nil {
		f.zone = nil
		return
	}
	f.zone.State = state
}

// onImage: a pkg call on the image at root (pkg -R ROOT ...).
func onImage(argv []string, root string) bool {
	return root != "" && len(argv) > 3 && argv[1] == "-R" && path.Clean(argv[2]) == path.Clean(root)
}

// publishersOnly: a pkg subcommand that changes an image's publishers or
// catalogs, never its packages.
func publishersOnly(argv []string) bool {
	switch argv[3] {
	case "set-publisher", "unset-publisher", "refresh":
		return true
	}
	return false
}

// flagValue is the value of flag in argv ("" when absent).
func flagValue(argv []string, flag string) string {
	for i := 1; i+1 < len(argv); i++ {
		if argv[i] == flag {
			return argv[i+1]
		}
	}
	return ""
}

func hasFlag(argv []string, flag string) bool {
	for _, a := range argv[1:] {
		if a == flag {
			return true
		}
	}
	return false
}

// jobExec passes a job's calls to inner and shows each to its facts.
type jobExec struct {
	facts *jobFacts
	inner host.Executor
}

func (x jobExec) Run(ctx context.Context, change bool, argv ...string) host.Result {
	res := x.inner.Run(ctx, change, argv...)
	x.facts.observe(change, argv, res)
	return res
}

func (x jobExec) RunInput(ctx context.Context, change bool, stdin []byte, argv ...string) host.Result {
	in, ok := x.inner.(host.InputExecutor)
	if !ok {
		return host.Result{Argv: argv, Code: -1}
	}
	res := in.RunInput(ctx, change, stdin, argv...)
	x.facts.observe(change, argv, res)
	return res
}
