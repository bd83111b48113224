package api

import (
	"context"
	"sync"
	"time"
)

// changeFeed turns the service's one-shot Changed channel into a counter
// that long polls can compare against. A client that reads Seq, then looks
// at the jobs, then polls with since=Seq is woken by any change after it
// read Seq, even one that landed before its poll arrived. Changed alone
// cannot do that: a change between two polls would go unseen until the
// next one.
type changeFeed struct {
	mu   sync.Mutex
	seq  uint64
	next chan struct{} // closed when seq moves on
	// waiting, when set (ServerOptions.PollWaiting, tests only), is
	// called each time a long poll is about to wait for seq to move.
	waiting func()
}

func newChangeFeed() *changeFeed {
	return &changeFeed{next: make(chan struct{})}
}

// start follows svc until ctx ends. It subscribes to the next change before
// it bumps the counter: any change after a reader saw the new value bumps
// it again, so no change falls unseen between two subscriptions. The first
// subscription is made before start returns, so Seq is never 0 once the
// server exists.
func (f *changeFeed) start(ctx context.Context, svc Service) {
	ch := svc.Changed()
	f.bump()
	go func() {
		for {
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
			// A burst (the lines of a tool's output, several jobs moving at
			// once) is one bump: a waiting client looks at the jobs once per
			// burst, not once per line. What changes meanwhile is seen by
			// the look after the bump.
			select {
			case <-time.After(coalesce):
			case <-ctx.Done():
				return
			}
			ch = svc.Changed()
			f.bump()
		}
	}()
}

// coalesce is how long the feed gathers changes into one bump.
const coalesce = 50 * time.Millisecond

func (f *changeFeed) bump() {
	f.mu.Lock()
	f.seq++
	close(f.next)
	f.next = make(chan struct{})
	f.mu.Unlock()
}

// current returns the counter and a channel closed when it moves on.
func (f *changeFeed) current() (uint64, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq, f.next
}

// wait blocks until the counter differs from since, the timeout runs out
// or ctx ends, and returns the counter then. "Differs", not "is past": a
// restarted daemon counts from 1 again, and a client still holding the old
// daemon's counter must be woken, not left waiting for it to catch up.
func (f *changeFeed) wait(ctx context.Context, since uint64, timeout time.Duration) Changes {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		seq, next := f.current()
		if seq != since {
			return Changes{Seq: seq, Changed: true}
		}
		if f.waiting != nil {
			f.waiting()
		}
		select {
		case <-next:
		case <-timer.C:
			return Changes{Seq: seq}
		case <-ctx.Done():
			return Changes{Seq: seq}
		}
	}
}
