package daemon

import (
	"bufio"
	"fmt"

	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zoneup/host"
	"zoneup/persist"
)

// liveLog writes a job's tool runs into its log as they happen: the
// command line when the tool starts, each line of its output as the tool
// writes it, and, during `zoneadm attach -u`, each line of the attach log
// the `Log File:` line names as the brand writes it (the file `tail -f`
// would show: pkg's own errors are only there). The exit line follows at
// the end. The job's own notes (run.note) wait in the same queue, so every
// line stands in the order it happened, and each is stored once. Lines are
// stored in batches: with the job's next save, in the same transaction
// (PutJobLog), or flushEvery after the first of them waits, whichever
// comes first; neither a chatty pkg nor a tool's exit costs a commit of
// its own. A kill -9 loses at most the lines of the last flushEvery that
// no save took along.
type liveLog struct {
	e     *Engine
	jobID string
	rung  *atomic.Pointer[string] // the rung the job is on now

	mu      sync.Mutex // pending, timer
	pending []persist.LogEntry
	timer   *time.Timer
	flushMu sync.Mutex // keeps the batches in order

	// mine are the words of this job's lines in a host-wide listing
	// (zone name, zonepath, datasets): the rest of `zfs list` or
	// `mount -p` is other zones' business and stays out of this log.
	mine    atomic.Pointer[[]string]
	dropped atomic.Int64 // lines of host-wide listings left out of the current run

	tailMu sync.Mutex
	tail   *attachTail // the attach log being followed, nil when none
	// Tailed is the path of the last attach log followed to its end.
	tailed atomic.Pointer[string]
}

const (
	flushEvery = 100 * time.Millisecond
	tailEvery  = 250 * time.Millisecond
)

func newLiveLog(e *Engine, jobID string, rung *atomic.Pointer[string]) *liveLog {
	return &liveLog{e: e, jobID: jobID, rung: rung}
}

// hook sets the Runner's callbacks to this log.
func (l *liveLog) hook(r *host.Runner) {
	r.Start = l.started
	r.Line = l.line
	r.Observe = l.ended
}

func (l *liveLog) currentRung() string {
	if p := l.rung.Load(); p != nil {
		return *p
	}
	return ""
}

// started queues the command line; it is stored with the tool's first
// lines, at the latest flushEvery later (a long attach -u shows in `log
// -f` at once), or with its exit line, in one transaction for a short
// call: a tool's start costs no fsync of its own.
func (l *liveLog) started(argv []string) {
	l.add(persist.LogEntry{Kind: "tool", Text: "$ " + strings.Join(argv, " "), Tool: filepath.Base(argv[0]), Rung: l.currentRung()})
}

// setMine says which words make a line of a host-wide listing this job's.
func (l *liveLog) setMine(words ...string) {
	var w []string
	for _, x := range words {
		if x != "" {
			w = append(w, x)
		}
	}
	l.mine.Store(&w)
}

// hostWide reports whether argv lists the whole host rather than one zone
// or dataset: mount -p, zfs list without an operand, zoneadm list -cp,
// beadm list.
func hostWide(argv []string) bool {
	if len(argv) < 2 {
		return false
	}
	switch filepath.Base(argv[0]) {
	case "mount":
		return argv[1] == "-p"
	case "beadm":
		return argv[1] == "list"
	case "zoneadm":
		return argv[1] == "list"
	case "zfs":
		if argv[1] != "list" {
			return false
		}
		for i := 2; i < len(argv); i++ {
			a := argv[i]
			if a == "-o" || a == "-t" || a == "-s" || a == "-S" || a == "-d" {
				i++ // its value
				continue
			}
			if !strings.HasPrefix(a, "-") {
				return false // an operand: that dataset
			}
		}
		return true
	}
	return false
}

// keep reports whether a stdout line of argv belongs in this job's log.
func (l *liveLog) keep(argv []string, line string) bool {
	w := l.mine.Load()
	if w == nil || len(*w) == 0 || !hostWide(argv) {
		return true
	}
	for _, x := range *w {
		if containsName(line, x) {
			return true
		}
	}
	l.dropped.Add(1)
	return false
}

