package daemon

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// The gate: readers share it; a writer waits for them and keeps new
// readers out while it waits; a wait ends with its context, taking
// nothing, and a writer that gave up lets the readers it held back go.
func TestGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g gate
		ctx := context.Background()
		r1, err := g.rlock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := g.rlock(ctx)
		wrote := make(chan func())
		go func() { u, _ := g.lock(ctx); wrote <- u }()
		synctest.Wait()
		late := make(chan func())
		go func() { u, _ := g.rlock(ctx); late <- u }()
		synctest.Wait()
		select {
		case <-wrote:
			t.Fatal("the writer got in past two readers")
		case <-late:
			t.Fatal("a reader got in past a waiting writer")
		default:
		}
		r1()
		r2()
		w := <-wrote
		synctest.Wait()
		select {
		case <-late:
			t.Fatal("a reader got in while the writer holds it")
		default:
		}
		w()
		(<-late)()

		// A writer's wait ended by its context.
		r, _ := g.rlock(ctx)
		cause := errors.New("drain")
		wctx, cancel := context.WithCancelCause(ctx)
		gaveUp := make(chan error)
		go func() { _, err := g.lock(wctx); gaveUp <- err }()
		synctest.Wait()
		held := make(chan func())
		go func() { u, _ := g.rlock(ctx); held <- u }()
		synctest.Wait()
		cancel(cause)
		if err := <-gaveUp; !errors.Is(err, cause) {
			t.Fatalf("the writer's wait ended with %v, want its context's cause", err)
		}
		(<-held)() // let go once the writer gave up
		r()
		// A reader's wait ended by its context while a writer holds it.
		w, _ = g.lock(ctx)
		rctx, rcancel := context.WithCancelCause(ctx)
		rerr := make(chan error)
		go func() { _, err := g.rlock(rctx); rerr <- err }()
		synctest.Wait()
		rcancel(cause)
		if err := <-rerr; !errors.Is(err, cause) {
			t.Fatalf("the reader's wait ended with %v", err)
		}
		w()
		if u, err := g.lock(ctx); err != nil {
			t.Fatalf("the gate is not free at the end: %v", err)
		} else {
			u()
		}
	})
}

// An attach -u waiting for a change of the global zone's publishers, and a
// strip waiting for the running attach -u calls, both give up when the
// drain ends their context: no lock of the global publishers is waited for
// in a way a context cannot end.
func TestGlobalPublishersWaitsEndWithTheDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &globalPublishers{}
		cause := errors.New("drain")
		unlock, err := g.change.lock(context.Background()) // a strip under way
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		done := make(chan error)
		go func() { _, err := g.attaching(ctx); done <- err }()
		synctest.Wait()
		cancel(cause)
		if err := <-done; !errors.Is(err, cause) {
			t.Fatalf("attaching: %v", err)
		}
		unlock()
		read, _ := g.attaching(context.Background()) // an attach -u under way
		ctx, cancel = context.WithCancelCause(context.Background())
		go func() { _, err := g.change.lock(ctx); done <- err }()
		synctest.Wait()
		cancel(cause)
		if err := <-done; !errors.Is(err, cause) {
			t.Fatalf("strip's wait: %v", err)
		}
		read()
	})
}
