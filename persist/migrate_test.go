package persist

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// migrationTests holds, for every entry of migrations (by its to), what
// the database holds before it (seed, at schema to-1) and what must hold
// after it. TestEachMigration fails if a migration has no entry.
var migrationTests = map[int]struct {
	seed  func(t *testing.T, tx *bolt.Tx)
	check func(t *testing.T, tx *bolt.Tx)
}{
	1: {
		seed: func(*testing.T, *bolt.Tx) {}, // schema 0: a bbolt file without buckets
		check: func(t *testing.T, tx *bolt.Tx) {
			for _, b := range [][]byte{bucketMeta, bucketJobs, bucketZones, bucketActive, bucketLogs, bucketLogSize, bucketState} {
				if tx.Bucket(b) == nil {
					t.Errorf("bucket %s missing", b)
				}
			}
		},
	},
}

func TestMigrationsAreOrdered(t *testing.T) {
	for i, m := range migrations {
		if m.to != i+1 || m.fn == nil {
			t.Errorf("migrations[%d] leads to schema %d, want %d", i, m.to, i+1)
		}
	}
}

// TestEachMigration runs every migration alone on a database at the
// schema before it.
func TestEachMigration(t *testing.T) {
	for i, m := range migrations {
		mt, ok := migrationTests[m.to]
		if !ok {
			t.Errorf("migration to schema %d has no test in migrationTests", m.to)
			continue
		}
		db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			if err := migrate(tx, migrations[:i]); err != nil {
				return err
			}
			mt.seed(t, tx)
			return nil
		})
		if err != nil {
			t.Fatalf("schema %d: preparing: %v", m.to-1, err)
		}
		err = db.Update(func(tx *bolt.Tx) error { return migrate(tx, migrations[:i+1]) })
		if err != nil {
			t.Fatalf("migration to %d: %v", m.to, err)
		}
		db.View(func(tx *bolt.Tx) error {
			if v, err := readSchema(tx); err != nil || v != m.to {
				t.Errorf("after migration to %d, schema %d, %v", m.to, v, err)
			}
			mt.check(t, tx)
			return nil
		})
	}
}

// TestOpenBucketlessFile: bbolt writes its meta pages before our first
// transaction commits; a crash in between leaves a file with no buckets,
// which Open must take up.
func TestOpenBucketlessFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "zoneup.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	d := openT(t, path)
	if err := d.PutJob(crashJob(1)); err != nil {
		t.Fatal(err)
	}
}

// toSchema2 is a synthetic future migration, to show that one is a
// single entry: it moves the queue state into a bucket of its own and
// renames the stage "attach" to "attach-update" in every stored job.
var toSchema2 = migration{to: 2, fn: func(tx *bolt.Tx) error {
	queue, err := tx.CreateBucket([]byte("queue"))
	if err != nil {
		return err
	}
	if v := tx.Bucket(bucketState).Get(keyQueue); v != nil {
		if err := queue.Put([]byte("state"), v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketState).Delete(keyQueue); err != nil {
			return err
		}
	}
	jobs := tx.Bucket(bucketJobs)
	// Collect first: a bucket must not change under its cursor.
	var ids [][]byte
	var recs []*Job
	err = jobs.ForEach(func(k, v []byte) error {
		j, err := decodeJobRecord(v)
		if err != nil {
			return err
		}
		ids, recs = append(ids, bytes.Clone(k)), append(recs, j)
		return nil
	})
	if err != nil {
		return err
	}
	for i, j := range recs {
		if j.State == "attach" {
			j.State = "attach-update"
		}
		if err := jobs.Put(ids[i], encodeJob(j)); err != nil {
			return err
		}
	}
	return nil
}}

func TestFutureMigration(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zoneup.db")
	d, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	j := crashJob(1)
	j.State = "attach"
	if err := d.PutJob(j); err != nil {
		t.Fatal(err)
	}
	if err := d.PutQueue(QueueState{Paused: true, Reason: "operator"}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// A migration that fails half way leaves schema 1 exactly as it was.
	failing := migration{to: 2, fn: func(tx *bolt.Tx) error {
		if err := toSchema2.fn(tx); err != nil {
			return err
		}
		return errors.New("disk said no")
	}}
	before := snapshotDir(t, dir)
	if _, err := openWith(path, Options{}, append(migrations[:1:1], failing)); err == nil || !strings.Contains(err.Error(), "disk said no") {
		t.Fatalf("Open with a failing migration = %v", err)
	}
	if !maps2Equal(before, snapshotDir(t, dir)) {
		t.Error("a failed migration changed the file")
	}
	d = openT(t, path)
	if got, err := d.GetJob(j.ID); err != nil || got.State != "attach" {
		t.Errorf("after a failed migration, job = %+v, %v", got, err)
	}
	if q, _ := d.Queue(); !q.Paused {
		t.Error("after a failed migration, the queue state is gone")
	}
	d.Close()

	// The real thing: schema 2 is one more entry.
	d, err = openWith(path, Options{}, append(migrations[:1:1], toSchema2))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.GetJob(j.ID); err != nil || got.State != "attach-update" || len(got.History) != 12 {
		t.Errorf("after migration to 2, job = %+v, %v", got, err)
	}
	d.db.View(func(tx *bolt.Tx) error {
		if v, _ := readSchema(tx); v != 2 {
			t.Errorf("schema %d after migration, want 2", v)
		}
		if tx.Bucket([]byte("queue")).Get([]byte("state")) == nil || tx.Bucket(bucketState).Get(keyQueue) != nil {
			t.Error("queue state not moved")
		}
		return nil
	})
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// This build knows schema 1 only: it refuses the file and leaves it be.
	before = snapshotDir(t, dir)
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "schema 2 is newer") {
		t.Errorf("Open of a schema 2 file = %v", err)
	}
	if !maps2Equal(before, snapshotDir(t, dir)) {
		t.Error("the newer file changed")
	}
}

func TestMigrateRefusesGaps(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "x.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	gap := append(migrations[:1:1], migration{to: 3, fn: func(*bolt.Tx) error { return nil }})
	err = db.Update(func(tx *bolt.Tx) error { return migrate(tx, gap) })
	if err == nil || !strings.Contains(err.Error(), "no migration from schema 1 to 2") {
		t.Errorf("migrate with a gap = %v", err)
	}
}

// TestOpenWritesNothingWhenCurrent: opening an up-to-date database
// commits nothing (nothing to migrate), so the file is byte-for-byte the
// same afterwards.
func TestOpenWritesNothingWhenCurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "zoneup.db")
	d := openT(t, path)
	if err := d.PutJob(crashJob(1)); err != nil {
		t.Fatal(err)
	}
	d.Close()
	before, _ := os.ReadFile(path)
	d = openT(t, path)
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("Open and Check of a current database changed the file")
	}
}
