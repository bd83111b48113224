package persist

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults for Options.
const (
	// DefaultTimeout is how long Open waits for the file lock.
	DefaultTimeout = 2 * time.Second
	// DefaultLogLimit is how many bytes of log a job keeps.
	DefaultLogLimit = 256 << 10
)

// Options tune Open. The zero value is what the daemon wants.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process;
	// zero means DefaultTimeout (bbolt's own zero would wait forever).
	Timeout time.Duration
	// LogLimit is the number of bytes of log kept per job (the size of
	// the stored entries, see AppendLog); zero means DefaultLogLimit.
	LogLimit int
	// ReadOnly opens an existing database for inspection while no daemon
	// runs. It takes a shared lock, which conflicts with the daemon's.
	ReadOnly bool
}

// DB is the bbolt implementation of Store. Open it once per process.
type DB struct {
	db       *bolt.DB
	path     string
	logLimit int
	release  func() // gives up the in-process claim on path, once
	// ModeWas is the file's mode when Open found it readable by others
	// and made it 0600 (0 when it was 0600 already): the daemon logs it.
	ModeWas fs.FileMode
}

var _ Store = (*DB)(nil)

// forEachChunk is how many raw job records ForEachJob copies out of one
// read transaction before calling fn on them.
const forEachChunk = 64

// Open opens (creating if needed) the database at path.
//
// Errors: one wrapping ErrLocked when another process (or this one) holds
// the file; one wrapping ErrCorrupt when the file is not a zoneup
// database bbolt can read, or was written by a newer zoneup. Both messages
// name the file and what to do. A corrupt file is left exactly as it was.
func Open(path string, opts Options) (*DB, error) {
	return openWith(path, opts, migrations)
}

// openWith is Open with an explicit migration list, so tests can add a
// synthetic future schema.
func openWith(path string, opts Options, migs []migration) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.LogLimit <= 0 {
		opts.LogLimit = DefaultLogLimit
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}

	fresh := false // a new file: its directory entry must be synced
	switch st, err := os.Stat(abs); {
	case err == nil && st.Size() == 0:
		// Never initialised over: a file that is there is somebody's.
		// zoneupd's own first open makes the file whole before it has
		// its name (create), so an empty one is not from a crash of ours.
		return nil, corrupt(abs, errors.New("the file is empty (0 bytes), not a zoneup database"))
	case errors.Is(err, fs.ErrNotExist):
		fresh = true
	case err != nil:
		return nil, fmt.Errorf("database %s: %w", abs, err)
	}
	if fresh && opts.ReadOnly {
		return nil, fmt.Errorf("database %s: %w (nothing to open read-only)", abs, fs.ErrNotExist)
	}
	var createdDirs []string
	if !opts.ReadOnly {
		if createdDirs, err = mkdirs(filepath.Dir(abs)); err != nil {
			return nil, fmt.Errorf("database %s: %w", abs, err)
		}
	}

	// fcntl locks (Solaris, illumos) do not stop a second open in the same
	// process, and that second handle would corrupt the file: refuse it
	// here, before bbolt opens (and later closes) a second descriptor,
	// which would also drop the process's lock.
	key := abs
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		key = filepath.Join(dir, filepath.Base(abs)) // one claim whatever the spelling
	}
	release, err := claim(key)
	if err != nil {
		return nil, err
	}

	if fresh && !opts.ReadOnly {
		if err := create(abs, opts, migs); err != nil {
			release()
			return nil, err
		}
	}
	var modeWas fs.FileMode
	if st, err := os.Stat(abs); err == nil && !opts.ReadOnly && st.Mode().Perm()&^0o600 != 0 {
		// The database holds every job's log: nobody but root reads it.
		modeWas = st.Mode().Perm()
		if err := os.Chmod(abs, 0o600); err != nil {
			release()
			return nil, fmt.Errorf("database %s: mode %v: %w", abs, modeWas, err)
		}
	}
	bdb, err := boltOpen(abs, opts)
	if err != nil {
		release()
		return nil, classifyOpenError(abs, err)
	}
	d := &DB{db: bdb, path: abs, logLimit: opts.LogLimit, release: sync.OnceFunc(release), ModeWas: modeWas}
	if err := d.prepare(migs, opts.ReadOnly); err != nil {
		d.Close()
		return nil, err
	}
	if fresh {
		// bbolt syncs the file, never the directory entry that names it.
		for _, dir := range append([]string{filepath.Dir(abs)}, createdDirs...) {
			if err := syncDir(dir); err != nil {
				d.Close()
				return nil, fmt.Errorf("database %s: %w", abs, err)
			}
		}
	}
	return d, nil
}

