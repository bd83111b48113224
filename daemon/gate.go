package daemon

import (
	"context"
	"sync"
)

// gate is a readers/writer lock whose waits end with a context (the
// write side alone serves as a mutex): many
// holders of the read side, or one of the write side, and a writer that
// waits keeps new readers out (as sync.RWMutex does), so a strip of the
// global zone's publishers is not starved by a night of attaches. A wait
// that its context ends returns the context's cause and takes nothing: a
// drain is never stuck behind an attach -u that runs for minutes.
type gate struct {
	mu       sync.Mutex
	readers  int
	writer   bool
	waitingW int
	changed  chan struct{} // closed and made anew whenever the gate opens a little
}

// rlock takes the read side.
func (g *gate) rlock(ctx context.Context) (unlock func(), err error) {
	for {
		g.mu.Lock()
		if !g.writer && g.waitingW == 0 {
			g.readers++
			g.mu.Unlock()
			return g.runlock, nil
		}
		ch := g.waitLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// lock takes the write side.
func (g *gate) lock(ctx context.Context) (unlock func(), err error) {
	g.mu.Lock()
	g.waitingW++
	for g.writer || g.readers > 0 {
		ch := g.waitLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.mu.Lock()
			g.waitingW--
			g.wakeLocked() // readers held back by this writer may go
			g.mu.Unlock()
			return nil, context.Cause(ctx)
		}
		g.mu.Lock()
	}
	g.waitingW--
	g.writer = true
	g.mu.Unlock()
	return g.unlock, nil
}

func (g *gate) runlock() {
	g.mu.Lock()
	g.readers--
	g.wakeLocked()
	g.mu.Unlock()
}

func (g *gate) unlock() {
	g.mu.Lock()
	g.writer = false
	g.wakeLocked()
	g.mu.Unlock()
}

func (g *gate) waitLocked() <-chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

func (g *gate) wakeLocked() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}
