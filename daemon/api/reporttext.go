package api

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// reportGroups orders the morning report: one section per outcome, the
// unfinished jobs last. note says what the outcome means for the zone.
var reportGroups = []struct{ result, title, note string }{
	{"upgraded-warnings", "UPGRADED WITH WARNINGS", "look at the warnings before you drop the snapshot"},
	{"upgraded", "UPGRADED", ""},
	{"rolled-back", "ROLLED BACK", "not rescued within policy; back on the snapshot and left detached (configured)"},
	{"failed", "FAILED", "the rollback did not finish; a person must look"},
	{"blocked", "BLOCKED", "refused before anything changed; the zone is as it was"},
	{"cancelled", "CANCELLED", "rolled back if anything had changed"},
	{"", "STILL RUNNING OR QUEUED", ""},
}

// summaryOrder is the order of the header's counts; other names follow
// sorted.
var summaryOrder = []string{"upgraded", "rolled-back", "failed", "blocked", "cancelled", "running", "queued"}

// WriteReport prints the human morning report: a header, then each
// outcome's zones with what saved them, what changed in them, and for
// every zone that needs a person the next command to run.
func WriteReport(w io.Writer, rep Report, now time.Time) error {
	fmt.Fprintf(w, "zoneup report, generated %s: %s\n", rep.Generated.Local().Format("2006-01-02 15:04:05 MST"), summaryLine(rep))
	if rep.Scope != "" {
		fmt.Fprintf(w, "covering %s\n", rep.Scope)
	}
	if rep.Paused {
		fmt.Fprintf(w, "queue paused: %s (zoneupadm resume)\n", orDash(rep.Reason))
	}
	width := 0
	for _, j := range rep.Jobs {
		width = max(width, len(j.Zone))
	}
	for _, g := range reportGroups {
		var jobs []Job
		for _, j := range rep.Jobs {
			if group(j) == g.result {
				jobs = append(jobs, j)
			}
		}
		if len(jobs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)", g.title, len(jobs))
		if g.note != "" {
			fmt.Fprintf(w, ": %s", g.note)
		}
		fmt.Fprintln(w)
		if g.result == "blocked" {
			if err := writeBlocked(w, jobs, width, now); err != nil {
				return err
			}
			continue
		}
		for _, j := range jobs {
			if _, err := io.WriteString(w, reportJob(j, width, now)); err != nil {
				return err
			}
		}
	}
	return nil
}

// group is the report section of a job: its result, upgraded zones with
// warnings apart.
func group(j Job) string {
	if j.Result == "upgraded" && len(j.Warnings) > 0 {
		return "upgraded-warnings"
	}
	return j.Result
}

// writeBlocked prints the blocked zones grouped by reason (the error that
// refused them), the most common reason first: a host with a dozen bhyve
// zones reads as one line of why, not twelve.
func writeBlocked(w io.Writer, jobs []Job, width int, now time.Time) error {
	byReason := map[string][]Job{}
	var reasons []string
	for _, j := range jobs {
		r := oneLine(j.Error)
		if r == "" {
			r = "(no reason recorded)"
		}
		if _, ok := byReason[r]; !ok {
			reasons = append(reasons, r)
		}
		byReason[r] = append(byReason[r], j)
	}
	slices.SortStableFunc(reasons, func(a, b string) int { return len(byReason[b]) - len(byReason[a]) })
	for _, r := range reasons {
		fmt.Fprintf(w, "  because %s (%d)\n", r, len(byReason[r]))
		for _, j := range byReason[r] {
			j.Error = "" // said once, above
			if _, err := io.WriteString(w, indent(reportJob(j, width, now), "  ")); err != nil {
				return err
			}
		}
	}
	return nil
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

// summaryLine is "12 jobs: 8 upgraded, 2 rolled-back, 1 failed, 1 blocked".
func summaryLine(rep Report) string {
	names := slices.Clone(summaryOrder)
	var others []string
	for k := range rep.Summary {
		if !slices.Contains(names, k) {
			others = append(others, k)
		}
	}
	sort.Strings(others)
	var parts []string
	counts := maps.Clone(rep.Summary)
	if counts == nil {
		counts = map[string]int{}
	}
	counts["running"], counts["queued"] = rep.Running, rep.Queued
	for _, k := range append(names, others...) {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	s := fmt.Sprintf("%d jobs", len(rep.Jobs))
	if len(rep.Jobs) == 1 {
		s = "1 job"
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// reportJob is one zone's entry: a headline, then "key: value" lines.
func reportJob(j Job, width int, now time.Time) string {
	var b strings.Builder
	head := []string{}
	switch {
	case j.Result == "upgraded" && j.Rung != "":
		head = append(head, "saved by "+j.Rung)
	case j.Result == "":
		head = append(head, j.State)
	case j.Rung != "":
		head = append(head, "last rung "+j.Rung)
	}
	if d := Elapsed(j, now); d != "" {
		head = append(head, d)
	}
	if j.Attempt > 1 {
		head = append(head, fmt.Sprintf("attempt %d", j.Attempt))
	}
	fmt.Fprintf(&b, "%s\n", strings.TrimRight(fmt.Sprintf("  %-*s  %s", width, j.Zone, strings.Join(head, ", ")), " "))
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "    %-18s%s\n", k+":", v)
		}
	}
	more := func(v string) { fmt.Fprintf(&b, "    %-18s%s\n", "", v) }
	line("removed packages", strings.Join(j.RemovedPackages, ", "))
	line("restored files", strings.Join(j.RestoredFiles, ", "))
	for i, w := range j.Warnings {
		if i == 0 {
			line("warnings", w)
		} else {
			more(w)
		}
	}
	if j.Result != "upgraded" {
		line("error", oneLine(j.Error))
		line("cause", j.Cause)
	}
	switch {
	case j.HostState == "":
	case j.Meaning == "" || j.Meaning == j.HostState:
		line("zone", j.HostState)
	default:
		line("zone", j.HostState+": "+j.Meaning)
	}
	if j.Waiting != "" {
		line("waiting", j.Waiting)
	}
	line("snapshot", j.Snapshot)
	for i, cmd := range j.Next {
		if i == 0 {
			line("next", cmd)
		} else {
			more(cmd)
		}
	}
	return b.String()
}

// Elapsed is the job's running time, started to ended (or to now while it
// runs), to the second: "3m12s". "" before it started.
func Elapsed(j Job, now time.Time) string {
	if j.Started.IsZero() {
		return ""
	}
	end := j.Ended
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(j.Started), 0).Round(time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
