package bench

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"zoneup/sim"
)

// NightInput is what a night left behind: the simulator's invocation log
// and what the runner knows of the zones.
type NightInput struct {
	Calls []sim.Invocation
	// Since: calls that started before are not the night's (the harness's
	// own set-up). Zero: every call.
	Since time.Time
	// Zones are the zones of the night; Running those that were running
	// before it (their downtime is measured).
	Zones, Running []string
	// Concurrency is how many zones may be worked on at once (1 for the
	// operator's script).
	Concurrency int
	// JobCalls are the "$ tool args" lines of each job's log (zoneupd
	// writes one as it starts each tool for the job). A global call that
	// names no zone is attributed to the job whose log has it. Without
	// them (the operator's script), a global call is attributed to the zone
	// whose span of zone-named calls holds its start, when exactly one does.
	JobCalls []JobCall
}

// JobCall is one tool start in a job's log.
type JobCall struct {
	Zone string
	Time time.Time
	Cmd  string // "pkg -R / publisher -H -F tsv"
}

// Span is the time from a zone's first attributed call's start to its last
// one's end.
type Span struct{ Start, End time.Time }

// Night is what one night's invocation log says.
type Night struct {
	Start, End time.Time     // first call's start, last call's end
	Makespan   time.Duration // End - Start
	Calls      int
	PkgCalls   int
	Kinds      map[string]int // calls by tool and subcommand ("pkg publisher")

	Total        time.Duration            // every call's duration, summed
	PerZone      map[string]time.Duration // a zone's tool time: its attributed calls
	ZoneCalls    map[string]int           // a zone's attributed calls
	Unattributed time.Duration            // global calls no zone claims
	// How the global calls (those naming no zone) were attributed.
	GlobalCalls, ByJobLog, BySpan, Orphans int

	Concurrency int
	Longest     time.Duration // the longest zone's tool time
	LongestZone string
	Bound       time.Duration // max(Longest, Total/Concurrency)

	// Where the slot time (Concurrency x Makespan) went besides tool calls.
	Spans    map[string]Span
	Gaps     time.Duration // inside zones' spans, outside their calls
	Idle     time.Duration // slot time no zone's span covered
	IdleTail time.Duration // the part of Idle after the last zone began

	Downtime  map[string]time.Duration // halt start to boot end, zones running before
	NotBooted []string                 // running before, halted, not booted again

	// Launch is, for each call found in a job log, the time from the
	// log line (zoneupd writes it, and persists it, before it starts the
	// tool) to the tool's start record: the persisted line, the fork and
	// exec, and the simulator's start-up before its record.
	Launch []time.Duration
}

// LaunchMean is the mean of Launch (0 when there is none), comparable
// with GapPerCall.
func (n Night) LaunchMean() time.Duration {
	if len(n.Launch) == 0 {
		return 0
	}
	var s time.Duration
	for _, d := range n.Launch {
		s += d
	}
	return s / time.Duration(len(n.Launch))
}

// Ratio is the makespan over its lower bound.
func (n Night) Ratio() float64 {
	if n.Bound <= 0 {
		return 0
	}
	return n.Makespan.Seconds() / n.Bound.Seconds()
}

// ToolTime is the time spent in calls attributed to zones.
func (n Night) ToolTime() time.Duration {
	var s time.Duration
	for _, d := range n.PerZone {
		s += d
	}
	return s
}

// GapPerCall is the mean time between a zone's consecutive calls.
func (n Night) GapPerCall() time.Duration {
	c := 0
	for _, k := range n.ZoneCalls {
		c += k
	}
	if c == 0 {
		return 0
	}
	return n.Gaps / time.Duration(c)
}

// DowntimeSeconds lists the downtimes, in seconds.
func (n Night) DowntimeSeconds() []float64 {
	var xs []float64
	for _, d := range n.Downtime {
		xs = append(xs, d.Seconds())
	}
	sort.Float64s(xs)
	return xs
}

