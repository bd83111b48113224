package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"zoneup/daemon/api"
)

// field is a column of list: -o names it by its JSON field name (SPEC 5).
type field struct {
	name string
	get  func(j api.Job, now time.Time) string
}

// fields are the columns -o may name, in the order --help lists them.
// Arrays are joined with ","; times are RFC 3339 in UTC; "" means none.
var fields = []field{
	{"zone", func(j api.Job, _ time.Time) string { return j.Zone }},
	{"id", func(j api.Job, _ time.Time) string { return j.ID }},
	{"state", func(j api.Job, _ time.Time) string { return j.State }},
	{"terminal", func(j api.Job, _ time.Time) string { return strconv.FormatBool(j.Terminal) }},
	{"result", func(j api.Job, _ time.Time) string { return j.Result }},
	{"rung", func(j api.Job, _ time.Time) string { return currentRung(j) }},
	{"snapshot", func(j api.Job, _ time.Time) string { return j.Snapshot }},
	{"allow", func(j api.Job, _ time.Time) string { return strings.Join(j.Allow, ",") }},
	{"removed_packages", func(j api.Job, _ time.Time) string { return strings.Join(j.RemovedPackages, ",") }},
	{"restored_files", func(j api.Job, _ time.Time) string { return strings.Join(j.RestoredFiles, ",") }},
	{"warnings", func(j api.Job, _ time.Time) string { return strings.Join(j.Warnings, ",") }},
	{"error", func(j api.Job, _ time.Time) string { return j.Error }},
	{"attempt", func(j api.Job, _ time.Time) string { return strconv.Itoa(j.Attempt) }},
	{"cause", func(j api.Job, _ time.Time) string { return j.Cause }},
	{"enqueued", func(j api.Job, _ time.Time) string { return stamp(j.Enqueued) }},
	{"started", func(j api.Job, _ time.Time) string { return stamp(j.Started) }},
	{"ended", func(j api.Job, _ time.Time) string { return stamp(j.Ended) }},
	{"elapsed", func(j api.Job, now time.Time) string { return elapsed(j, now) }},
	{"stage_started", func(j api.Job, _ time.Time) string { return stamp(j.StageStarted) }},
	{"stage_elapsed", func(j api.Job, now time.Time) string { return since(j.StageStarted, now) }},
	{"waiting", func(j api.Job, _ time.Time) string { return j.Waiting }},
	{"predicted_seconds", func(j api.Job, _ time.Time) string {
		if j.Predicted == 0 {
			return ""
		}
		return strconv.FormatInt(j.Predicted, 10)
	}},
}

// currentRung is the rung that saved the job, or, while it runs, the rung
// being tried (the last history step that names one).
func currentRung(j api.Job) string {
	if j.Rung != "" || j.Terminal {
		return j.Rung
	}
	for i := len(j.History) - 1; i >= 0; i-- {
		if r := j.History[i].Rung; r != "" {
			return r
		}
	}
	return ""
}

// since is now - t to the second, "" for a zero t.
func since(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return max(now.Sub(t), 0).Round(time.Second).String()
}

// defaultColumns is what list shows without -o.
// The rung is the one being tried while the job runs; stage_elapsed is how
// long its current stage has run; waiting says why a queued job waits.
var defaultColumns = mustFields("zone", "state", "rung", "stage_elapsed", "result", "elapsed", "waiting", "id")

func fieldNames() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return out
}

// parseFields resolves "zone,state,..." to columns.
func parseFields(list string) ([]field, error) {
	var out []field
	for _, name := range strings.Split(list, ",") {
		f, ok := fieldNamed(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("unknown field %q (fields: %s)", name, strings.Join(fieldNames(), ","))
		}
		out = append(out, f)
	}
	return out, nil
}

func fieldNamed(name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func mustFields(names ...string) []field {
	f, err := parseFields(strings.Join(names, ","))
	if err != nil {
		panic(err)
	}
	return f
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// elapsed is the job's running time (api.Elapsed).
func elapsed(j api.Job, now time.Time) string { return api.Elapsed(j, now) }

// table prints aligned columns for people, "-" for empty values. Rows go
// in as jobs arrive; tabwriter holds only their cells until Flush.
type table struct {
	tw   *tabwriter.Writer
	cols []field
	row  []string
	now  time.Time
}

func newTable(w io.Writer, cols []field, header bool, now time.Time) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), cols: cols, row: make([]string, len(cols)), now: now}
	if header {
		for i, c := range cols {
			t.row[i] = strings.ToUpper(c.name)
		}
		writeRow(t.tw, t.row)
	}
	return t
}

func (t *table) add(j api.Job) error {
	for i, c := range t.cols {
		t.row[i] = orDash(oneLine(c.get(j, t.now)))
	}
	writeRow(t.tw, t.row)
	return nil
}

func (t *table) Flush() error { return t.tw.Flush() }

// writeRow writes tab-separated cells; the last cell is not padded.
func writeRow(w io.Writer, cells []string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// appendParsable appends the job's list -p line: no header, fields
// separated by ":", with ":" and "\" inside a field escaped as "\:" and
// "\\", as zoneadm list -p does; an empty value is an empty field.
func appendParsable(b []byte, j api.Job, cols []field, now time.Time) []byte {
	for i, c := range cols {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, escapeField(oneLine(c.get(j, now)))...)
	}
	return append(b, '\n')
}

