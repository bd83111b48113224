package persist

import (
	"time"

	"zoneup/fsm"
)

// Job is the durable record of one zone's upgrade. The daemon rewrites the
// whole record in one fsync'd transaction at every checkpoint; the record is
// the truth, the in-memory state machine only checks transitions.
type Job struct {
	ID    string `json:"id"` // UTC enqueue time + random suffix; sorts in enqueue order
	Zone  string `json:"zone"`
	State string `json:"state"` // fsm state name

	Result string `json:"result,omitempty"` // fsm.Result of the terminal state: upgraded, blocked, ...
	Rung   string `json:"rung,omitempty"`   // the rung after which attach -u succeeded

	Snapshot      string `json:"snapshot,omitempty"`       // full name of the top snapshot, set before the call
	SnapshotTaken bool   `json:"snapshot_taken,omitempty"` // the snapshot call completed (or was found)

	Allow  []string `json:"allow,omitempty"` // destructive rungs allowed (config default + per job)
	NoBoot bool     `json:"no_boot,omitempty"`
	Ladder []string `json:"ladder,omitempty"` // rungs 2-7 frozen at the start of the attempt

	RemovedPackages []string `json:"removed_packages,omitempty"`
	RestoredFiles   []string `json:"restored_files,omitempty"`
	Warnings        []string `json:"warnings,omitempty"`
	Error           string   `json:"error,omitempty"`

	// Cause is the unfixable cause of a rollback or failure, for the circuit
	// breaker ("no-space", "transport http://...", "zone-gone", "boot", ...).
	Cause string `json:"cause,omitempty"`
	// Withheld is set when policy skipped a destructive rung for this job.
	Withheld bool `json:"withheld,omitempty"`

	History []Step `json:"history,omitempty"`

	Enqueued time.Time `json:"enqueued"`
	Started  time.Time `json:"started,omitzero"` // start of the current attempt
	Ended    time.Time `json:"ended,omitzero"`
	Attempt  int       `json:"attempt,omitempty"`

	// Facts found by preflight and kept for resume and rollback.
	PriorState string `json:"prior_state,omitempty"` // zone state before the attempt
	Zonepath   string `json:"zonepath,omitempty"`
	Dataset    string `json:"dataset,omitempty"` // the zonepath's dataset
	ZBE        string `json:"zbe,omitempty"`     // the active zone BE dataset
	Brand      string `json:"brand,omitempty"`   // the zone's brand (sparse and pkgsrc have overlays)

	// FailClass is the class of the last failed attach -u (no-solution,
	// transport, other, ...): the destructive rungs run only after a
	// package failure.
	FailClass string `json:"fail_class,omitempty"`
	// FailPublisher is the global publisher other than the first-ranked
	// one whose origin (or name, for a catalog refresh) the last failed
	// attach -u named, "" if none: on hosts whose attach -u copies the
	// global publishers, global-publishers runs only then.
	FailPublisher string `json:"fail_publisher,omitempty"`

	// RungIndex is the machine's ladder position (fsm.Point.Rung): the
	// position in [attach-update, Ladder...] of the rung whose attach -u
	// is due or running. Written with State by SetPoint only.
	RungIndex int `json:"rung_index,omitempty"`
	// Pending names a side effect that was started and not yet recorded as
	// finished ("halt", "snapshot", "detach", "attach", "uninstall",
	// "image-create", "install-library", "restore", "boot", "rollback", ...).
	// On resume the stage looks at the host to learn whether it completed.
	Pending string `json:"pending,omitempty"`
	// Done records completed one-shot side effects of the attempt, so they
	// are never repeated ("uninstall", "image-create", "install-library",
	// "restore", ...).
	Done map[string]bool `json:"done,omitempty"`
	// PendingPackages is the uninstall set recorded before the call.
	PendingPackages []string `json:"pending_packages,omitempty"`

	GZHolder        bool `json:"gz_holder,omitempty"`        // registered as needing the stripped global publishers
	CancelRequested bool `json:"cancel_requested,omitempty"` // the machine's cancel mark (fsm.Point.Cancel), written by SetPoint only
	BlockPending    bool `json:"block_pending,omitempty"`    // written by zoneupd before the boot-back state: read once to move such a job onto it
}

// Step is one entry of a job's stage history.
type Step struct {
	Stage   string    `json:"stage"`
	Rung    string    `json:"rung"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"`
	Outcome string    `json:"outcome"` // ok, failed, skipped, interrupted; "" while running
	Error   string    `json:"error"`
}

// Terminal reports whether the job has ended: its state is one of
// fsm.TerminalStates (the store keeps every other job in active/).
func (j *Job) Terminal() bool { return fsm.Terminal(fsm.State(j.State)) }

// Point is where the job's machine is: its state, ladder position and
// cancel mark.
func (j *Job) Point() fsm.Point {
	return fsm.Point{State: fsm.State(j.State), Rung: j.RungIndex, Cancel: j.CancelRequested}
}

