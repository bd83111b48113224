package daemon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"zoneup/host"
	"zoneup/persist"
)

// globalPublishers keeps the one host-wide change zoneup makes: stripping
// the global zone's publishers to the first-ranked one (rung 2). The
// original list is on disk before the first change; jobs that need the
// stripped state register as holders; the last one to leave restores the
// list exactly, and a restart restores it when no stored job needs it.
type globalPublishers struct {
	store persist.Store
	// config gives the retry policy for pkg calls the image lock refuses.
	config func() Config

	// change is held for writing while publishers are being changed and
	// for reading by every attach -u: no attach -u runs meanwhile. Its
	// waits, and mu's, end with the caller's context (a drain is never
	// stuck behind an attach -u or a restore).
	change gate
	// mu serialises strip/release and the record (its write side only).
	mu gate

	// keep, when set, reports whether a job that holds no strip may still
	// need one (queued in the open window, or running and not past
	// global-publishers): the strip is then kept for it rather than
	// restored and made again, once per night instead of once per job.
	keep func() bool

	// copies caches whether this host's attach -u copies the global
	// publishers into the zone (a host-wide fact that never changes);
	// copiesKnown says it was read.
	copiesMu    sync.Mutex
	copies      bool
	copiesKnown bool
}

// errEnabledUnknown: `pkg publisher NAME` said under neither label whether
// a global publisher is enabled, so its record could not be restored
// exactly (a disabled one would come back enabled): zoneup does not strip.
var errEnabledUnknown = errors.New("pkg publisher does not say whether the publisher is enabled (no Enabled: or Publisher enabled: line)")

// copiesPublishers reports whether attach -u on this host copies every
// global publisher into the zone (`pkg copy-publishers-from /`, OI and
// OmniOS, reference 10.3), told by the global zone's publisher listing:
// the 8-column tsv of the OI/S11 clients, not the 7-column one of the
// OpenSolaris and Solaris 11 Express clients, whose brand re-creates the
// publishers by hand.
func (g *globalPublishers) copiesPublishers(ctx context.Context, t host.Tools) (bool, error) {
	g.copiesMu.Lock()
	defer g.copiesMu.Unlock()
	if !g.copiesKnown {
		rows, err := t.Publishers(ctx, "/")
		if err != nil {
			return false, err // asked again next time
		}
		g.copies, g.copiesKnown = len(rows) > 0 && rows[0].Columns >= 8, true
	}
	return g.copies, nil
}

// attaching takes the read side for one attach -u.
func (g *globalPublishers) attaching(ctx context.Context) (unlock func(), err error) {
	return g.change.rlock(ctx)
}

// strippedFor returns the jobs other than job that hold the global zone
// stripped now (none when it is not stripped).
func (g *globalPublishers) strippedFor(job string) []string {
	rec, err := g.store.Global()
	if err != nil || rec == nil || !rec.Stripped {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(rec.Holders), func(h string) bool { return h == job })
}

// stripped reports whether the global zone is recorded stripped: for
// holders, or kept for a job that may still need it.
func (g *globalPublishers) stripped() bool {
	rec, err := g.store.Global()
	return err == nil && rec != nil && rec.Stripped
}

// original returns the global zone's publishers as they were before zoneup
// changed them: the record if there is one, else the live list.
func (g *globalPublishers) original(ctx context.Context, t host.Tools) ([]host.Publisher, error) {
	// A plain read of the record needs no mu: the store is safe for
	// concurrent use, and mu may be held by a restore that waits for
	// running attach -u calls. The live list is read under the read side
	// of the change lock, the record looked at under it too: a strip
	// records before it changes anything and then waits for this read, so
	// the list is never read half stripped (a publisher unset between the
	// listing and its own read failed the read).
	unlock, err := g.change.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil {
		return nil, err
	}
	if rec != nil {
		return hostPublishers(rec.Original), nil
	}
	return t.ReadPublishers(ctx, "/")
}

// originals is the global zone's publishers as they were before zoneup
// changed them, as far as the one tsv listing tells (names in search
// order, origins, mirrors): the record if there is one, else the live
// listing, without the per-publisher reads of original.
func (g *globalPublishers) originals(ctx context.Context, t host.Tools) ([]host.Publisher, error) {
	// As original: a listing taken half way through a strip would miss
	// global publishers (and zone-publishers would take them for foreign).
	unlock, err := g.change.rlock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil {
		return nil, err
	}
	if rec != nil {
		return hostPublishers(rec.Original), nil
	}
	return t.PublisherList(ctx, "/")
}

// firstPublisher is the global zone's first-ranked publisher as recorded.
func (g *globalPublishers) firstPublisher(ctx context.Context, t host.Tools) (host.Publisher, bool) {
	pubs, err := g.original(ctx, t)
	if err != nil || len(pubs) == 0 {
		return host.Publisher{}, false
	}
	return pubs[0], true
}