var fieldEscaper = strings.NewReplacer(`\`, `\\`, `:`, `\:`)

func escapeField(s string) string { return fieldEscaper.Replace(s) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a table row on one line whatever a value holds.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// localTime is the human form of a time: local, to the second.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// stepTime turns a history step's RFC 3339 time into the human form.
func stepTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return orDash(s)
	}
	return localTime(t)
}

// writeStatus prints a job as a key: value block, then its history.
func writeStatus(w io.Writer, j api.Job, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	kv := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, orDash(v)) }
	list := func(k string, vs []string) {
		if len(vs) == 0 {
			kv(k, "")
			return
		}
		kv(k, vs[0])
		for _, v := range vs[1:] {
			fmt.Fprintf(tw, "\t%s\n", v)
		}
	}
	kv("zone", j.Zone)
	kv("id", j.ID)
	kv("attempt", strconv.Itoa(j.Attempt))
	kv("state", j.State)
	kv("result", j.Result)
	kv("rung", j.Rung)
	kv("allow", strings.Join(j.Allow, ","))
	if j.NoBoot {
		kv("boot", "no (--no-boot)")
	}
	kv("snapshot", j.Snapshot)
	kv("enqueued", localTime(j.Enqueued))
	kv("started", localTime(j.Started))
	kv("ended", localTime(j.Ended))
	kv("elapsed", elapsed(j, now))
	if !j.Terminal && currentRung(j) != "" {
		kv("trying", currentRung(j))
	}
	if !j.StageStarted.IsZero() {
		kv("in stage", fmt.Sprintf("%s for %s", j.State, since(j.StageStarted, now)))
	}
	if !j.Terminal && j.Predicted > 0 {
		p := time.Duration(j.Predicted) * time.Second
		switch rem := p - now.Sub(j.Started); {
		case j.Started.IsZero():
			kv("expected", fmt.Sprintf("about %s, from earlier upgrades", p.Round(time.Second)))
		case rem > 0:
			kv("expected", fmt.Sprintf("about %s in all, from earlier upgrades: %s left", p.Round(time.Second), rem.Round(time.Second)))
		default:
			kv("expected", fmt.Sprintf("about %s in all, from earlier upgrades: over it by %s", p.Round(time.Second), (-rem).Round(time.Second)))
		}
	}
	if j.Waiting != "" {
		kv("waiting", j.Waiting)
	}
	list("removed packages", j.RemovedPackages)
	list("restored files", j.RestoredFiles)
	list("warnings", j.Warnings)
	kv("error", j.Error)
	if j.Cause != "" {
		kv("cause", j.Cause)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(j.History) == 0 {
		_, err := fmt.Fprintln(w, "no history yet")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow(tw, []string{"STAGE", "RUNG", "STARTED", "ENDED", "OUTCOME", "ERROR"})
	for _, s := range j.History {
		writeRow(tw, []string{s.Stage, orDash(s.Rung), stepTime(s.Started), stepTime(s.Ended), orDash(s.Outcome), orDash(oneLine(s.Error))})
	}
	return tw.Flush()
}

// logIndent is where a log line's text starts: continuation lines of a
// multi-line text (tool output, the attach log) line up under it.
const logIndent = len("2006-01-02 15:04:05  attach-log  ")

// writeLog prints log lines as TIME KIND TEXT, the text after the rung
// it belongs to, in brackets, when there is one.
func writeLog(w io.Writer, lines []api.LogLine) error {
	pad := strings.Repeat(" ", logIndent)
	var b strings.Builder
	for _, l := range lines {
		b.Reset()
		text := strings.Split(strings.TrimRight(l.Text, "\n"), "\n")
		if l.Rung != "" {
			// Whose line: the rung the job was on.
			text[0] = "[" + l.Rung + "] " + text[0]
		}
		fmt.Fprintf(&b, "%s  %-10s  %s\n", localTime(l.Time), l.Kind, text[0])
		for _, t := range text[1:] {
			b.WriteString(pad)
			b.WriteString(t)
			b.WriteByte('\n')
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON prints v indented, as the daemon does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeInfo prints the daemon's description as key: value lines, then its
// settings and the jobs per state.
func writeInfo(w io.Writer, in api.Info, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	kv := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, orDash(v)) }
	kv("zoneupd", fmt.Sprintf("%s, pid %d", orDash(in.Version), in.PID))
	switch {
	case in.Window == "always":
		kv("window", "always (open)")
	case in.WindowOpen:
		kv("window", in.Window+" (open now)")
	default:
		kv("window", fmt.Sprintf("%s (closed; opens at %s)", in.Window, localTime(in.NextOpen)))
	}
	queue := "running"
	switch {
	case in.Stopping:
		queue = "draining: nothing new starts"
	case in.Paused:
		queue = "paused: " + orDash(in.Reason) + " (zoneupadm resume)"
	}
	kv("queue", queue)
	breaker := "off"
	if in.BreakerThreshold > 0 {
		breaker = fmt.Sprintf("%d of %d jobs in a row with the same unfixable cause", in.BreakerCount, in.BreakerThreshold)
		if in.BreakerCause != "" {
			breaker += " (" + in.BreakerCause + ")"
		}
	}
	kv("circuit breaker", breaker)
	kv("concurrency", fmt.Sprintf("%d (%d running, %d queued)", in.Concurrency, in.Running, in.Queued))
	var states []string
	for _, s := range slices.Sorted(maps.Keys(in.Counts)) {
		states = append(states, fmt.Sprintf("%d %s", in.Counts[s], s))
	}
	kv("jobs", strings.Join(states, ", "))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nsettings:")
	tw = tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, k := range slices.Sorted(maps.Keys(in.Settings)) {
		fmt.Fprintf(tw, "  %s\t%s\n", k, orDash(in.Settings[k]))
	}
	return tw.Flush()
}
