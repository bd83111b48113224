package host

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ExecError is how every failed tool run is reported: the argv, the exit
// code, the tail of what the tool said, and the kind of failure (one of the
// sentinels of types.go) when the adapter could tell it. Callers switch on
// the kind with errors.Is and on the exit code with Code; they never parse
// the message.
type ExecError struct {
	Argv   []string
	Code   int    // exit code; -1 when the tool did not start, was killed, or timed out
	Stderr string // trimmed and bounded (the last maxErrText bytes)
	// Kind is ErrTransient, ErrTimeout, ErrNoSuchZone, ErrNotFound,
	// ErrNoImage, ErrUnknownSubcommand, ... or nil when the failure has no
	// kind callers act on.
	Kind error
	// Err is the underlying cause when there is one: exec.ErrNotFound for a
	// tool missing from PATH, context.Canceled, a start failure. nil for a
	// plain non-zero exit.
	Err error

	// stdout is the tail of stdout, for the message when the tool said
	// nothing on stderr (the ipkg brand prints its errors on stdout).
	stdout string
}

// maxErrText bounds the text an ExecError keeps.
const maxErrText = 4096

// Error gives one readable line, e.g.
// "zoneadm -z web01 detach: exit 1: zoneadm: zone 'web01': detach operation is invalid for running zones."
// The detail is the last one or two non-empty lines of stderr (of stdout
// when stderr is empty); a timeout or a start failure says so instead of
// an exit code.
func (e *ExecError) Error() string {
	var b strings.Builder
	b.WriteString(strings.Join(e.Argv, " "))
	if b.Len() == 0 {
		b.WriteString("(no command)")
	}
	switch {
	case errors.Is(e.Kind, ErrTimeout):
		b.WriteString(": killed after its timeout")
	case e.Code >= 0:
		fmt.Fprintf(&b, ": exit %d", e.Code)
	case e.Err != nil:
		b.WriteString(": " + e.Err.Error())
	default:
		b.WriteString(": killed")
	}
	detail := lastLines(e.Stderr, 2)
	if detail == "" {
		detail = lastLines(e.stdout, 2)
	}
	if detail != "" {
		b.WriteString(": " + detail)
	}
	return b.String()
}

// Unwrap returns the non-nil ones of Kind and Err, so that both
// errors.Is(err, host.ErrTransient) and errors.Is(err, context.Canceled)
// work.
func (e *ExecError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// Code is the exit code of the *ExecError in err's chain: 0 for a nil
// error, -1 when err holds no *ExecError (or the tool was killed or never
// started). It is how callers see pkg's exit 3 (partial) or 4 (nothing to
// do) without parsing text.
func Code(err error) int {
	if err == nil {
		return 0
	}
	var e *ExecError
	if errors.As(err, &e) {
		return e.Code
	}
	return -1
}

// lastLines joins the last n non-empty lines of s with " / ", bounded so
// the message stays one readable line.
func lastLines(s string, n int) string {
	var keep []string
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			keep = append([]string{l}, keep...)
		}
	}
	return Clip(strings.Join(keep, " / "), 400)
}

// Clip bounds s to about n bytes for a one-line message without losing its
// first sentence: what stays is the beginning up to the end of the first
// sentence (". " or the end), " ... ", and as much of the end as fits. A
// first sentence longer than n keeps its first n-3 bytes and "...".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := strings.Index(s, ". ")
	if end < 0 || end+1 > n-20 {
		cut := n - 3
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "..."
	}
	head := s[:end+1]
	start := len(s) - (n - len(head) - 5)
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return head + " ... " + s[start:]
}

// tailText trims s and keeps at most its last max bytes.
func tailText(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = "..." + s[len(s)-max:]
	}
	return s
}

// withKind sets the kind of err's *ExecError when it has none yet, so a
// timeout (set by the Runner) is never overwritten by a text match. It
// returns err.
func withKind(err error, kind error) error {
	if kind == nil {
		return err
	}
	var e *ExecError
	if errors.As(err, &e) && e.Kind == nil {
		e.Kind = kind
	}
	return err
}
