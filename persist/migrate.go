package persist

import (
	"errors"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// Bucket and key names; doc.go draws how they nest.
var (
	bucketMeta    = []byte("meta")    // schema version
	keySchema     = []byte("schema")  // meta/schema: the version as decimal ASCII
	bucketJobs    = []byte("jobs")    // job id -> JSON Job
	bucketZones   = []byte("zones")   // zone -> id of its newest job
	bucketActive  = []byte("active")  // id of a non-terminal job -> zone
	bucketLogs    = []byte("logs")    // job id -> bucket of seq -> JSON LogEntry
	bucketLogSize = []byte("logsize") // job id -> bytes kept in its log, uint64 big-endian
	bucketState   = []byte("state")   // daemon-wide records
	keyGlobal     = []byte("global")  // state/global: JSON GlobalRecord
	keyQueue      = []byte("queue")   // state/queue: JSON QueueState
)

// buckets are the top-level buckets of the current schema; Open refuses
// a file that lacks one.
var buckets = [][]byte{bucketMeta, bucketJobs, bucketZones, bucketActive, bucketLogs, bucketLogSize, bucketState}

// migration brings the database from schema to-1 to schema to. It runs
// inside the one Update that Open uses for all pending migrations, so a
// crash leaves either the old schema or the new one, never a mix.
type migration struct {
	to int
	fn func(tx *bolt.Tx) error
}

// migrations MUST be ordered, numbered 1, 2, 3...; the last entry is the
// schema this build writes. Each one needs a case in migrate_test.go, and
// doc.go must show the new layout.
var migrations = []migration{
	{to: 1, fn: initialLayout},
}

// initialLayout creates the buckets of schema 1 in an empty database.
// Like every migration, it is frozen once released.
func initialLayout(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketJobs, bucketZones, bucketActive, bucketLogs, bucketLogSize, bucketState} {
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	return nil
}

// readSchema returns the schema version of the database in tx: 0 for a
// bbolt file with no buckets at all (just created, or created by a crash
// before the first migration committed). A file with buckets but no
// schema is someone else's database.
func readSchema(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		if err := tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil }); err != nil {
			return 0, err
		}
		if empty {
			return 0, nil
		}
		return 0, errors.New("not a zoneup database (no meta bucket)")
	}
	raw := meta.Get(keySchema)
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("bad schema version %q", raw)
	}
	return v, nil
}

// migrate applies, in order, every migration in migs newer than the
// database's schema and records the last one's version.
func migrate(tx *bolt.Tx, migs []migration) error {
	have, err := readSchema(tx)
	if err != nil {
		return err
	}
	for _, m := range migs {
		if m.to <= have {
			continue
		}
		if m.to != have+1 {
			return fmt.Errorf("no migration from schema %d to %d", have, have+1)
		}
		if err := m.fn(tx); err != nil {
			return fmt.Errorf("migration to schema %d: %w", m.to, err)
		}
		if err := tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(m.to))); err != nil {
			return err
		}
		have = m.to
	}
	return nil
}
