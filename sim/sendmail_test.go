package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// mailIn runs sendmail with msg on stdin.
func (w *testWorld) mailIn(msg string, args ...string) result {
	w.t.Helper()
	cmd := exec.Command(filepath.Join(toolsDir, "sendmail"), args...)
	cmd.Env = w.env()
	cmd.Stdin = strings.NewReader(msg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// mailJSON is `zonesim mail --json`, decoded.
func (w *testWorld) mailJSON() []Mail {
	w.t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "zonesim"), "mail", "--world", w.dir, "--json").Output()
	if err != nil {
		w.t.Fatalf("zonesim mail --json: %v", err)
	}
	var ms []Mail
	if err := json.Unmarshal(out, &ms); err != nil {
		w.t.Fatalf("mail --json: %v\n%s", err, out)
	}
	return ms
}

const report = "From: zoneupd <zoneup@gz01.example.org>\r\n" +
	"To: Ops <ops@example.org>, dba@example.org\r\n" +
	"Cc: oncall@example.org\r\n" +
	"Bcc: archive@example.org\r\n" +
	"Subject: =?UTF-8?Q?zoneup_report_=E2=80=94_20_jobs?=\r\n" +
	"X-Long: folded\r\n" +
	"  on two lines\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"\r\n" +
	"UPGRADED (19)\r\n" +
	".\r\n" +
	"  z12  saved by remove-conflicts\r\n"

