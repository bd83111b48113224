package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

	"zoneup/persist"
	"zoneup/persist/memstore"
)

// once: the effect's name reaches the disk before act runs; done is
// recorded after; a job that has it done never acts again; after a crash
// during it, took decides; a failure clears the name, a shutdown keeps it.
func TestOnce(t *testing.T) {
	e, store, cfg := memEngine(t, nil)
	ctx := context.Background()
	newRun := func(j *persist.Job) *run {
		if err := store.PutJob(j); err != nil {
			t.Fatal(err)
		}
		return &run{e: e, job: j, cfg: cfg, log: zerolog.Nop()}
	}
	onDisk := func(id string) *persist.Job {
		j, err := store.GetJob(id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}

	r := newRun(&persist.Job{ID: "j1", Zone: "z1", State: "remediate"})
	acts := 0
	shot := oneShot{effect: effUninstall,
		record: func() { r.job.PendingPackages = []string{"web/php-52"} },
		act: func(context.Context) error {
			acts++
			if d := onDisk("j1"); d.Pending != "uninstall" || len(d.PendingPackages) != 1 {
				t.Errorf("on disk while acting: pending %q %v", d.Pending, d.PendingPackages)
			}
			return nil
		}}
	if ran, err := r.once(ctx, shot); !ran || err != nil || acts != 1 {
		t.Fatalf("first: ran %v, %v, %d acts", ran, err, acts)
	}
	if d := onDisk("j1"); d.Pending != "" || !d.Done["uninstall"] {
		t.Fatalf("after: pending %q, done %v", d.Pending, d.Done)
	}
	if ran, err := r.once(ctx, shot); ran || err != nil || acts != 1 {
		t.Fatalf("done already: ran %v, %v, %d acts", ran, err, acts)
	}

	// A crash during the effect: took says it had taken effect, or not.
	for _, took := range []bool{true, false} {
		r := newRun(&persist.Job{ID: "j2", Zone: "z2", State: "remediate", Pending: "image-create"})
		acts := 0
		ran, err := r.once(ctx, oneShot{effect: effImageCreate,
			took: func(context.Context) (bool, error) { return took, nil },
			act:  func(context.Context) error { acts++; return nil }})
		if err != nil || ran == took || acts != map[bool]int{true: 0, false: 1}[took] {
			t.Errorf("took %v: ran %v, %v, %d acts", took, ran, err, acts)
		}
		if d := onDisk("j2"); d.Pending != "" || !d.Done["image-create"] {
			t.Errorf("took %v: pending %q, done %v", took, d.Pending, d.Done)
		}
	}

	// A failure clears the name (the caller records it); a shutdown keeps
	// it for the next start to look.
	r = newRun(&persist.Job{ID: "j3", Zone: "z3", State: "attach"})
	boom := errors.New("boom")
	if _, err := r.once(ctx, oneShot{effect: effAttach, act: func(context.Context) error { return boom }}); !errors.Is(err, boom) || r.job.Pending != "" || r.job.Done["attach"] {
		t.Errorf("failure: %v, pending %q, done %v", err, r.job.Pending, r.job.Done)
	}
	if _, err := r.once(ctx, oneShot{effect: effAttach, act: func(context.Context) error { return errInterrupted }}); !errorsIsInterrupted(err) || r.job.Pending != "attach" {
		t.Errorf("shutdown: %v, pending %q", err, r.job.Pending)
	}
}

// memEngine is an engine with the default configuration on an in-memory
// store holding jobs, for the tests of one run's parts; it is shut down
// when the test ends.
func memEngine(t *testing.T, jobs []*persist.Job) (*Engine, *memstore.Store, Config) {
	t.Helper()
	cfg, err := ParseConfig(map[string]string{"db_path": "/x/db", "socket_path": "/x/s"})
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New(memstore.Options{})
	for _, j := range jobs {
		if err := store.PutJob(j); err != nil {
			t.Fatal(err)
		}
	}
	e := NewEngine(store, cfg, nil, zerolog.Nop())
	t.Cleanup(func() { e.Shutdown(); <-e.Done() })
	return e, store, cfg
}
