package persist

import "errors"

var (
	// ErrNotFound: no such job.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another process (another zoneupd) holds the database.
	ErrLocked = errors.New("database locked by another process")
	// ErrCorrupt: the database file is not a valid zoneup database. It is
	// never overwritten.
	ErrCorrupt = errors.New("database corrupt")
	// ErrActive: the job is not terminal and cannot be deleted.
	ErrActive = errors.New("job is not terminal")
)

// Store is what the daemon needs from durable storage. Every write is one
// fsync'd transaction that has reached the disk when the call returns nil.
type Store interface {
	// PutJob creates or replaces a job and its zone index entry.
	PutJob(j *Job) error
	// PutJobs is PutJob for many jobs in one transaction (one fsync'd
	// commit): all of them are stored, or none.
	PutJobs(js []*Job) error
	// GetJob returns a copy of the job, or ErrNotFound.
	GetJob(id string) (*Job, error)
	// LatestJob returns the newest job of a zone, or ErrNotFound.
	LatestJob(zone string) (*Job, error)
	// ForEachJob calls fn for every job in enqueue (ID) order, each a copy
	// of its own that fn may keep (the daemon's listing decodes the next
	// jobs while it writes out the last). Stops at the first error fn
	// returns and returns it.
	ForEachJob(fn func(*Job) error) error
	// ActiveJobs returns every job that is not terminal, in enqueue order.
	ActiveJobs() ([]*Job, error)
	// DeleteJob removes a terminal job and its log; the zone's index then
	// names its newest remaining job, or none. A job that is not terminal
	// is refused (an error wrapping ErrActive); an unknown id is
	// ErrNotFound.
	DeleteJob(id string) error

	// AppendLog adds entries to a job's log, giving each the next sequence
	// number; the oldest entries are dropped past the per-job bound.
	AppendLog(jobID string, entries ...LogEntry) error
	// PutJobLog is PutJob of j and AppendLog of entries to its log in one
	// transaction: both are stored, or neither.
	PutJobLog(j *Job, entries ...LogEntry) error
	// Logs returns the job's entries with Seq > after, in order.
	Logs(jobID string, after uint64) ([]LogEntry, error)

	// Global returns the recorded global publisher state, or nil if none.
	Global() (*GlobalRecord, error)
	// PutGlobal records the global publisher state.
	PutGlobal(g *GlobalRecord) error
	// DeleteGlobal removes the record (after a complete restore).
	DeleteGlobal() error

	Queue() (QueueState, error)
	PutQueue(q QueueState) error

	// Check runs a consistency check of the whole database.
	Check() error
	Close() error
}