func TestSendmail(t *testing.T) {
	w := newWorld(t, 1000, "--fleet", "1")
	if ms := w.mailJSON(); len(ms) != 0 {
		t.Fatalf("mail in a new world: %+v", ms)
	}

	// -t -i: recipients from To:, Cc: and Bcc:, the lone dot kept.
	if r := w.mailIn(report, "-t", "-i"); r.code != 0 || r.out != "" || r.err != "" {
		t.Fatalf("sendmail -t -i: %s", r)
	}
	// -t without -i: the message ends at the lone dot; an operand adds a recipient.
	if r := w.mailIn(report, "-t", "-f", "bounce@example.org", "extra@example.org"); r.code != 0 {
		t.Fatalf("sendmail -t: %s", r)
	}
	// Operands only, a message without header fields, -oi and a
	// Sendmail option that changes nothing here.
	if r := w.mailIn("just a body\n.\nstill the body\n", "-oi", "-odi", "root", "ops@example.org,Dev <dev@example.org>"); r.code != 0 {
		t.Fatalf("sendmail ADDRESS...: %s", r)
	}

	ms := w.mailJSON()
	if len(ms) != 3 {
		t.Fatalf("%d messages: %+v", len(ms), ms)
	}
	for i, m := range ms {
		if want := filepath.Join(w.dir, "mail", fmt.Sprintf("%04d.eml", i+1)); m.File != want {
			t.Errorf("message %d in %s, want %s", i, m.File, want)
		}
	}
	m := ms[0]
	if !slices.Equal(m.To, []string{"ops@example.org", "dba@example.org", "oncall@example.org", "archive@example.org"}) ||
		m.Subject != "zoneup report — 20 jobs" || m.From != "zoneup@gz01.example.org" ||
		m.Body != "UPGRADED (19)\r\n.\r\n  z12  saved by remove-conflicts\r\n" {
		t.Errorf("-t -i: %+v", m)
	}
	// The file is the message as given, after the envelope lines.
	b, err := os.ReadFile(m.File)
	if err != nil {
		t.Fatal(err)
	}
	if _, msg, _ := strings.Cut(string(b), "X-Zonesim-Invocation: "); !strings.HasSuffix(msg, "\n"+report) {
		t.Errorf("stored:\n%s", b)
	}
	if fi, _ := os.Stat(m.File); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	m = ms[1]
	if !slices.Equal(m.To, []string{"extra@example.org", "ops@example.org", "dba@example.org", "oncall@example.org", "archive@example.org"}) ||
		m.From != "bounce@example.org" || m.Body != "UPGRADED (19)\r\n" {
		t.Errorf("-t -f: %+v", m)
	}
	m = ms[2]
	if !slices.Equal(m.To, []string{"root", "ops@example.org", "dev@example.org"}) || m.Subject != "" ||
		m.Body != "just a body\n.\nstill the body\n" {
		t.Errorf("operands: %+v", m)
	}

	// Each call is in the invocation log, with its number in its message.
	invs, err := ReadInvocations(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, inv := range invs {
		if inv.Tool == "sendmail" {
			if !inv.Ended || inv.Code != 0 {
				t.Errorf("invocation %+v", inv)
			}
			seqs = append(seqs, inv.Seq)
		}
	}
	if len(seqs) != 3 || seqs[0] != ms[0].Seq || seqs[1] != ms[1].Seq || seqs[2] != ms[2].Seq ||
		invs[len(invs)-1].Cmd() != "sendmail -oi -odi root ops@example.org,Dev <dev@example.org>" {
		t.Errorf("invocations %+v, mail seqs %d %d %d", invs, ms[0].Seq, ms[1].Seq, ms[2].Seq)
	}

	// The readable listing.
	out, err := exec.Command(filepath.Join(binDir, "zonesim"), "mail", "--world", w.dir).Output()
	if err != nil || !strings.HasPrefix(string(out), "0001.eml  seq ") || strings.Count(string(out), "\n") != 3 {
		t.Errorf("zonesim mail: %v\n%s", err, out)
	}
}

// TestSendmailNoRecipients: no operand and no -t, or -t and no To:, Cc:
// or Bcc: field: the Sendmail text, exit 1, no message kept, the call in
// the log.
func TestSendmailNoRecipients(t *testing.T) {
	w := newWorld(t, 1000, "--fleet", "1")
	for _, tc := range []struct {
		msg  string
		args []string
	}{
		{"Subject: x\n\nbody\n", nil},
		{"Subject: x\n\nbody\n", []string{"-t"}},
		{"Subject: x\nTo:\n\nbody\n", []string{"-t", "-i"}},
		{"", []string{"-t"}},
		{"To: ops@example.org\n\nbody\n", []string{"-i"}}, // a To: without -t names nobody
	} {
		r := w.mailIn(tc.msg, tc.args...)
		if r.code != 1 || r.err != "sendmail: No recipient addresses found in header\n" || r.out != "" {
			t.Errorf("sendmail %v: %s", tc.args, r)
		}
	}
	if r := w.mailIn("To: a@b\n\n", "-t", "-z"); r.code != 64 || !strings.Contains(r.err, "illegal option -- z") {
		t.Errorf("bad option: %s", r)
	}
	if ms := w.mailJSON(); len(ms) != 0 {
		t.Errorf("kept %+v", ms)
	}
	invs, _ := ReadInvocations(w.dir)
	n := 0
	for _, inv := range invs {
		if inv.Tool == "sendmail" && inv.Ended && inv.Code != 0 {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d failed sendmail calls logged: %+v", n, invs)
	}
}

// TestSendmailConcurrent: messages sent at once get distinct numbers, none
// lost.
func TestSendmailConcurrent(t *testing.T) {
	w := newWorld(t, 200, "--fleet", "1")
	const n = 6
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := w.mailIn(fmt.Sprintf("To: z%d@example.org\nSubject: %d\n\nbody\n", i, i), "-t"); r.code != 0 {
				t.Errorf("sendmail %d: %s", i, r)
			}
		}()
	}
	wg.Wait()
	ms := w.mailJSON()
	if len(ms) != n {
		t.Fatalf("%d messages", len(ms))
	}
	var subjects []string
	for i, m := range ms {
		if filepath.Base(m.File) != fmt.Sprintf("%04d.eml", i+1) {
			t.Errorf("message %d is %s", i, m.File)
		}
		subjects = append(subjects, m.Subject)
	}
	slices.Sort(subjects)
	if !slices.Equal(subjects, []string{"0", "1", "2", "3", "4", "5"}) {
		t.Errorf("subjects %v", subjects)
	}
	ents, _ := os.ReadDir(filepath.Join(w.dir, "mail"))
	if len(ents) != n {
		t.Errorf("mail/ holds %d files", len(ents))
	}
}

// TestSendmailCrash: the crash hook holds for sendmail as for every tool:
// at start no message is kept, at end it is.
func TestSendmailCrash(t *testing.T) {
	for _, at := range []string{CrashAtStart, CrashAtEnd} {
		t.Run(at, func(t *testing.T) {
			w := newWorld(t, 100, "--fleet", "1")
			if err := SetCrashMatch(w.dir, "sendmail -t", at); err != nil {
				t.Fatal(err)
			}
			daemon := exec.Command("sh", "-c", "printf 'To: ops@example.org\\n\\nhi\\n' | sendmail -t; echo survived; sleep 30")
			daemon.Env = w.env()
			out, err := daemon.Output()
			if !killedBySIGKILL(err) || strings.Contains(string(out), "survived") {
				t.Fatalf("the parent was not killed: %v %q", err, out)
			}
			if ms := w.mailJSON(); len(ms) != map[string]int{CrashAtStart: 0, CrashAtEnd: 1}[at] {
				t.Errorf("crash at %s: %+v", at, ms)
			}
		})
	}
}
