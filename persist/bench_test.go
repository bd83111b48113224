package persist_test

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"zoneup/persist"
	"zoneup/persist/storetest"
)

// BenchmarkPutJob is one fsync'd checkpoint of a finished job with twelve
// steps, in a database that already holds a few hundred jobs.
func BenchmarkPutJob(b *testing.B) {
	db, err := persist.Open(filepath.Join(b.TempDir(), "zoneup.db"), persist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := range 300 {
		if err := db.PutJob(storetest.Sample(fmt.Sprintf("20250301T%06dZ-old", i), fmt.Sprintf("z%d", i))); err != nil {
			b.Fatal(err)
		}
	}
	j := storetest.Sample("20250302T000000Z-new", "web1")
	for b.Loop() {
		j.Attempt++ // a new value each time, as a checkpoint would be
		if err := db.PutJob(j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkForEach10k is `list --json` on the daemon's side: walk 10,000
// jobs, decoding each, and encode each as JSON.
func BenchmarkForEach10k(b *testing.B) {
	db := fill10k(b)
	enc := json.NewEncoder(io.Discard)
	for b.Loop() {
		n := 0
		err := db.ForEachJob(func(j *persist.Job) error {
			n++
			return enc.Encode(j)
		})
		if err != nil || n != 10000 {
			b.Fatalf("ForEachJob: %d jobs, %v", n, err)
		}
	}
}

// BenchmarkActiveJobs10k is the restart path: find the few running jobs
// among 10,000.
func BenchmarkActiveJobs10k(b *testing.B) {
	db := fill10k(b)
	for b.Loop() {
		jobs, err := db.ActiveJobs()
		if err != nil || len(jobs) != 10 {
			b.Fatalf("ActiveJobs: %d jobs, %v", len(jobs), err)
		}
	}
}

// fill10k opens a database holding 10,000 finished jobs, the last ten of
// them still running. It is filled one PutJob at a time, as the daemon
// would, but without fsync, then reopened.
func fill10k(b *testing.B) *persist.DB {
	b.Helper()
	path := filepath.Join(b.TempDir(), "zoneup.db")
	db, err := persist.Open(path, persist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var jobs []*persist.Job
	for i := range 10000 {
		j := storetest.Sample(fmt.Sprintf("20250301T%06dZ-%04x", i, i), fmt.Sprintf("zone%d", i%500))
		if i >= 9990 {
			j.State, j.Result = "attach", ""
		}
		jobs = append(jobs, j)
	}
	persist.SetNoSync(db, true)
	for _, j := range jobs {
		if err := db.PutJob(j); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if db, err = persist.Open(path, persist.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}
