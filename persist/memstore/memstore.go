// Package memstore is an in-memory persist.Store for the daemon's unit
// tests. It keeps every record JSON-encoded, as the bbolt store does, so
// what comes back is exactly what the real store would return (nil and
// empty slices, time zones) and callers can never alias its contents.
// persist/storetest holds both implementations to the same contract.
package memstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"zoneup/persist"
)

// ErrClosed is returned by every method after Close.
var ErrClosed = errors.New("memstore: closed")

// Options tune New.
type Options struct {
	// LogLimit is the number of bytes of log kept per job, counted as the
	// bbolt store counts them; zero means persist.DefaultLogLimit.
	LogLimit int
}

// Store is an in-memory persist.Store, safe for concurrent use.
type Store struct {
	mu       sync.Mutex
	closed   bool
	logLimit int

	jobs   map[string][]byte // id -> JSON Job
	zoneOf map[string]string // id -> zone
	zones  map[string]string // zone -> newest id
	active map[string]bool   // ids of non-terminal jobs
	logs   map[string]*jobLog
	global []byte // JSON GlobalRecord, nil if none
	queue  []byte // JSON QueueState, nil if none
}

// jobLog is one job's log: entries in seq order and their total size.
type jobLog struct {
	last    uint64 // the last seq given out
	entries []entry
	total   int
}

type entry struct {
	seq uint64
	val []byte // JSON LogEntry
}

var _ persist.Store = (*Store)(nil)

// New returns an empty store.
func New(opts Options) *Store {
	if opts.LogLimit <= 0 {
		opts.LogLimit = persist.DefaultLogLimit
	}
	return &Store{
		logLimit: opts.LogLimit,
		jobs:     map[string][]byte{},
		zoneOf:   map[string]string{},
		zones:    map[string]string{},
		active:   map[string]bool{},
		logs:     map[string]*jobLog{},
	}
}

// Clone returns a copy of the store as it is at this instant (one lock
// held throughout), open even if s is closed: what a database file holds
// when its process is killed at that instant. The crash scenarios restart
// the daemon on it while the dead engine's later writes go to s.
func (s *Store) Clone() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := New(Options{LogLimit: s.logLimit})
	// Stored values are never changed in place (every write replaces
	// them), so the copies may share them.
	maps.Copy(c.jobs, s.jobs)
	maps.Copy(c.zoneOf, s.zoneOf)
	maps.Copy(c.zones, s.zones)
	maps.Copy(c.active, s.active)
	for id, l := range s.logs {
		c.logs[id] = &jobLog{last: l.last, entries: slices.Clone(l.entries), total: l.total}
	}
	c.global, c.queue = s.global, s.queue
	return c
}

// lock takes the mutex unless the store is closed.
func (s *Store) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// PutJob stores a copy of j and updates the zone and active indexes.
func (s *Store) PutJob(j *persist.Job) error { return s.PutJobLog(j) }

// PutJobLog is PutJob and AppendLog of j's log in one step: both are
// stored, or neither.
func (s *Store) PutJobLog(j *persist.Job, entries ...persist.LogEntry) error {
	if j == nil || j.ID == "" || j.Zone == "" {
		return errors.New("memstore: a job needs an id and a zone")
	}
	val, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("memstore: encoding job %s: %w", j.ID, err)
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if zone, ok := s.zoneOf[j.ID]; ok && zone != j.Zone {
		return fmt.Errorf("memstore: job %s belongs to zone %s, not %s", j.ID, zone, j.Zone)
	}
	log, err := s.appended(j.ID, entries)
	if err != nil {
		return err
	}
	s.jobs[j.ID] = val
	s.zoneOf[j.ID] = j.Zone
	if cur, ok := s.zones[j.Zone]; !ok || j.ID >= cur {
		s.zones[j.Zone] = j.ID
	}
	if j.Terminal() {
		delete(s.active, j.ID)
	} else {
		s.active[j.ID] = true
	}
	if log != nil {
		s.logs[j.ID] = log
	}
	return nil
}