// strip registers job as a holder and makes sure the global zone has only
// its first-ranked publisher. It reports false when there is nothing to
// strip (one publisher only).
func (g *globalPublishers) strip(ctx context.Context, t host.Tools, job string, note func(kind, text string)) (bool, error) {
	unlock, err := g.mu.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil {
		return false, err
	}
	if rec == nil {
		pubs, err := t.ReadPublishers(ctx, "/")
		if err != nil {
			return false, fmt.Errorf("read global publishers: %w", err)
		}
		if len(pubs) == 0 {
			return false, fmt.Errorf("the global zone has no publisher")
		}
		for _, p := range pubs {
			if p.EnabledUnknown {
				return false, fmt.Errorf("global publisher %s: %w", p.Name, errEnabledUnknown)
			}
		}
		rec = &persist.GlobalRecord{Original: recordPublishers(pubs)}
	}
	if len(rec.Original) <= 1 {
		return false, nil
	}
	if !slices.Contains(rec.Holders, job) {
		rec.Holders = append(rec.Holders, job)
	}
	rec.Stripped = true
	// Recorded before the first change.
	if err := g.store.PutGlobal(rec); err != nil {
		return false, err
	}
	first := rec.Original[0].Name
	extras := func() ([]string, error) {
		live, err := liveNames(ctx, t)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(live, func(n string) bool { return n == first }), nil
	}
	// Already stripped (another holder did it): reading is no change, and
	// the change lock, which waits for every running attach -u, is not taken.
	extra, err := extras()
	if err != nil || len(extra) == 0 {
		return true, err
	}
	unlockChange, err := g.change.lock(ctx)
	if err != nil {
		return true, err
	}
	defer unlockChange()
	if extra, err = extras(); err != nil {
		return false, err
	}
	for _, name := range extra {
		note("event", "global zone: unset-publisher "+name)
		if err := g.retry(ctx, note, "unset-publisher "+name, func() error { return t.UnsetPublisher(ctx, "/", name) }); err != nil {
			return true, fmt.Errorf("strip global publisher %s: %w", name, err)
		}
	}
	return true, nil
}

// release unregisters job; when no holder is left the original list is
// restored and the record dropped.
func (g *globalPublishers) release(ctx context.Context, t host.Tools, job string, note func(kind, text string)) error {
	unlock, err := g.mu.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil || rec == nil {
		return err
	}
	if i := slices.Index(rec.Holders, job); i >= 0 {
		rec.Holders = slices.Delete(rec.Holders, i, i+1)
		if err := g.store.PutGlobal(rec); err != nil {
			return err
		}
	}
	if len(rec.Holders) > 0 || g.keepLocked() {
		return nil
	}
	return g.restoreLocked(ctx, t, rec, note)
}

// keepLocked reports whether the strip is kept for a job that may still
// need it. g.mu is held.
func (g *globalPublishers) keepLocked() bool { return g.keep != nil && g.keep() }

// settle restores the original list when it is stripped, no job holds it
// and none may still need it: called when a job leaves the ladder without
// holding it (the last job that could have needed the strip), when the
// window closes and when the daemon drains.
func (g *globalPublishers) settle(ctx context.Context, t host.Tools, note func(kind, text string)) error {
	unlock, err := g.mu.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil || rec == nil || !rec.Stripped || len(rec.Holders) > 0 || g.keepLocked() {
		return err
	}
	return g.restoreLocked(ctx, t, rec, note)
}

// reconcile runs at start: holders that are no longer active jobs are
// dropped, and with none left the list is restored.
func (g *globalPublishers) reconcile(ctx context.Context, t host.Tools, active map[string]bool, note func(kind, text string)) error {
	unlock, err := g.mu.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := g.store.Global()
	if err != nil || rec == nil {
		return err
	}
	keep := rec.Holders[:0]
	for _, h := range rec.Holders {
		if active[h] {
			keep = append(keep, h)
		}
	}
	rec.Holders = keep
	if err := g.store.PutGlobal(rec); err != nil {
		return err
	}
	if len(rec.Holders) > 0 {
		return nil
	}
	return g.restoreLocked(ctx, t, rec, note)
}

// restoreLocked re-adds every recorded publisher that is missing, in the
// recorded order (a new publisher goes last in the search order, so the
// order comes back too), with --no-refresh so an unreachable or disabled
// origin is not contacted. The record is deleted once the live list matches.
func (g *globalPublishers) restoreLocked(ctx context.Context, t host.Tools, rec *persist.GlobalRecord, note func(kind, text string)) error {
	if !rec.Stripped {
		return g.store.DeleteGlobal()
	}
	original := hostPublishers(rec.Original)
	// Every attach -u waits while the publishers change: only the changes
	// and the one read they need are made under the lock.
	err := func() error {
		unlock, err := g.change.lock(ctx)
		if err != nil {
			return err
		}
		defer unlock()
		live, err := liveNames(ctx, t)
		if err != nil {
			return err
		}
		for _, p := range original {
			if slices.Contains(live, p.Name) {
				continue
			}
			note("event", "global zone: restoring publisher "+p.Name)
			if err := g.retry(ctx, note, "set-publisher "+p.Name, func() error { return t.SetPublisher(ctx, "/", restoreArgs(p)) }); err != nil {
				return fmt.Errorf("restore global publisher %s: %w", p.Name, err)
			}
		}
		return g.reorder(ctx, t, original, note)
	}()
	if err != nil {
		return err
	}
	live, err := t.ReadPublishers(ctx, "/")
	if err != nil {
		return err
	}
	if !samePublishers(live, original) {
		return fmt.Errorf("global publishers after restore differ from the record")
	}
	note("event", "global zone publishers restored")
	return g.store.DeleteGlobal()
}

