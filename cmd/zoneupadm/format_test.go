package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"zoneup/daemon/api"
)

func TestEscapeField(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"web01":                   "web01",
		"rpool/a:b@zoneup-1":      `rpool/a\:b@zoneup-1`,
		`C:\zones`:                `C\:\\zones`,
		"error: pkg: exit 1":      `error\: pkg\: exit 1`,
		`already \: escaped`:      `already \\\: escaped`,
		"no-solution,transport:x": `no-solution,transport\:x`,
	} {
		if got := escapeField(in); got != want {
			t.Errorf("escapeField(%q) = %q, want %q", in, got, want)
		}
	}
}

// splitParsable undoes -p: what a script reading our output would do.
func splitParsable(line string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

func TestParsableRoundTrip(t *testing.T) {
	j := api.Job{Zone: "web01", Error: `rollback: zfs: "a:b" \ failed`, Snapshot: "rpool/z:1@zoneup-x",
		Warnings: []string{"svcs -x: smtp", "two"}, Terminal: true, Attempt: 3}
	cols, err := parseFields("zone,error,snapshot,warnings,terminal,attempt,rung")
	if err != nil {
		t.Fatal(err)
	}
	line := string(appendParsable(nil, j, cols, time.Now()))
	got := splitParsable(strings.TrimSuffix(line, "\n"))
	want := []string{"web01", j.Error, j.Snapshot, "svcs -x: smtp,two", "true", "3", ""}
	if !slices.Equal(got, want) {
		t.Errorf("-p line %q splits into %q, want %q", line, got, want)
	}
}

func TestFieldSelection(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	j := api.Job{Zone: "web01", ID: "id1", State: "done", Terminal: true, Result: "upgraded", Rung: "image-update",
		Snapshot: "s@zoneup-id1", Allow: []string{"remove-conflicts", "recreate-image"}, RemovedPackages: []string{"a", "b"},
		RestoredFiles: []string{"etc/passwd"}, Warnings: []string{"w"}, Error: "", Attempt: 2, Cause: "no-space",
		Enqueued: t0, Started: t0.Add(time.Minute), Ended: t0.Add(4*time.Minute + 12*time.Second + 600*time.Millisecond)}
	want := map[string]string{
		"zone": "web01", "id": "id1", "state": "done", "terminal": "true", "result": "upgraded", "rung": "image-update",
		"snapshot": "s@zoneup-id1", "allow": "remove-conflicts,recreate-image", "removed_packages": "a,b",
		"restored_files": "etc/passwd", "warnings": "w", "error": "", "attempt": "2", "cause": "no-space",
		"enqueued": "2024-05-01T01:00:00Z", "started": "2024-05-01T01:01:00Z", "ended": "2024-05-01T01:04:12Z", "elapsed": "3m13s",
		"stage_started": "", "stage_elapsed": "", "waiting": "", "predicted_seconds": "",
	}
	for _, name := range fieldNames() {
		f, ok := fieldNamed(name)
		if !ok {
			t.Fatalf("field %s", name)
		}
		w, ok := want[name]
		if !ok {
			t.Errorf("field %s has no expectation", name)
		}
		if got := f.get(j, time.Now()); got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
	}
	// SPEC 5's JSON names are all there.
	for _, name := range []string{"zone", "id", "state", "terminal", "result", "rung", "snapshot", "allow",
		"removed_packages", "restored_files", "warnings", "error"} {
		if _, ok := fieldNamed(name); !ok {
			t.Errorf("-o lacks %s", name)
		}
	}
	if _, err := parseFields("zone,History"); err == nil {
		t.Error("unknown field accepted")
	}

	var b bytes.Buffer
	cols, _ := parseFields("rung,zone")
	tb := newTable(&b, cols, true, time.Now())
	tb.add(j)
	tb.add(api.Job{Zone: "db01"})
	tb.Flush()
	if got := b.String(); got != "RUNG          ZONE\nimage-update  web01\n-             db01\n" {
		t.Errorf("table:\n%s", got)
	}
}

func TestElapsed(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		j    api.Job
		want string
	}{
		{api.Job{}, ""},
		{api.Job{Started: t0, Ended: t0.Add(192 * time.Second)}, "3m12s"},
		{api.Job{Started: t0}, "1h0m5s"}, // running: up to now
		{api.Job{Started: t0, Ended: t0.Add(-time.Second)}, "0s"},
	} {
		if got := elapsed(c.j, t0.Add(time.Hour+5*time.Second)); got != c.want {
			t.Errorf("%v-%v: %q, want %q", c.j.Started, c.j.Ended, got, c.want)
		}
	}
}

func TestFlagParsing(t *testing.T) {
	var h, p, js bool
	var o, allow string
	spec := flagSpec{
		bools: map[string]*bool{"-H": &h, "-p": &p, "--json": &js},
		strs:  map[string]*string{"-o": &o, "--allow": &allow},
	}
	pos, err := spec.parse([]string{"web01", "-Hp", "-ozone,id", "--allow=6", "web02", "--json", "--", "-H"})
	if err != nil || !h || !p || !js || o != "zone,id" || allow != "6" || !slices.Equal(pos, []string{"web01", "web02", "-H"}) {
		t.Errorf("pos %q err %v H %v p %v json %v o %q allow %q", pos, err, h, p, js, o, allow)
	}
	o = ""
	if _, err := spec.parse([]string{"-Ho", "state"}); err != nil || o != "state" {
		t.Errorf("-Ho state: %v %q", err, o)
	}
	for _, bad := range [][]string{{"-x"}, {"--nope"}, {"-o"}, {"--allow"}, {"--json=yes"}} {
		if _, err := spec.parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckZone(t *testing.T) {
	for zone, ok := range map[string]bool{
		"web01": true, "a": true, "A.b_c-9": true, strings.Repeat("z", 63): true,
		strings.Repeat("z", 64): false, "": false, "-web": false, ".hidden": false, "x y": false, "a/b": false,
		"global": false, "SUNWdefault": false, "sunwdefault": true,
	} {
		if err := checkZone(zone); (err == nil) != ok {
			t.Errorf("%q: %v", zone, err)
		}
	}
}

func TestParseAllow(t *testing.T) {
	got, err := parseAllow("6, recreate-image,remove-conflicts")
	if err != nil || !slices.Equal(got, []string{"remove-conflicts", "recreate-image"}) {
		t.Errorf("%q %v", got, err)
	}
	for _, bad := range []string{"image-update", "5", "8", "everything", ","} {
		if _, err := parseAllow(bad); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestWriteLogIndents(t *testing.T) {
	var b bytes.Buffer
	ts := time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC)
	writeLog(&b, []api.LogLine{{Seq: 1, Time: ts, Kind: "attach-log", Text: "line one\nline two\n"}})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "  attach-log  line one") ||
		lines[1] != strings.Repeat(" ", strings.Index(lines[0], "line one"))+"line two" {
		t.Errorf("log:\n%s", b.String())
	}
}