// PutJobs stores each job (all of them, or none when one is invalid).
func (s *Store) PutJobs(js []*persist.Job) error {
	for _, j := range js {
		if j == nil || j.ID == "" || j.Zone == "" {
			return errors.New("memstore: a job needs an id and a zone")
		}
	}
	for _, j := range js {
		if err := s.PutJob(j); err != nil {
			return err
		}
	}
	return nil
}

// DeleteJob removes a terminal job and its log.
func (s *Store) DeleteJob(id string) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.jobs[id]; !ok {
		return fmt.Errorf("job %s: %w", id, persist.ErrNotFound)
	}
	if s.active[id] {
		return fmt.Errorf("job %s: %w", id, persist.ErrActive)
	}
	zone := s.zoneOf[id]
	delete(s.jobs, id)
	delete(s.zoneOf, id)
	delete(s.logs, id)
	if s.zones[zone] == id {
		delete(s.zones, zone)
		for other, z := range s.zoneOf {
			if z == zone && other > s.zones[zone] {
				s.zones[zone] = other
			}
		}
	}
	return nil
}

// GetJob returns a copy of the job, or an error wrapping persist.ErrNotFound.
func (s *Store) GetJob(id string) (*persist.Job, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	val, ok := s.jobs[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("job %s: %w", id, persist.ErrNotFound)
	}
	return decodeJob(val)
}

func decodeJob(val []byte) (*persist.Job, error) {
	j := new(persist.Job)
	if err := json.Unmarshal(val, j); err != nil {
		return nil, fmt.Errorf("%w: %w", persist.ErrCorrupt, err)
	}
	return j, nil
}

// LatestJob returns a copy of the zone's newest job.
func (s *Store) LatestJob(zone string) (*persist.Job, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	id, ok := s.zones[zone]
	val := s.jobs[id]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("zone %s: %w", zone, persist.ErrNotFound)
	}
	return decodeJob(val)
}

// ForEachJob calls fn on a fresh copy of every job in ID order, without
// holding the lock, so fn may use the store.
func (s *Store) ForEachJob(fn func(*persist.Job) error) error {
	if err := s.lock(); err != nil {
		return err
	}
	ids := make([]string, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	vals := make([][]byte, len(ids))
	for i, id := range ids {
		vals[i] = s.jobs[id] // never modified in place: PutJob replaces the slice
	}
	s.mu.Unlock()
	for _, val := range vals {
		j, err := decodeJob(val)
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return err
		}
	}
	return nil
}