// reorder puts the search order back as recorded when the publishers are
// all there but the client placed a re-added one elsewhere than last
// (where it goes is not documented): each one after its predecessor.
func (g *globalPublishers) reorder(ctx context.Context, t host.Tools, want []host.Publisher, note func(kind, text string)) error {
	live, err := liveNames(ctx, t)
	if err != nil {
		return err
	}
	names := publisherNames(want)
	if slices.Equal(live, names) || len(live) != len(names) {
		return nil // in order, or not the same set: the check after says so
	}
	for i := 1; i < len(names); i++ {
		a := host.SetPublisherArgs{Name: names[i], SearchAfter: names[i-1], NoRefresh: true}
		note("event", "global zone: "+names[i]+" after "+names[i-1]+" in the search order")
		if err := g.retry(ctx, note, "set-publisher --search-after", func() error { return t.SetPublisher(ctx, "/", a) }); err != nil {
			return fmt.Errorf("restore the search order: %w", err)
		}
	}
	return nil
}

// retry repeats a pkg call the image lock refused (SPEC 3: transient).
func (g *globalPublishers) retry(ctx context.Context, note func(kind, text string), what string, op func() error) error {
	return retryTransient(ctx, nil, g.config(), note, what, op)
}

// liveNames lists the global zone's publishers by name, in search order
// (one pkg call; the full read takes one more per publisher).
func liveNames(ctx context.Context, t host.Tools) ([]string, error) {
	pubs, err := t.PublisherList(ctx, "/")
	return publisherNames(pubs), err
}

func publisherNames(pubs []host.Publisher) []string {
	names := make([]string, 0, len(pubs))
	for _, p := range pubs {
		names = append(names, p.Name)
	}
	return names
}

func restoreArgs(p host.Publisher) host.SetPublisherArgs {
	enabled, sticky := p.Enabled, p.Sticky
	a := host.SetPublisherArgs{
		Name:          p.Name,
		AddOrigins:    p.Origins,
		AddMirrors:    p.Mirrors,
		Enable:        &enabled,
		Sticky:        &sticky,
		SSLKey:        p.SSLKey,
		SSLCert:       p.SSLCert,
		NoRefresh:     true,
		SetProperties: p.Properties,
	}
	if len(p.Proxies) > 0 {
		a.Proxy = p.Proxies[0]
	}
	return a
}

// samePublishers compares names, order, origins and mirrors (in order),
// enabled, sticky, SSL files and properties.
func samePublishers(a, b []host.Publisher) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Enabled != y.Enabled || x.Sticky != y.Sticky || x.SSLKey != y.SSLKey ||
			x.SSLCert != y.SSLCert || !slices.Equal(x.Origins, y.Origins) || !slices.Equal(x.Mirrors, y.Mirrors) ||
			!maps.Equal(x.Properties, y.Properties) {
			return false
		}
	}
	return true
}

// recordPublishers is the record of pubs the store keeps (persist owns its
// format): every field but EnabledUnknown, which is never recorded (strip
// refuses a publisher whose Enabled is not known).
func recordPublishers(pubs []host.Publisher) []persist.Publisher {
	if pubs == nil {
		return nil
	}
	out := make([]persist.Publisher, len(pubs))
	for i, p := range pubs {
		out[i] = persist.Publisher{
			Name: p.Name, Origins: p.Origins, Mirrors: p.Mirrors, Enabled: p.Enabled, Sticky: p.Sticky,
			SSLKey: p.SSLKey, SSLCert: p.SSLCert, Proxies: p.Proxies, Properties: p.Properties,
		}
	}
	return out
}

// hostPublishers is the recorded publishers as the host adapter's
// publishers, to restore and compare with the live list.
func hostPublishers(rec []persist.Publisher) []host.Publisher {
	if rec == nil {
		return nil
	}
	out := make([]host.Publisher, len(rec))
	for i, p := range rec {
		out[i] = host.Publisher{
			Name: p.Name, Origins: p.Origins, Mirrors: p.Mirrors, Enabled: p.Enabled, Sticky: p.Sticky,
			SSLKey: p.SSLKey, SSLCert: p.SSLCert, Proxies: p.Proxies, Properties: p.Properties,
		}
	}
	return out
}
