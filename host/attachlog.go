package host

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// zoneadm attach -u and its log (reference 3.4-3.7). The ipkg brand prints
// its own progress and errors on stdout, and sends the stderr of every pkg
// command it runs only to the attach log, whose path is the first line of
// stdout. So why an attach failed is decided from the log first.

// maxAttachLog is how much of the attach log is read: its end, where pkg's
// error is.
const maxAttachLog = 256 << 10

// LogFilePath is the path on the `Log File: PATH` line of attach's stdout,
// wherever the brand put it (not necessarily /var/tmp); "" when there is no
// such line (OpenSolaris 2009.06 printed none).
func LogFilePath(stdout string) string {
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Log File:"); ok {
			if p := strings.TrimSpace(rest); p != "" {
				return p
			}
		}
	}
	return ""
}

// ZoneEntire is the zone's entire version on the `Non-Global zone version:
// entire@VERSION` line that the brand's attach prints before it updates
// anything (reference 10.1, 3.5), as `pkg list` shows a version: release
// and branch, without the build release and the timestamp
// ("0.5.11,5.11-0.134:20100302T021758Z" is "0.5.11-0.134"). "" when there is
// no such line (a zone without entire, or a brand that prints none).
func ZoneEntire(stdout string) string {
	for _, line := range strings.Split(stdout, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Non-Global zone version:")
		if !ok {
			continue
		}
		v, ok := strings.CutPrefix(strings.TrimSpace(rest), "entire@")
		if !ok || v == "" {
			return ""
		}
		v, _, _ = strings.Cut(v, ":")
		release, branch, _ := strings.Cut(v, "-")
		release, _, _ = strings.Cut(release, ",")
		if branch == "" {
			return release
		}
		return release + "-" + branch
	}
	return ""
}

// The literal texts (reference 2.5, 3.5, 6.2) that decide a failure kind,
// tried kind by kind in this order: running out of space is unfixable
// whatever else went wrong, a lock is retried before anything is concluded,
// and a transport error explains a "no solution" that follows it.
var (
	noSpaceTexts = []string{ // matched without regard to case
		"no space left on device",
		"out of space",
		"insufficient disk space",
		"insufficient space",
		"[errno 28]",
	}
	lockedTexts = []string{
		"The image cannot be modified as it is currently in use by another package client",
		"another zoneadm may have an operation in progress",
	}
	transportTexts = []string{
		"Errors were encountered while attempting to retrieve package or file data",
		"could not be reached for catalog refresh",
		"Unable to contact a valid package repository",
		"Unable to contact valid package repository",
		"Framework error",
	}
	noSolutionTexts = []string{
		"No solution was found to satisfy constraints",
		"No matching version of",
		"did not match any allowable packages",
		"Zone is downrev of global zone",
		"Zone is uprev of global zone",
		"is downrev of the global zone",
		"is newer than the global zone",
		"Could not find 'entire' incorporation",
	}
	// zoneadm's and the brand's own checks, before any package work
	// (reference 3.2, 3.4, 10.4): no rung changes what they look at.
	hostTexts = []string{
		"Sanity Check: FAILED",
		"Failed to locate any dataset mounted at",
		"Installing a zone inside of the root pool's 'ROOT' dataset is unsupported",
		"the zonepath must be a ZFS dataset",
		"is already installed.",
		"no active dataset.",
		"multiple active datasets.",
		"unable to determine global zone boot environment",
	}
	successTexts = []string{
		"Result: Attach Succeeded.",
		"Attach complete.",
	}
)

