package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// --help and the man page agree: every verb is in the synopsis and has
// its entry, and every exit code the code uses is documented.
func TestManPageAgreesWithHelp(t *testing.T) {
	b, err := os.ReadFile("../../man/zoneupadm.8")
	if err != nil {
		t.Fatal(err)
	}
	man := string(b)
	synopsis, _, _ := strings.Cut(man, ".Sh DESCRIPTION")
	var help bytes.Buffer
	usage(&help)
	for _, v := range verbs {
		if !strings.Contains(man, "\n.It Cm "+v.name) {
			t.Errorf("zoneupadm.8 has no entry for %s", v.name)
		}
		if !strings.Contains(synopsis, "\n.Cm "+v.name) && !strings.Contains(synopsis, "| "+v.name) {
			t.Errorf("the synopsis of zoneupadm.8 lacks %s", v.name)
		}
		if !strings.Contains(help.String(), strings.TrimPrefix(v.usage(), "zoneupadm ")) {
			t.Errorf("--help lacks %q", v.usage())
		}
		for _, flag := range strings.Fields(v.args) {
			flag = strings.Trim(flag, "[]|")
			if strings.HasPrefix(flag, "--") && !strings.Contains(man, "Fl "+strings.TrimPrefix(flag, "-")) {
				t.Errorf("zoneupadm.8 does not name %s %s", v.name, flag)
			}
		}
	}
	status := man[strings.Index(man, ".Sh EXIT STATUS"):]
	for _, code := range []string{"0", "1", "2", "3", "4", "130"} {
		if !strings.Contains(status, "\n.It "+code+"\n") {
			t.Errorf("EXIT STATUS lacks %s", code)
		}
	}
}