// SetPoint records where the job's machine moves to (its persist hook).
func (j *Job) SetPoint(p fsm.Point) {
	j.State, j.RungIndex, j.CancelRequested = string(p.State), p.Rung, p.Cancel
}

// ResetForRetry makes j the next attempt of the same job (zoneupadm retry;
// the retry event then moves it to queued). Attempt counts up. What
// survives, and why:
//
//   - ID, Zone, Enqueued: it is the same job (SPEC 3: retry keeps the id).
//   - State, RungIndex, CancelRequested: the machine's point; the retry
//     event moves it (back to rung 0, the cancel mark cleared).
//   - History: the steps of every attempt, the job's whole story (SPEC 3).
//   - Snapshot, SnapshotTaken: the snapshot is the job's, never a second
//     one (SPEC 3); preflight refuses one this job did not take.
//   - Allow, NoBoot: what the configuration and the operator asked for at
//     enqueue.
//   - RemovedPackages: what the job's attempts uninstalled, gathered over
//     the attempts like History.
//   - PriorState, Zonepath, Dataset, ZBE, Brand: facts preflight reads
//     again and records before any stage acts on them.
//   - GZHolder: false unless the keeper has not let the job go yet (its
//     release failed); kept, so that the new attempt releases it again.
//
// Everything else belongs to one attempt and starts empty: the result,
// rung, error, cause and withheld mark, the frozen ladder and the place
// the failure class and publisher, what was pending or done, the
// warnings and restored files, the attempt's times, and an older
// zoneupd's block request. A field added to Job is cleared here until it is
// listed; TestResetForRetryDecidesEveryField makes the choice explicit.
func (j *Job) ResetForRetry() {
	*j = Job{
		ID:              j.ID,
		Zone:            j.Zone,
		Enqueued:        j.Enqueued,
		State:           j.State,
		RungIndex:       j.RungIndex,
		CancelRequested: j.CancelRequested,
		History:         j.History,
		Snapshot:        j.Snapshot,
		SnapshotTaken:   j.SnapshotTaken,
		Allow:           j.Allow,
		NoBoot:          j.NoBoot,
		RemovedPackages: j.RemovedPackages,
		PriorState:      j.PriorState,
		Zonepath:        j.Zonepath,
		Dataset:         j.Dataset,
		ZBE:             j.ZBE,
		Brand:           j.Brand,
		GZHolder:        j.GZHolder,
		Attempt:         j.Attempt + 1,
	}
}

// GlobalRecord is the global zone's publisher list as it was before zoneup
// first stripped it, and who needs it stripped.
type GlobalRecord struct {
	Original []Publisher `json:"original"`          // search order, first = first-ranked
	Stripped bool        `json:"stripped"`          // the strip has started (restore is due when no holder is left)
	Holders  []string    `json:"holders,omitempty"` // job IDs
}

// Publisher is one global publisher as recorded before the strip: what
// set-publisher needs to put it back exactly. The store owns this format;
// the daemon converts from and to the host adapter's publisher. The JSON
// names and omitempty choices are those the record has always had on disk
// (testdata/global-record.json): change them only with a migration.
type Publisher struct {
	Name    string   `json:"name"`
	Origins []string `json:"origins,omitempty"` // in the listing's order
	Mirrors []string `json:"mirrors,omitempty"`
	Enabled bool     `json:"enabled"`
	Sticky  bool     `json:"sticky"`
	SSLKey  string   `json:"ssl_key,omitempty"`
	SSLCert string   `json:"ssl_cert,omitempty"`
	Proxies []string `json:"proxies,omitempty"`
	// Properties are the publisher's properties (signature-policy, ...),
	// which unset-publisher loses.
	Properties map[string]string `json:"properties,omitempty"`
}

// LogEntry is one line of a job's log.
type LogEntry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Kind string    `json:"kind"` // "event", "tool", "stdout", "stderr", "attach-log"
	Text string    `json:"text"`
	// Tool and Rung say whose output a line is: the program (zoneadm,
	// pkg, ...) and the rung the job was on ("" when none).
	Tool string `json:"tool,omitempty"`
	Rung string `json:"rung,omitempty"`
}

// QueueState is the persisted state of the queue as a whole.
type QueueState struct {
	Paused bool   `json:"paused"`
	Reason string `json:"reason,omitempty"` // why (operator, or the circuit breaker's cause)
	// The circuit breaker's count: so many jobs in a row ended with this
	// unfixable cause (kept across restarts; zeroed by resume).
	BreakerCause string `json:"breaker_cause,omitempty"`
	BreakerCount int    `json:"breaker_count,omitempty"`
	// LastReport is when the last default report was made: with a window
	// that is always open, the next one covers what ended since.
	LastReport time.Time `json:"last_report,omitzero"`
	// LastMail is when the morning report was last mailed (report_mail),
	// so that a restart neither mails a night twice nor forgets one.
	LastMail time.Time `json:"last_mail,omitzero"`
}
