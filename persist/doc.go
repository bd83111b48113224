// Package persist is zoneup's durable memory: the record of every job,
// its log, the global zone's publisher list and the queue state, in one
// bbolt file (default /var/zoneup/zoneup.db). The daemon writes a job
// before a stage's side effect starts and again after it ends; after
// kill -9 or power loss the file holds every write whose call returned
// nil, and nothing half written.
//
// # Schema
//
// Version 1 (meta/schema). Update this drawing whenever the layout
// changes, together with a new entry in migrations (migrate.go) and its
// case in migrate_test.go.
//
//	meta/
//	├── schema   -> "1"                    decimal ASCII, not encoded, so any tool can read it
//	jobs/                                   fill 100%: ids only grow, old jobs stop changing
//	├── <job id> -> job record              tagged binary, see codec.go
//	zones/
//	├── <zone>   -> <job id>                the zone's newest job (greatest id): LatestJob is one Get
//	active/
//	├── <job id> -> <zone>                  every non-terminal job: ActiveJobs reads only these
//	logs/
//	├── <job id>/                           bucket sequence = the last seq given
//	│   ├── <seq> -> JSON LogEntry          seq: uint64 big-endian, from 1
//	logsize/
//	├── <job id> -> uint64 big-endian       bytes held in logs/<job id>/ (the JSON lengths)
//	state/
//	├── global   -> JSON GlobalRecord       absent when no strip is recorded
//	└── queue    -> JSON QueueState         pause and breaker count; absent until first stored
//
// Job ids are the UTC enqueue time plus a random suffix, so key order is
// enqueue order. PutJob keeps zones/ and active/ in step with jobs/ in
// the same transaction; AppendLog trims logs/<id>/ from its oldest entry
// until logsize/<id> is within Options.LogLimit (the newest entry always
// stays). The job record is binary because jobs are read in bulk: with
// JSON, walking 10,000 jobs (re-encoding each as JSON) took 300 ms instead
// of 113 ms, and their pages 40 MB instead of 16 MB (codec.go). Everything
// else is JSON.
//
// The file is created with 16 KiB pages and without a freelist page
// (NoFreelistSync): bbolt rebuilds the freelist at each read-write open
// by walking every reachable page.
//
// # Transactions
//
// Every write method is exactly one db.Update: one transaction, committed
// with two fsyncs (data pages, then the meta page) before the method
// returns. Never db.Batch for a checkpoint: Batch may run its function
// more than once, merges unrelated callers into one commit, and makes a
// lone writer wait up to 10 ms for company. Reads are db.View.
// ForEachJob copies records out in chunks and calls its function outside
// any transaction, so that a slow reader (a socket client) never holds a
// read transaction that would stop bbolt from growing the file, and so
// the function may write to the store.
//
// # One open per process, one process per file
//
// bbolt locks the file: flock on Linux, fcntl record locks on Solaris and
// illumos. fcntl locks belong to the process, not the descriptor: a
// second Open in the same process would succeed there (and the two
// handles would corrupt the file), and closing any descriptor of the file
// drops the lock. So: Open refuses a second open of the same file in the
// same process (ErrLocked); nothing in zoneupd may os.Open the database
// file (copy it with tx.CopyFile); zoneupadm never opens it and asks the
// daemon instead. A read-only open takes a shared lock that conflicts with
// the daemon's, so it only works while no daemon runs. Another process
// holding the file makes Open fail with ErrLocked after Options.Timeout:
// "another zoneupd holds FILE; stop it first" (exit 95 in zoneupd).
//
// # Corrupt means refused, never repaired
//
// Open fails with ErrCorrupt, naming the file and the way out, when the
// file is not a bbolt file, both meta pages are bad, it is too short for
// its page size, it is a bbolt file without our meta bucket, its schema
// version is unreadable or newer than this build knows, or bbolt panics
// on it. Check reports the same for damaged pages or indexes that name
// missing jobs. zoneupd then exits 95 and the file stays exactly as it
// was: persist never overwrites, truncates, renames or "repairs" it. The
// operator moves it aside (zoneupd then starts an empty database) and
// can inspect it with `bbolt check FILE` or repair it with
// `bbolt surgery`. An empty (0-byte) file is refused too. A new database
// is made whole under FILE.new and linked to FILE, so a crash during the
// very first open leaves no FILE at all; only a bbolt file without any
// bucket (left so by an older zoneupd) is initialised. A database whose
// mode lets others read it is made 0600 (DB.ModeWas says it was).
//
// Caveat: bbolt walks the pages for the freelist in a goroutine of its
// own that has no recover, so some damaged page contents crash the
// process at open instead of returning ErrCorrupt. The file is still not
// written.
//
// # Tests
//
// persist/storetest is the contract; it runs against this store and the
// in-memory double persist/memstore.
package persist