// create makes a new database at abs whole before it has that name: it is
// written and synced as abs.new, then linked to abs (a link, not a rename,
// so that a file another process made meanwhile is never replaced), so a
// crash leaves either no database or a complete empty one.
func create(abs string, opts Options, migs []migration) error {
	tmp := abs + ".new"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database %s: %w", abs, err)
	}
	defer os.Remove(tmp)
	bdb, err := boltOpen(tmp, opts)
	if err != nil {
		return classifyOpenError(tmp, err)
	}
	d := &DB{db: bdb, path: tmp, logLimit: opts.LogLimit, release: func() {}}
	err = d.prepare(migs, false)
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, abs); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("database %s: %w", abs, err)
	}
	return nil
}

// boltOpen calls bolt.Open, turning a panic on a damaged file into an
// error (bbolt trusts the pages it maps).
func boltOpen(path string, opts Options) (db *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("bbolt panicked: %v", r)
		}
	}()
	return bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  opts.Timeout,
		ReadOnly: opts.ReadOnly,
		// No freelist page: rebuilt at open by walking every reachable
		// page, which removes the "corrupt freelist" failure class (as
		// etcd and containerd do). The price: opening reads the whole
		// file (25 ms and the file's size in resident pages for 185 MB
		// here, warm).
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		// Used when the file is created. bbolt never leaves more than
		// len-3 entries on the left of a split, so ~1 KB job records
		// fill only half of a 4 KiB page; 16 KiB pages are nearly full.
		PageSize: 16 << 10,
	})
}

// classifyOpenError turns a bolt.Open error into one of our kinds.
func classifyOpenError(path string, err error) error {
	var pe *fs.PathError
	var errno syscall.Errno
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("%w: another zoneupd holds %s; stop it first", ErrLocked, path)
	case errors.As(err, &pe), errors.As(err, &errno):
		// The environment, not the file: permissions, a directory, no
		// memory for the map, no locks on this file system.
		return fmt.Errorf("database %s: %w", path, err)
	default:
		return corrupt(path, err)
	}
}

// corrupt wraps ErrCorrupt with the file and the way out.
func corrupt(path string, err error) error {
	return fmt.Errorf("%w: %s: %v; it is left untouched: move it aside (zoneupd then starts a new one) and inspect it with `bbolt check %s`",
		ErrCorrupt, path, err, path)
}

// prepare checks that the file is a zoneup database this build can read
// and brings an older schema up to date in one transaction.
func (d *DB) prepare(migs []migration, readOnly bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(d.path, fmt.Errorf("bbolt panicked: %v", r))
		}
	}()
	latest := migs[len(migs)-1].to
	var have int
	if err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		have, err = readSchema(tx)
		return err
	}); err != nil {
		return corrupt(d.path, err)
	}
	switch {
	case have > latest:
		return corrupt(d.path, fmt.Errorf("schema %d is newer than this zoneupd knows (%d); run the newer zoneupd", have, latest))
	case have == latest:
		return d.view(func(tx *bolt.Tx) error {
			for _, name := range buckets {
				if tx.Bucket(name) == nil {
					return corrupt(d.path, fmt.Errorf("bucket %s is missing", name))
				}
			}
			return nil
		})
	case readOnly:
		return fmt.Errorf("database %s: schema %d needs upgrading to %d; start zoneupd on it once", d.path, have, latest)
	}
	// Never batched: this must be one transaction that has reached the
	// disk before the daemon writes anything in the new layout.
	if err := d.db.Update(func(tx *bolt.Tx) error { return migrate(tx, migs) }); err != nil {
		return fmt.Errorf("database %s: upgrading the schema: %w", d.path, err)
	}
	return nil
}

// Close releases the database and its lock; later calls fail with
// bbolt's ErrDatabaseNotOpen. It is safe to call twice.
func (d *DB) Close() error {
	err := d.db.Close() // waits for running transactions
	d.release()
	return err
}

// update runs fn in one read-write transaction, committed with two
// fsyncs before it returns. Checkpoints never use Batch: Batch may run fn
// twice and delays a lone writer.
func (d *DB) update(fn func(tx *bolt.Tx) error) error { return d.db.Update(fn) }