// ClassifyAttach says why an attach (-u) failed, from its stdout (with
// stderr appended, as AttachUpdate passes it) and the attach log. Line is
// the first line, in the log and then stdout, that decided the kind, with
// the brand's "[date] " prefix removed; URL (transport only) is the failing
// URL as printed on pkg's `URL: '...'` line, else the first URL after the
// transport error, else one made from "Failed to connect to HOST port N" or
// "Couldn't resolve host 'HOST'" (http://HOST/, https for port 443), else "";
// Publisher is the one a catalog refresh failure names.
// A text with none of the failure texts but a success line ("Result: Attach
// Succeeded.", "Attach complete.") is FailNone; zoneadm's or the brand's
// own checks (a failed sanity check, no dataset mounted at the zone root,
// a zonepath that is not a dataset or lies in the root pool's ROOT, a zone
// already installed: reference 10.4) are FailHost; anything else FailOther,
// with the most telling line found (pkg's own error line, a failed sanity
// check, the brand's ERROR: line, zoneadm's message, or the last line).
func ClassifyAttach(stdout, log string) Failure {
	lines := cleanLines(log + "\n" + stdout)
	find := func(texts []string, fold bool) int {
		for i, l := range lines {
			hay := l
			if fold {
				hay = strings.ToLower(l)
			}
			for _, t := range texts {
				if strings.Contains(hay, t) {
					return i
				}
			}
		}
		return -1
	}
	if i := find(noSpaceTexts, true); i >= 0 {
		return Failure{Kind: FailNoSpace, Line: lines[i]}
	}
	if i := find(lockedTexts, false); i >= 0 {
		return Failure{Kind: FailLocked, Line: lines[i]}
	}
	if i := find(transportTexts, false); i >= 0 {
		return Failure{Kind: FailTransport, Line: lines[i], URL: failingURL(lines, i), Publisher: refreshPublisher(lines)}
	}
	if i := find(noSolutionTexts, false); i >= 0 {
		return Failure{Kind: FailNoSolution, Line: lines[i]}
	}
	if i := find(hostTexts, false); i >= 0 {
		return Failure{Kind: FailHost, Line: lines[i]}
	}
	if find(successTexts, false) >= 0 {
		return Failure{}
	}
	return Failure{Kind: FailOther, Line: tellingLine(lines)}
}

// cleanLines splits text into trimmed, non-empty lines without the
// "[Tue Dec  1 11:24:54 UTC 2026] " prefix the brand's log() writes.
func cleanLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			if end := strings.IndexByte(l, ']'); end > 0 && end < 48 && strings.ContainsAny(l[:end], "0123456789") && strings.Contains(l[:end], ":") {
				l = strings.TrimSpace(l[end+1:])
			}
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// failingURL finds the URL of a transport failure whose first line is
// lines[from], looking from there on, then anywhere.
// refreshPublisher is the publisher named on pkg's "N/M repositories for
// publisher 'PUB' could not be reached for catalog refresh." line
// (reference 6.2), "" if there is none.
func refreshPublisher(lines []string) string {
	for _, l := range lines {
		if !strings.Contains(l, "could not be reached for catalog refresh") {
			continue
		}
		if _, rest, ok := strings.Cut(l, "for publisher '"); ok {
			if name, _, ok := strings.Cut(rest, "'"); ok {
				return name
			}
		}
	}
	return ""
}

func failingURL(lines []string, from int) string {
	for _, part := range [][]string{lines[from:], lines} {
		for _, l := range part {
			if rest, ok := strings.CutPrefix(l, "URL:"); ok {
				if u := strings.Trim(strings.TrimSpace(rest), `'"`); u != "" {
					return u
				}
			}
		}
	}
	for _, l := range lines[from:] {
		if i := strings.Index(l, "://"); i > 0 {
			start := i
			for start > 0 && isSchemeByte(l[start-1]) {
				start--
			}
			if start < i {
				end := i + 3
				for end < len(l) && !strings.ContainsRune(" \t'\"<>()", rune(l[end])) {
					end++
				}
				if u := strings.TrimRight(l[start:end], ".,;:"); len(u) > i-start+3 {
					return u
				}
			}
		}
	}
	for _, l := range lines[from:] {
		if _, rest, ok := strings.Cut(l, "Failed to connect to "); ok {
			f := strings.Fields(rest)
			if len(f) >= 3 && f[1] == "port" {
				return hostURL(f[0], strings.TrimRight(f[2], ":,."))
			}
			if len(f) >= 1 {
				return hostURL(strings.TrimRight(f[0], ":,."), "")
			}
		}
		if _, rest, ok := strings.Cut(l, "Couldn't resolve host '"); ok {
			if h, _, ok := strings.Cut(rest, "'"); ok && h != "" {
				return hostURL(h, "")
			}
		}
	}
	return ""
}

func isSchemeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// hostURL makes a URL for a host pycurl named without one.
func hostURL(host, port string) string {
	switch port {
	case "", "80":
		return "http://" + host + "/"
	case "443":
		return "https://" + host + "/"
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "http://" + host + "/"
	}
	return "http://" + host + ":" + port + "/"
}

// tellingLine picks the line that best explains a failure of no known kind.
func tellingLine(lines []string) string {
	preds := []func(string) bool{
		isPkgErrorLine,
		func(l string) bool { return strings.Contains(l, "Sanity Check: FAILED") },
		func(l string) bool {
			return strings.HasPrefix(l, "ERROR:") && !strings.Contains(l, "Could not update attaching zone")
		},
		func(l string) bool { return strings.HasPrefix(l, "zoneadm:") || strings.HasPrefix(l, "zone '") },
		func(l string) bool { return strings.HasPrefix(l, "ERROR:") },
	}
	for _, p := range preds {
		for _, l := range lines {
			if p(l) {
				return l
			}
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], "Result:") && !strings.HasPrefix(lines[i], "Log File:") {
			return lines[i]
		}
	}
	return ""
}

// isPkgErrorLine: "pkg: ..." or "pkg SUBCOMMAND: ...", how pkg starts an
// error (reference 6.2).
func isPkgErrorLine(l string) bool {
	if strings.HasPrefix(l, "pkg: ") {
		return true
	}
	rest, ok := strings.CutPrefix(l, "pkg ")
	if !ok {
		return false
	}
	sub, _, ok := strings.Cut(rest, ": ")
	return ok && sub != "" && !strings.ContainsAny(sub, " \t")
}

// AttachUpdate runs `zoneadm -z ZONE attach -u` and reads the log it
// names. On success the error is nil and Failure.Kind is FailNone. On
// failure Failure says why and the error wraps the *ExecError, plus
// ErrTransient for a lock (pkg's image lock or another zoneadm's),
// ErrNoSuchZone for an unknown zone, ErrTimeout when it was killed. The
// result's Log is "" when the log cannot be read.
func (t Tools) AttachUpdate(ctx context.Context, zone string) (AttachResult, error) {
	res, err := t.run(ctx, true, zoneadmKind, "zoneadm", "-z", zone, "attach", "-u")
	ar := AttachResult{Stdout: string(res.Stdout)}
	ar.LogFile = LogFilePath(ar.Stdout)
	ar.ZoneEntire = ZoneEntire(ar.Stdout)
	if ar.LogFile != "" {
		ar.Log = readTail(ar.LogFile, maxAttachLog)
	}
	if err == nil {
		return ar, nil
	}
	text := ar.Stdout
	if len(res.Stderr) > 0 {
		text += "\n" + string(res.Stderr)
	}
	ar.Failure = ClassifyAttach(text, ar.Log)
	if ar.Failure.Kind == FailNone {
		// A success line but a failing exit: zoneadm's postattach hook
		// failed, or the state could not be set. Not a success.
		ar.Failure = Failure{Kind: FailOther, Line: tellingLine(cleanLines(text))}
	}
	if ar.Failure.Kind == FailLocked {
		withKind(err, ErrTransient)
	}
	return ar, fmt.Errorf("attach -u of %s failed (%s: %s): %w", zone, ar.Failure.Kind, ar.Failure.Line, err)
}

// readTail reads at most the last max bytes of path, starting at a line
// boundary and marked "[... N bytes cut ...]" when cut; "" when it cannot
// be read.
func readTail(path string, max int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	var skip int64
	if st.Size() > max {
		skip = st.Size() - max
		if _, err := f.Seek(skip, io.SeekStart); err != nil {
			return ""
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, max))
	if err != nil {
		return ""
	}
	if skip > 0 {
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			skip += int64(i + 1)
			b = b[i+1:]
		}
		return "[... " + strconv.FormatInt(skip, 10) + " bytes cut ...]\n" + string(b)
	}
	return string(b)
}
