package daemon

import (
	"context"
	"errors"
	"testing"

	"github.com/rs/zerolog"

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

// A step closed by end (or skip) is written with the next save, and
// before any tool of the job starts; a record that cannot be written
// stops the job (an interruption), the tool does not run.
func TestEndedStepOnDiskBeforeTheNextTool(t *testing.T) {
	cfg, err := ParseConfig(map[string]string{"db_path": "/x/db", "socket_path": "/x/s"})
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New(memstore.Options{})
	e := NewEngine(store, cfg, nil, zerolog.Nop())
	defer func() { e.Shutdown(); <-e.Done() }()
	j := &persist.Job{ID: "j1", Zone: "z1", State: "halt"}
	if err := store.PutJob(j); err != nil {
		t.Fatal(err)
	}
	x := &onDiskAtCall{store: store, id: "j1"}
	r := &run{e: e, job: j, cfg: cfg, log: zerolog.Nop()}
	r.t = host.Tools{X: savedFirst{r: r, inner: x}}

	if err := r.begin("halt", ""); err != nil {
		t.Fatal(err)
	}
	r.end("ok", nil)
	if d, _ := store.GetJob("j1"); !d.History[0].Ended.IsZero() {
		t.Fatal("end wrote at once; it is meant to go with the next save")
	}
	r.t.X.Run(context.Background(), false, "zoneadm", "-z", "z1", "list", "-p")
	if len(x.seen) != 1 || x.seen[0].History[0].Outcome != "ok" || x.seen[0].History[0].Ended.IsZero() {
		t.Fatalf("the tool started with the step open on disk: %+v", x.seen[0].History)
	}

	r.skip("remediate", "image-update", "nothing to do")
	r.t.X.Run(context.Background(), true, "pkg", "-R", "/z1/root", "image-update")
	if h := x.seen[1].History; len(h) != 2 || h[1].Outcome != "skipped" {
		t.Fatalf("the tool started before the skipped step was on disk: %+v", h)
	}

	// Nothing unsaved: a tool costs no write.
	before := len(x.seen)
	r.t.X.Run(context.Background(), false, "zfs", "list")
	if d, _ := store.GetJob("j1"); len(d.History) != 2 || len(x.seen) != before+1 {
		t.Fatalf("history on disk %+v", d.History)
	}

	// The store refuses: the tool does not run and the job is interrupted.
	r.end("ok", nil)
	store.Close()
	res := r.t.X.Run(context.Background(), true, "zoneadm", "-z", "z1", "detach")
	if !errorsIsInterrupted(res.Err) || !errors.Is(res.Err, memstore.ErrClosed) || len(x.seen) != before+1 {
		t.Fatalf("with the store closed: %v, %d calls", res.Err, len(x.seen))
	}
}
