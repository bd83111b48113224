package daemon

import (
	"context"
	"errors"
	"testing"

	"zoneup/host"
	"zoneup/persist"
	"zoneup/persist/memstore"
)

// onDiskAtCall is an executor that reads the job's record on disk when a
// tool is asked for.
type onDiskAtCall struct {
	store persist.Store
	id    string
	seen  []*persist.Job
}

func (x *onDiskAtCall) Run(_ context.Context, _ bool, argv ...string) host.Result {
	j, _ := x.store.GetJob(x.id)
	x.seen = append(x.seen, j)
	return host.Result{Argv: argv}
}

// A step opened by begin, closed by end or recorded by skip is written
// with the next save, and before any changing tool of the job starts (a
// read needs no write first); a record that cannot be written stops the
// job (an interruption), and the tool does not run.
func TestStepOnDiskBeforeTheNextChange(t *testing.T) {
	j := &persist.Job{ID: "j1", Zone: "z1", State: "halt"}
	e, store, cfg := memEngine(t, []*persist.Job{j})
	x := &onDiskAtCall{store: store, id: "j1"}
	r := &run{e: e, job: j, cfg: cfg, log: e.log}
	r.t = host.Tools{X: savedFirst{r: r, inner: x}}
	ctx := context.Background()
	history := func(call int) []persist.Step { return x.seen[call].History }

	r.begin("halt", "")
	r.t.X.Run(ctx, false, "zoneadm", "-z", "z1", "list", "-p")
	if h := history(0); len(h) != 0 {
		t.Fatalf("a read wrote the step first: %+v", h)
	}
	r.t.X.Run(ctx, true, "zoneadm", "-z", "z1", "halt")
	if h := history(1); len(h) != 1 || !h[0].Ended.IsZero() {
		t.Fatalf("the halt started without its open step on disk: %+v", h)
	}
	r.end("ok", nil)
	r.t.X.Run(ctx, false, "zoneadm", "-z", "z1", "list", "-p")
	if h := history(2); !h[0].Ended.IsZero() {
		t.Fatal("end wrote at once; it is meant to go with the next save")
	}
	r.t.X.Run(ctx, true, "zfs", "snapshot", "-r", "rpool/zones/z1@x")
	if h := history(3); h[0].Outcome != "ok" || h[0].Ended.IsZero() {
		t.Fatalf("a change started with the step open on disk: %+v", h)
	}

	r.skip("remediate", "image-update", "nothing to do")
	r.t.X.Run(ctx, true, "pkg", "-R", "/z1/root", "image-update")
	if h := history(4); len(h) != 2 || h[1].Outcome != "skipped" {
		t.Fatalf("the tool started before the skipped step was on disk: %+v", h)
	}

	// The store refuses: the tool does not run and the job is interrupted.
	r.end("ok", nil)
	store.Close()
	res := r.t.X.Run(ctx, true, "zoneadm", "-z", "z1", "detach")
	if !errorsIsInterrupted(res.Err) || !errors.Is(res.Err, memstore.ErrClosed) || len(x.seen) != 5 {
		t.Fatalf("with the store closed: %v, %d calls", res.Err, len(x.seen))
	}
}