func (d *DB) view(fn func(tx *bolt.Tx) error) error { return d.db.View(fn) }

// PutJob stores j, points its zone at it if it is the zone's newest job,
// and adds it to or removes it from the active index.
func (d *DB) PutJob(j *Job) error { return d.PutJobs([]*Job{j}) }

// PutJobs stores every job of js as PutJob does, in one transaction.
func (d *DB) PutJobs(js []*Job) error {
	vals := make([][]byte, len(js))
	for i, j := range js {
		if j == nil || j.ID == "" || j.Zone == "" {
			return errors.New("persist: a job needs an id and a zone")
		}
		// Encode outside the transaction: the write lock is held for the
		// puts and the fsyncs only.
		vals[i] = encodeJob(j)
	}
	return d.update(func(tx *bolt.Tx) error {
		for i, j := range js {
			if err := d.putJob(tx, j, vals[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// putJob is one job of PutJobs, inside tx.
func (d *DB) putJob(tx *bolt.Tx, j *Job, val []byte) error {
	id := []byte(j.ID)
	jobs := tx.Bucket(bucketJobs)
	if old := jobs.Get(id); old != nil {
		prev, err := d.decodeJob(id, old)
		if err != nil {
			return err
		}
		if prev.Zone != j.Zone {
			return fmt.Errorf("persist: job %s belongs to zone %s, not %s", j.ID, prev.Zone, j.Zone)
		}
	}
	// IDs grow in enqueue order and only the newest jobs change, so
	// pages can be packed full: fewer pages for ForEachJob to map in.
	jobs.FillPercent = 1.0
	if err := jobs.Put(id, val); err != nil {
		return err
	}
	zones := tx.Bucket(bucketZones)
	if cur := zones.Get([]byte(j.Zone)); cur == nil || bytes.Compare(id, cur) >= 0 {
		if err := zones.Put([]byte(j.Zone), id); err != nil {
			return err
		}
	}
	active := tx.Bucket(bucketActive)
	if j.Terminal() {
		return active.Delete(id)
	}
	return active.Put(id, []byte(j.Zone))
}

// DeleteJob removes a terminal job, its log and its log size, and points
// the zone's index at its newest remaining job (the greatest id of that
// zone: one reverse walk of jobs/), or drops the entry.
func (d *DB) DeleteJob(id string) error {
	key := []byte(id)
	return d.update(func(tx *bolt.Tx) error {
		j, err := d.job(tx, key)
		if err != nil {
			return err
		}
		if !j.Terminal() {
			return fmt.Errorf("job %s is %s: %w", id, j.State, ErrActive)
		}
		jobs := tx.Bucket(bucketJobs)
		if err := jobs.Delete(key); err != nil {
			return err
		}
		if tx.Bucket(bucketLogs).Bucket(key) != nil {
			if err := tx.Bucket(bucketLogs).DeleteBucket(key); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketLogSize).Delete(key); err != nil {
			return err
		}
		zones := tx.Bucket(bucketZones)
		if !bytes.Equal(zones.Get([]byte(j.Zone)), key) {
			return nil
		}
		c := jobs.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			other, err := d.decodeJob(k, v)
			if err != nil {
				return err
			}
			if other.Zone == j.Zone {
				return zones.Put([]byte(j.Zone), slices.Clone(k))
			}
		}
		return zones.Delete([]byte(j.Zone))
	})
}

// GetJob returns the job, or an error wrapping ErrNotFound.
func (d *DB) GetJob(id string) (*Job, error) {
	var j *Job
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		j, err = d.job(tx, []byte(id))
		return err
	})
	return j, err
}

// job decodes one job inside tx.
func (d *DB) job(tx *bolt.Tx, id []byte) (*Job, error) {
	val := tx.Bucket(bucketJobs).Get(id)
	if val == nil {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	return d.decodeJob(id, val)
}

func (d *DB) decodeJob(id, val []byte) (*Job, error) {
	j, err := decodeJobRecord(val)
	if err != nil {
		return nil, corrupt(d.path, fmt.Errorf("job %s: %w", id, err))
	}
	return j, nil
}

// LatestJob returns the zone's newest job through the zone index.
func (d *DB) LatestJob(zone string) (*Job, error) {
	var j *Job
	err := d.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketZones).Get([]byte(zone))
		if id == nil {
			return fmt.Errorf("zone %s: %w", zone, ErrNotFound)
		}
		var err error
		if j, err = d.job(tx, id); errors.Is(err, ErrNotFound) {
			return corrupt(d.path, fmt.Errorf("zone index names missing job %s", id))
		}
		return err
	})
	return j, err
}

// ForEachJob calls fn for every job in ID order, decoding one at a time.
//
// It copies the raw records out of a read transaction forEachChunk at a
// time and calls fn outside it. A read transaction held across fn (which
// may write to a slow socket client) would stop bbolt from remapping a
// growing file, and so block every checkpoint; it would also deadlock if
// fn wrote to the store. Jobs put during the walk may or may not be seen;
// none is seen twice.
func (d *DB) ForEachJob(fn func(*Job) error) error {
	var (
		last  []byte   // the last key handed out
		arena []byte   // raw records of the current chunk
		ends  []int    // end offsets of each record in arena
		keys  [][]byte // their keys, for error messages
	)
	for {
		arena, ends, keys = arena[:0], ends[:0], keys[:0]
		err := d.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketJobs).Cursor()
			k, v := c.First()
			if last != nil {
				if k, v = c.Seek(last); bytes.Equal(k, last) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(ends) < forEachChunk; k, v = c.Next() {
				arena = append(arena, v...)
				ends = append(ends, len(arena))
				keys = append(keys, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		start := 0
		for i, end := range ends {
			j, err := d.decodeJob(keys[i], arena[start:end])
			if err != nil {
				return err
			}
			start = end
			if err := fn(j); err != nil {
				return err
			}
		}
		if len(ends) < forEachChunk {
			return nil
		}
		last = keys[len(keys)-1]
	}
}

// ActiveJobs returns the non-terminal jobs in ID order, reading only the
// jobs the active index names.
func (d *DB) ActiveJobs() ([]*Job, error) {
	var out []*Job
	err := d.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketActive).Cursor()
		for id, _ := c.First(); id != nil; id, _ = c.Next() {
			j, err := d.job(tx, id)
			if errors.Is(err, ErrNotFound) {
				return corrupt(d.path, fmt.Errorf("active index names missing job %s", id))
			}
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// AppendLog numbers and stores entries in the job's log, then drops the
// oldest entries while the log is over the limit. The size of an entry is
// the length of its JSON encoding (as stored, with its Seq); the newest
// entry is always kept, even alone over the limit.
func (d *DB) AppendLog(jobID string, entries ...LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return d.update(func(tx *bolt.Tx) error { return d.appendLog(tx, jobID, entries) })
}

// PutJobLog stores j as PutJob does and appends entries to its log as
// AppendLog does, in one transaction: the job's record and the log lines
// that lead to it reach the disk together, at the cost of one commit.
func (d *DB) PutJobLog(j *Job, entries ...LogEntry) error {
	if j == nil || j.ID == "" || j.Zone == "" {
		return errors.New("persist: a job needs an id and a zone")
	}
	val := encodeJob(j) // outside the transaction, as PutJobs does
	return d.update(func(tx *bolt.Tx) error {
		if err := d.putJob(tx, j, val); err != nil {
			return err
		}
		return d.appendLog(tx, j.ID, entries)
	})
}

// appendLog is AppendLog inside tx.
func (d *DB) appendLog(tx *bolt.Tx, jobID string, entries []LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	id := []byte(jobID)
	if tx.Bucket(bucketJobs).Get(id) == nil {
		return fmt.Errorf("job %s: %w", jobID, ErrNotFound)
	}
	log, err := tx.Bucket(bucketLogs).CreateBucketIfNotExists(id)
	if err != nil {
		return err
	}
	log.FillPercent = 1.0 // sequence keys only ever append
	sizes := tx.Bucket(bucketLogSize)
	total := uint64(0)
	if v := sizes.Get(id); len(v) == 8 {
		total = binary.BigEndian.Uint64(v)
	}
	for _, e := range entries { // e is a copy: the caller's slice is not touched
		if e.Seq, err = log.NextSequence(); err != nil {
			return err
		}
		val, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("persist: encoding log entry: %w", err)
		}
		if err := log.Put(seqKey(e.Seq), val); err != nil {
			return err
		}
		total += uint64(len(val))
	}
	newest := seqKey(log.Sequence())
	c := log.Cursor()
	for k, v := c.First(); k != nil && total > uint64(d.logLimit); k, v = c.First() {
		if bytes.Equal(k, newest) {
			break // the newest entry stays, even alone over the limit
		}
		total -= uint64(len(v))
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return sizes.Put(id, binary.BigEndian.AppendUint64(nil, total))
}

// Logs returns the job's log entries with Seq > after.
func (d *DB) Logs(jobID string, after uint64) ([]LogEntry, error) {
	var out []LogEntry
	id := []byte(jobID)
	err := d.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketJobs).Get(id) == nil {
			return fmt.Errorf("job %s: %w", jobID, ErrNotFound)
		}
		log := tx.Bucket(bucketLogs).Bucket(id)
		if log == nil || after == ^uint64(0) {
			return nil
		}
		c := log.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil; k, v = c.Next() {
			var e LogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return corrupt(d.path, fmt.Errorf("log of job %s: %w", jobID, err))
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// seqKey is the key of a log entry: big-endian, so keys sort by number.
func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// Global returns the global publisher record, or nil if there is none.
func (d *DB) Global() (*GlobalRecord, error) {
	var g *GlobalRecord
	err := d.view(func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketState).Get(keyGlobal)
		if val == nil {
			return nil
		}
		g = new(GlobalRecord)
		if err := json.Unmarshal(val, g); err != nil {
			return corrupt(d.path, fmt.Errorf("global record: %w", err))
		}
		return nil
	})
	return g, err
}

// PutGlobal stores the global publisher record.
func (d *DB) PutGlobal(g *GlobalRecord) error {
	if g == nil {
		return errors.New("persist: nil global record")
	}
	return d.putState(keyGlobal, g)
}

// DeleteGlobal removes the global publisher record; none is not an error.
func (d *DB) DeleteGlobal() error {
	return d.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketState).Delete(keyGlobal) })
}

