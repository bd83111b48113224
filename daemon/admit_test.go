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

// A zone never upgraded is predicted as this night's jobs have gone,
// rolled-back ladders included; with none ended yet, as recent upgrades;
// then default_job_duration. The zone's own last job wins over all, and
// the night's figures go when the night is over.
func TestPredictionTonight(t *testing.T) {
	cfg, err := ParseConfig(map[string]string{"db_path": "/x/db", "socket_path": "/x/s", "window": "always",
		"default_job_duration": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(memstore.New(memstore.Options{}), cfg, nil, zerolog.Nop())
	start := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	end := func(zone, result string, d time.Duration) {
		e.afterJobLocked(&persist.Job{ID: zone, Zone: zone, Result: result, Started: start, Ended: start.Add(d)})
	}
	if p := e.predictZoneLocked(cfg, "new"); p != time.Hour {
		t.Fatalf("nothing known: %s, want default_job_duration 1h", p)
	}
	e.durations = []time.Duration{10 * time.Minute}
	if p := e.predictZoneLocked(cfg, "new"); p != 10*time.Minute {
		t.Fatalf("recent upgrades say 10m: %s", p)
	}
	end("a", "upgraded", 10*time.Minute)
	end("b", "rolled-back", 50*time.Minute)
	if p := e.predictZoneLocked(cfg, "new"); p != 30*time.Minute {
		t.Errorf("tonight 10m upgraded and 50m rolled back: %s, want their mean 30m", p)
	}
	if p := e.predictZoneLocked(cfg, "b"); p != 50*time.Minute {
		t.Errorf("zone b's own last job took 50m: %s", p)
	}
	// Longest first: b (50m, its own) before a new zone (30m) before a (10m).
	e.queue = []string{"ja", "jn", "jb"}
	e.queuedZone = map[string]string{"ja": "a", "jn": "new", "jb": "b"}
	if i := pickLongest(e.queue, func(id string) time.Duration { return e.predictZoneLocked(cfg, e.queuedZone[id]) }, time.Hour, true); e.queue[i] != "jb" {
		t.Errorf("picked %s first, want jb", e.queue[i])
	}
	e.queue = nil
	e.afterNight(true) // always window, queue empty, nothing running: the night is over
	if p := e.predictZoneLocked(cfg, "new"); p != 10*time.Minute {
		t.Errorf("after the night: %s, want the recent upgrades' 10m", p)
	}
	e.Shutdown()
	<-e.Done()
}