// ActiveJobs returns copies of the non-terminal jobs in ID order.
func (s *Store) ActiveJobs() ([]*persist.Job, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(s.active))
	for id := range s.active {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	vals := make([][]byte, len(ids))
	for i, id := range ids {
		vals[i] = s.jobs[id]
	}
	s.mu.Unlock()
	var out []*persist.Job
	for _, val := range vals {
		j, err := decodeJob(val)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// AppendLog numbers and keeps entries, then drops the oldest while the log
// is over the limit, as the bbolt store does: an entry costs the length of
// its JSON encoding with its Seq, and the newest entry always stays.
func (s *Store) AppendLog(jobID string, entries ...persist.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.jobs[jobID]; !ok {
		return fmt.Errorf("job %s: %w", jobID, persist.ErrNotFound)
	}
	log, err := s.appended(jobID, entries)
	if err != nil {
		return err
	}
	s.logs[jobID] = log
	return nil
}

// appended returns the job's log with entries added and the oldest dropped
// past the limit, or nil for no entries; the log stored is not touched, so
// that an encoding error leaves it as it was, like an aborted transaction.
// s.mu is held.
func (s *Store) appended(jobID string, entries []persist.LogEntry) (*jobLog, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	l := s.logs[jobID]
	if l == nil {
		l = &jobLog{}
	}
	next := jobLog{last: l.last, entries: slices.Clone(l.entries), total: l.total}
	for _, e := range entries {
		next.last++
		e.Seq = next.last
		val, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("memstore: encoding log entry: %w", err)
		}
		next.entries = append(next.entries, entry{seq: e.Seq, val: val})
		next.total += len(val)
	}
	drop := 0
	for next.total > s.logLimit && drop < len(next.entries)-1 {
		next.total -= len(next.entries[drop].val)
		drop++
	}
	next.entries = slices.Delete(next.entries, 0, drop)
	return &next, nil
}

// Logs returns copies of the job's entries with Seq > after.
func (s *Store) Logs(jobID string, after uint64) ([]persist.LogEntry, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if _, ok := s.jobs[jobID]; !ok {
		return nil, fmt.Errorf("job %s: %w", jobID, persist.ErrNotFound)
	}
	l := s.logs[jobID]
	if l == nil {
		return nil, nil
	}
	var out []persist.LogEntry
	for _, e := range l.entries {
		if e.seq <= after {
			continue
		}
		var le persist.LogEntry
		if err := json.Unmarshal(e.val, &le); err != nil {
			return nil, fmt.Errorf("%w: %w", persist.ErrCorrupt, err)
		}
		out = append(out, le)
	}
	return out, nil
}

// Global returns a copy of the global publisher record, or nil.
func (s *Store) Global() (*persist.GlobalRecord, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	val := s.global
	s.mu.Unlock()
	if val == nil {
		return nil, nil
	}
	g := new(persist.GlobalRecord)
	if err := json.Unmarshal(val, g); err != nil {
		return nil, fmt.Errorf("%w: %w", persist.ErrCorrupt, err)
	}
	return g, nil
}

// PutGlobal stores a copy of g.
func (s *Store) PutGlobal(g *persist.GlobalRecord) error {
	if g == nil {
		return errors.New("memstore: nil global record")
	}
	val, err := json.Marshal(g)
	if err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	s.global = val
	s.mu.Unlock()
	return nil
}

// DeleteGlobal removes the global publisher record.
func (s *Store) DeleteGlobal() error {
	if err := s.lock(); err != nil {
		return err
	}
	s.global = nil
	s.mu.Unlock()
	return nil
}

// Queue returns the queue state, the zero value if none was stored.
func (s *Store) Queue() (persist.QueueState, error) {
	var q persist.QueueState
	if err := s.lock(); err != nil {
		return q, err
	}
	val := s.queue
	s.mu.Unlock()
	if val == nil {
		return q, nil
	}
	if err := json.Unmarshal(val, &q); err != nil {
		return q, fmt.Errorf("%w: %w", persist.ErrCorrupt, err)
	}
	return q, nil
}

// PutQueue stores the queue state.
func (s *Store) PutQueue(q persist.QueueState) error {
	val, err := json.Marshal(q)
	if err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return err
	}
	s.queue = val
	s.mu.Unlock()
	return nil
}

// Check verifies that the indexes only name stored jobs and that each
// stored job is indexed as its state says.
func (s *Store) Check() error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	var problems []string
	for zone, id := range s.zones {
		if s.zoneOf[id] != zone {
			problems = append(problems, fmt.Sprintf("zone %s names job %s of zone %q", zone, id, s.zoneOf[id]))
		}
	}
	for id := range s.active {
		if _, ok := s.jobs[id]; !ok {
			problems = append(problems, fmt.Sprintf("active job %s is missing", id))
		}
	}
	for id, l := range s.logs {
		if _, ok := s.jobs[id]; !ok {
			problems = append(problems, fmt.Sprintf("log of missing job %s", id))
		}
		total := 0
		for _, e := range l.entries {
			total += len(e.val)
		}
		if total != l.total {
			problems = append(problems, fmt.Sprintf("log of job %s counts %d bytes, holds %d", id, l.total, total))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("%w: %s", persist.ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// Close makes every later call fail with ErrClosed. It is safe to call
// twice.
func (s *Store) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}