// Queue returns the queue state; the zero value if none was stored.
func (d *DB) Queue() (QueueState, error) {
	var q QueueState
	err := d.view(func(tx *bolt.Tx) error {
		val := tx.Bucket(bucketState).Get(keyQueue)
		if val == nil {
			return nil
		}
		if err := json.Unmarshal(val, &q); err != nil {
			return corrupt(d.path, fmt.Errorf("queue state: %w", err))
		}
		return nil
	})
	return q, err
}

// PutQueue stores the queue state.
func (d *DB) PutQueue(q QueueState) error { return d.putState(keyQueue, q) }

func (d *DB) putState(key []byte, v any) error {
	val, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("persist: encoding %s: %w", key, err)
	}
	return d.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketState).Put(key, val) })
}

// Check runs bbolt's page-level check and verifies that the indexes only
// name stored jobs. Problems come back wrapping ErrCorrupt. It reads every
// page, so its cost grows with the file (logs included).
func (d *DB) Check() error {
	var problems []string
	err := d.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) > 0 {
			return nil // the indexes cannot be trusted either
		}
		if _, err := readSchema(tx); err != nil {
			problems = append(problems, err.Error())
			return nil
		}
		jobs := tx.Bucket(bucketJobs)
		for _, index := range [][]byte{bucketZones, bucketActive} {
			err := tx.Bucket(index).ForEach(func(k, v []byte) error {
				id := v
				if bytes.Equal(index, bucketActive) {
					id = k
				}
				if jobs.Get(id) == nil {
					problems = append(problems, fmt.Sprintf("%s/%s names missing job %s", index, k, id))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return tx.Bucket(bucketLogs).ForEachBucket(func(k []byte) error {
			if jobs.Get(k) == nil {
				problems = append(problems, fmt.Sprintf("logs/%s belongs to no job", k))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		const most = 10
		n := len(problems)
		if n > most {
			problems = append(problems[:most], fmt.Sprintf("and %d more", n-most))
		}
		return corrupt(d.path, errors.New(strings.Join(problems, "; ")))
	}
	return nil
}

// mkdirs creates dir and any missing parents with mode 0700, returning
// the parents of the directories it created (whose entries need syncing).
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			break
		}
		missing = append(missing, d)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	parents := make([]string, len(missing))
	for i, d := range missing {
		parents[i] = filepath.Dir(d)
	}
	return parents, nil
}

// syncDir fsyncs a directory so that a new entry in it survives power
// loss.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