// ZoneOf attributes a call to the zone it names: as an operand (-z ZONE,
// zlogin ZONE), its zonepath or a path under it, or one of its datasets
// (.../ZONE, .../ZONE/..., .../ZONE@snap); "" for a global call.
func ZoneOf(i sim.Invocation, zones []string) string {
	for _, a := range i.Argv {
		for _, z := range zones {
			if a == z || strings.Contains(a, "/zones/"+z+"/") || strings.HasSuffix(a, "/zones/"+z) ||
				strings.Contains(a, "/"+z+"@") || strings.Contains(a, "/"+z+"/") || strings.HasSuffix(a, "/"+z) {
				return z
			}
		}
	}
	return ""
}

// normCmd is a command line with the program's directory dropped.
func normCmd(s string) string {
	s = strings.TrimPrefix(s, "$ ")
	prog, rest, _ := strings.Cut(s, " ")
	if rest == "" {
		return filepath.Base(prog)
	}
	return filepath.Base(prog) + " " + rest
}

func callEnd(i sim.Invocation) time.Time {
	if i.Ended && !i.End.IsZero() {
		return i.End
	}
	return i.Start
}

// jobLogSlack is how far a job log's tool line may be from the call's
// start record (the daemon writes the line, then starts the program).
const jobLogSlack = 2 * time.Second

// Analyze computes a night's figures.
func Analyze(in NightInput) Night {
	n := Night{Kinds: map[string]int{}, PerZone: map[string]time.Duration{}, ZoneCalls: map[string]int{},
		Spans: map[string]Span{}, Downtime: map[string]time.Duration{}, Concurrency: max(in.Concurrency, 1)}
	var calls []sim.Invocation
	for _, c := range in.Calls {
		if !in.Since.IsZero() && c.Start.Before(in.Since) {
			continue
		}
		calls = append(calls, c)
	}
	if len(calls) == 0 {
		return n
	}
	n.Start, n.End = calls[0].Start, callEnd(calls[0])
	for _, c := range calls {
		if c.Start.Before(n.Start) {
			n.Start = c.Start
		}
		if e := callEnd(c); e.After(n.End) {
			n.End = e
		}
		n.Calls++
		if c.Tool == "pkg" {
			n.PkgCalls++
		}
		n.Kinds[c.Kind()]++
		n.Total += callEnd(c).Sub(c.Start)
	}
	n.Makespan = n.End.Sub(n.Start)

	// Zone-named calls first, then the global ones.
	owner := make([]string, len(calls))
	for k, c := range calls {
		owner[k] = ZoneOf(c, in.Zones)
	}
	named := map[string]Span{}
	for k, c := range calls {
		if z := owner[k]; z != "" {
			named[z] = widen(named[z], c)
		}
	}
	// Every call's line in a job log, where there is one: it attributes
	// a global call, and it says when zoneupd began to start the tool.
	jobCmds := make([]string, len(in.JobCalls))
	for j, jc := range in.JobCalls {
		jobCmds[j] = normCmd(jc.Cmd)
	}
	used := make([]bool, len(in.JobCalls))
	line := make([]int, len(calls))
	for k, c := range calls {
		line[k] = -1
		if len(in.JobCalls) == 0 {
			continue
		}
		if j := matchJobCall(c, owner[k], in.JobCalls, jobCmds, used); j >= 0 {
			used[j], line[k] = true, j
			n.Launch = append(n.Launch, c.Start.Sub(in.JobCalls[j].Time))
		}
	}
	for k, c := range calls {
		if owner[k] != "" {
			continue
		}
		n.GlobalCalls++
		if len(in.JobCalls) > 0 {
			if j := line[k]; j >= 0 {
				owner[k] = in.JobCalls[j].Zone
				n.ByJobLog++
				continue
			}
		} else if z := onlySpanHolding(named, c.Start); z != "" {
			owner[k] = z
			n.BySpan++
			continue
		}
		n.Orphans++
	}
	for k, c := range calls {
		d := callEnd(c).Sub(c.Start)
		z := owner[k]
		if z == "" {
			n.Unattributed += d
			continue
		}
		n.PerZone[z] += d
		n.ZoneCalls[z]++
		n.Spans[z] = widen(n.Spans[z], c)
	}
	for z, d := range n.PerZone {
		if d > n.Longest || (d == n.Longest && z < n.LongestZone) {
			n.Longest, n.LongestZone = d, z
		}
	}
	n.Bound = max(n.Longest, n.Total/time.Duration(n.Concurrency))

	var inSpans time.Duration
	for _, s := range n.Spans {
		inSpans += s.End.Sub(s.Start)
	}
	n.Gaps = max(inSpans-n.ToolTime(), 0)
	n.Idle, n.IdleTail = idleSlots(n.Spans, n.Start, n.End, n.Concurrency)

	for _, z := range in.Running {
		halt, boot := -1, -1
		for k, c := range calls {
			if c.Tool != "zoneadm" || owner[k] != z || !hasZoneOperand(c, z) {
				continue
			}
			switch {
			case halt < 0 && (slices.Contains(c.Argv, "halt") || slices.Contains(c.Argv, "shutdown")):
				halt = k
			case halt >= 0 && slices.Contains(c.Argv, "boot") && c.Ended && c.Code == 0:
				boot = k
			}
		}
		switch {
		case halt < 0:
		case boot < 0:
			n.NotBooted = append(n.NotBooted, z)
		default:
			n.Downtime[z] = callEnd(calls[boot]).Sub(calls[halt].Start)
		}
	}
	return n
}

