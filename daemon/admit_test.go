package daemon

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"zoneup/fsm"
	"zoneup/persist"
	"zoneup/persist/memstore"
)

// Window-aware admission: a job starts only inside the window and only if
// its predicted duration fits in what is left of it.
func TestAdmissionFitsTheWindow(t *testing.T) {
	day := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, time.Local) }
	cases := []struct {
		name    string
		now     time.Time
		history []time.Duration // durations of earlier upgrades
		starts  bool
		next    time.Time // when the scheduler looks again, if it waits
	}{
		{"inside, default duration fits", day(23, 0), nil, true, time.Time{}},
		{"inside, default 1h does not fit in 30m", day(5, 30), nil, false, day(22, 0)},
		{"inside, history says 10m: fits in 30m", day(5, 30), []time.Duration{8 * time.Minute, 12 * time.Minute}, true, time.Time{}},
		{"inside, history says 2h, 7h left", day(23, 0), []time.Duration{2 * time.Hour}, true, time.Time{}},
		{"closed", day(12, 0), nil, false, day(22, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig(map[string]string{"db_path": "/x/db", "socket_path": "/x/s", "window": "22:00-06:00"})
			if err != nil {
				t.Fatal(err)
			}
			e := NewEngine(memstore.New(memstore.Options{}), cfg, nil, zerolog.Nop())
			e.now = func() time.Time { return c.now }
			e.durations = c.history
			j := &persist.Job{ID: "20261201T000000.000000Z-000001", Zone: "z1", State: string(fsm.Queued), Enqueued: c.now}
			if err := e.store.PutJob(j); err != nil {
				t.Fatal(err)
			}
			e.queue = []string{j.ID}
			// A worker that admit launches stops at its first stage
			// boundary: this test runs no tools.
			e.softCancel()
			next := e.admit()
			started := len(e.queue) == 0
			if started != c.starts {
				t.Errorf("started %v, want %v", started, c.starts)
			}
			if !c.starts && !next.Equal(c.next) {
				t.Errorf("looks again at %s, want %s", next, c.next)
			}
			e.Shutdown()
			<-e.Done()
		})
	}
}