// containsName reports whether name stands in line as a whole name: not
// followed by a character that would make it another zone's (/zones/z1 is
// not in /zones/z10).
func containsName(line, name string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(line) || !isNameByte(line[end]) {
			return true
		}
		i += j + 1
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

func (l *liveLog) line(argv []string, stream, line string) {
	tool := filepath.Base(argv[0])
	if stream == "stdout" && !l.keep(argv, line) {
		return
	}
	l.add(persist.LogEntry{Kind: stream, Text: line, Tool: tool, Rung: l.currentRung()})
	if tool == "zoneadm" && stream == "stdout" {
		if p := host.LogFilePath(line); p != "" {
			l.follow(p, tool)
		}
	}
}

func (l *liveLog) ended(res host.Result) {
	l.e.observeTool(res)
	l.stopFollowing()
	tool := ""
	if len(res.Argv) > 0 {
		tool = filepath.Base(res.Argv[0])
	}
	text := fmt.Sprintf("exit %d, %s", res.Code, res.Duration.Round(time.Millisecond))
	if n := l.dropped.Swap(0); n > 0 {
		text += fmt.Sprintf("; %d lines of other zones and datasets left out", n)
	}
	if res.Code < 0 && res.Err != nil {
		text = res.Err.Error()
	}
	l.add(persist.LogEntry{Kind: "tool", Text: text, Tool: tool, Rung: l.currentRung()})
}

func (l *liveLog) add(en persist.LogEntry) {
	en.Time = l.e.now()
	l.mu.Lock()
	l.pending = append(l.pending, en)
	if l.timer == nil {
		l.timer = time.AfterFunc(flushEvery, l.flush)
	}
	l.mu.Unlock()
}

// flush stores the lines waiting, in one transaction of their own.
func (l *liveLog) flush() {
	err := l.withPending(func(batch []persist.LogEntry) error {
		if len(batch) == 0 {
			return nil
		}
		return l.e.store.AppendLog(l.jobID, batch...)
	})
	if err != nil {
		l.e.log.Warn().Err(err).Str("job", l.jobID).Msg("cannot append tool output to job log")
	}
}

// withPending hands write the lines waiting (perhaps none) and stores them
// in order with every other batch: the job's save writes them with the
// job's record (PutJobLog), flush on their own. Lines write could not
// store wait for the next write.
func (l *liveLog) withPending(write func([]persist.LogEntry) error) error {
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	err := write(batch)
	if err != nil && len(batch) > 0 {
		l.mu.Lock()
		l.pending = append(batch, l.pending...)
		if l.timer == nil {
			l.timer = time.AfterFunc(flushEvery, l.flush)
		}
		l.mu.Unlock()
		return err
	}
	if len(batch) > 0 {
		l.e.changed()
	}
	return err
}

// attachTail follows one attach log file.
type attachTail struct {
	stop chan struct{}
	done chan struct{}
}

// follow starts reading path as it grows.
func (l *liveLog) follow(path, tool string) {
	l.tailMu.Lock()
	defer l.tailMu.Unlock()
	if l.tail != nil {
		return
	}
	t := &attachTail{stop: make(chan struct{}), done: make(chan struct{})}
	l.tail = t
	rung := l.currentRung()
	go func() {
		defer close(t.done)
		var f *os.File
		var rd *bufio.Reader
		var partial string
		read := func() {
			if f == nil {
				var err error
				if f, err = os.Open(path); err != nil {
					return // not there yet
				}
				rd = bufio.NewReader(f)
			}
			for {
				s, err := rd.ReadString('\n')
				if err != nil {
					partial += s // a line still being written
					return
				}
				l.add(persist.LogEntry{Kind: "attach-log", Text: strings.TrimRight(partial+s, "\r\n"), Tool: tool, Rung: rung})
				partial = ""
			}
		}
		tick := time.NewTicker(tailEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				read()
			case <-t.stop:
				read()
				if partial != "" {
					l.add(persist.LogEntry{Kind: "attach-log", Text: partial, Tool: tool, Rung: rung})
				}
				if f != nil {
					f.Close()
					l.tailed.Store(&path)
				}
				return
			}
		}
	}()
}

// stopFollowing ends the tail after a last read (the tool has exited: the
// file is complete).
func (l *liveLog) stopFollowing() {
	l.tailMu.Lock()
	t := l.tail
	l.tail = nil
	l.tailMu.Unlock()
	if t != nil {
		close(t.stop)
		<-t.done
	}
}

// followed reports whether the attach log at path was followed to its
// end, so its text is in the job's log already.
func (l *liveLog) followed(path string) bool {
	p := l.tailed.Load()
	return p != nil && path != "" && *p == path
}