func hasZoneOperand(c sim.Invocation, z string) bool {
	for j := 0; j+1 < len(c.Argv); j++ {
		if c.Argv[j] == "-z" && c.Argv[j+1] == z {
			return true
		}
	}
	return false
}

func widen(s Span, c sim.Invocation) Span {
	if s.Start.IsZero() || c.Start.Before(s.Start) {
		s.Start = c.Start
	}
	if e := callEnd(c); e.After(s.End) {
		s.End = e
	}
	return s
}

// matchJobCall finds the unused job-log line of the same command (and of
// zone, unless ""), nearest the call's start within jobLogSlack; -1 if none.
func matchJobCall(c sim.Invocation, zone string, jcs []JobCall, cmds []string, used []bool) int {
	want := normCmd(c.Cmd())
	best, bestD := -1, jobLogSlack
	for j, jc := range jcs {
		if used[j] || cmds[j] != want || (zone != "" && jc.Zone != zone) {
			continue
		}
		d := c.Start.Sub(jc.Time)
		if d < 0 {
			d = -d
		}
		if d <= bestD {
			best, bestD = j, d
		}
	}
	return best
}

// onlySpanHolding is the one zone whose span holds t, or "".
func onlySpanHolding(spans map[string]Span, t time.Time) string {
	found := ""
	for z, s := range spans {
		if !t.Before(s.Start) && !t.After(s.End) {
			if found != "" {
				return ""
			}
			found = z
		}
	}
	return found
}

// idleSlots is the slot time between start and end that no zone's span
// covered (sum over time of concurrency minus the zones in progress, when
// positive), and the part of it after the last span began.
func idleSlots(spans map[string]Span, start, end time.Time, concurrency int) (idle, tail time.Duration) {
	type ev struct {
		t time.Time
		d int
	}
	var evs []ev
	var lastStart time.Time
	for _, s := range spans {
		evs = append(evs, ev{s.Start, +1}, ev{s.End, -1})
		if s.Start.After(lastStart) {
			lastStart = s.Start
		}
	}
	evs = append(evs, ev{end, 0})
	sort.Slice(evs, func(a, b int) bool { return evs[a].t.Before(evs[b].t) })
	active, at := 0, start
	for _, e := range evs {
		if e.t.After(at) {
			if free := concurrency - active; free > 0 {
				d := time.Duration(free) * e.t.Sub(at)
				idle += d
				if !at.Before(lastStart) {
					tail += d
				}
			}
			at = e.t
		}
		active += e.d
	}
	return idle, tail
}
