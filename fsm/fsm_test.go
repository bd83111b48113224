package fsm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/stages.mmd")

// want is the expected machine, written out pair by pair so that a change
// to Table shows up here as well as in the golden diagram.
var want = map[State]map[Event]State{
	Queued:     {EvStart: Preflight, EvCancel: Cancelled},
	Preflight:  {EvHalt: Halt, EvSnapshot: Snapshot, EvBlock: Blocked, EvCancel: Cancelled},
	Halt:       {EvSnapshot: Snapshot, EvBootBack: BootBack, EvCancel: BootBack},
	Snapshot:   {EvDetach: Detach, EvBootBack: BootBack, EvRollback: Rollback, EvCancel: BootBack},
	Detach:     {EvAttach: Attach, EvBootBack: BootBack, EvRollback: Rollback, EvCancel: BootBack},
	Attach:     {EvRemediate: Remediate, EvBoot: Boot, EvFinish: Done, EvRollback: Rollback, EvCancel: Rollback},
	Remediate:  {EvAttach: Attach, EvNextRung: Remediate, EvRollback: Rollback, EvCancel: Rollback},
	Boot:       {EvVerify: Verify, EvRollback: Rollback, EvCancel: Rollback},
	Verify:     {EvFinish: Done, EvRollback: Rollback, EvCancel: Rollback},
	Rollback:   {EvRolledBack: RolledBack, EvFail: Failed, EvCancel: Rollback, EvCancelled: Cancelled},
	BootBack:   {EvBlock: Blocked, EvCancel: BootBack, EvCancelled: Cancelled, EvRollback: Rollback},
	Done:       {},
	Blocked:    {EvRetry: Queued},
	RolledBack: {EvRetry: Queued},
	Failed:     {EvRetry: Queued},
	Cancelled:  {EvRetry: Queued},
}

// A cancelled job putting the zone back ends cancelled, and only it does.
var (
	onlyCancelled  = map[State]Event{BootBack: EvCancelled, Rollback: EvCancelled}
	neverCancelled = map[State]Event{BootBack: EvBlock, Rollback: EvRolledBack}
)

func TestEveryStateEventPair(t *testing.T) {
	for _, s := range AllStates {
		for _, cancel := range []bool{false, true} {
			for _, ev := range AllEvents {
				dst, legal := want[s][ev]
				got, err := Next(s, ev)
				if legal != (err == nil) || got != dst {
					t.Errorf("Next(%s, %s) = %q, %v; want %q legal=%v", s, ev, got, err, dst, legal)
				}
				if e, ok := onlyCancelled[s]; ok && e == ev && !cancel {
					legal = false
				}
				if e, ok := neverCancelled[s]; ok && e == ev && cancel {
					legal = false
				}
				// The looplab machine must agree with the table and its guards.
				var persisted []string
				at := Point{State: s, Rung: 2, Cancel: cancel}
				m, err := New(at, Hooks{Persist: func(from, to Point, e Event) error {
					persisted = append(persisted, fmt.Sprintf("%s>%s", from.State, to.State))
					return nil
				}})
				if err != nil {
					t.Fatal(err)
				}
				if m.Can(ev) != legal {
					t.Errorf("%+v: Can(%s) = %v, want %v", at, ev, !legal, legal)
				}
				err = m.Fire(context.Background(), ev)
				if legal {
					if err != nil || m.Current() != dst || len(persisted) != 1 {
						t.Errorf("%+v --%s-->: err=%v state=%s persisted=%v", at, ev, err, m.Current(), persisted)
					}
				} else if err == nil || m.Point() != at || len(persisted) != 0 {
					t.Errorf("%+v --%s--> should be refused: err=%v point=%+v persisted=%v", at, ev, err, m.Point(), persisted)
				}
			}
		}
	}
}

// TestStepRungAndCancel: the ladder position starts at attach-update with
// the first attach -u and climbs one per rung, through the machine; a
// cancel is marked and kept while the zone is put back; a retry is a
// fresh attempt.
func TestStepRungAndCancel(t *testing.T) {
	var saved []Point
	m, _ := New(Point{State: Snapshot, Rung: 5}, Hooks{Persist: func(_, to Point, _ Event) error {
		saved = append(saved, to)
		return nil
	}})
	ctx := context.Background()
	for _, ev := range []Event{EvDetach, EvAttach, EvRemediate, EvNextRung, EvNextRung, EvAttach, EvRemediate} {
		if err := m.Fire(ctx, ev); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	if got := m.Point(); got != (Point{State: Remediate, Rung: 4}) {
		t.Fatalf("after the climb: %+v, want remediate at rung 4", got)
	}
	rungs := []int{}
	for _, p := range saved {
		rungs = append(rungs, p.Rung)
	}
	if fmt.Sprint(rungs) != "[5 0 1 2 3 3 4]" {
		t.Errorf("persisted rung positions %v", rungs)
	}
	for _, ev := range []Event{EvCancel, EvCancel} {
		if err := m.Fire(ctx, ev); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	if got := m.Point(); got != (Point{State: Rollback, Rung: 4, Cancel: true}) || !m.Cancelled() {
		t.Fatalf("after the cancels: %+v", got)
	}
	if m.Can(EvRolledBack) || m.Fire(ctx, EvRolledBack) == nil {
		t.Fatal("a cancelled job's rollback ended rolled-back")
	}
	if err := m.Fire(ctx, EvCancelled); err != nil || m.Current() != Cancelled {
		t.Fatalf("cancelled: %v, %s", err, m.Current())
	}
	if err := m.Fire(ctx, EvRetry); err != nil || m.Point() != (Point{State: Queued}) {
		t.Fatalf("retry: %v, %+v", err, m.Point())
	}
}

// TestHooks: End runs before the terminal write, LeaveLadder once the
// machine is past the ladder and not for a terminal move, and neither for
// a refused move.
func TestHooks(t *testing.T) {
	var calls []string
	h := Hooks{
		Persist:     func(_, to Point, _ Event) error { calls = append(calls, "persist "+string(to.State)); return nil },
		End:         func() { calls = append(calls, "end") },
		LeaveLadder: func() { calls = append(calls, "leave") },
	}
	ctx := context.Background()
	for _, c := range []struct {
		from State
		evs  []Event
		want string
	}{
		{Attach, []Event{EvBoot, EvVerify, EvFinish}, "persist boot, leave, persist verify, end, persist done"},
		{Remediate, []Event{EvNextRung, EvAttach, EvRollback, EvRolledBack}, "persist remediate, persist attach, persist rollback, leave, end, persist rolled-back"},
		{Detach, []Event{EvBoot, EvBootBack, EvBlock}, "persist boot-back, leave, end, persist blocked"},
		{Preflight, []Event{EvBlock}, "end, persist blocked"},
	} {
		calls = nil
		m, _ := New(Point{State: c.from}, h)
		for _, ev := range c.evs {
			_ = m.Fire(ctx, ev)
		}
		if got := strings.Join(calls, ", "); got != c.want {
			t.Errorf("from %s %v:\n got %s\nwant %s", c.from, c.evs, got, c.want)
		}
	}
}

func TestTerminal(t *testing.T) {
	for _, s := range AllStates {
		term := len(want[s]) == 0 || (len(want[s]) == 1 && want[s][EvRetry] == Queued)
		if Terminal(s) != term {
			t.Errorf("Terminal(%s) = %v", s, Terminal(s))
		}
	}
}

// TestResults: the result names are the contract's (SPEC 5), one per
// terminal state, and nothing else has one.
func TestResults(t *testing.T) {
	want := map[State]string{Done: "upgraded", Blocked: "blocked", RolledBack: "rolled-back", Failed: "failed", Cancelled: "cancelled"}
	for _, s := range AllStates {
		if got := Result(s); got != want[s] {
			t.Errorf("Result(%s) = %q, want %q", s, got, want[s])
		}
	}
	if got := strings.Join(Results, " "); got != "upgraded blocked rolled-back failed cancelled" {
		t.Errorf("Results = %s", got)
	}
}

func TestPersistFailureCancels(t *testing.T) {
	boom := errors.New("disk full")
	m, _ := New(Point{State: Queued}, Hooks{Persist: func(Point, Point, Event) error { return boom }})
	err := m.Fire(context.Background(), EvStart)
	if !errors.Is(err, boom) || m.Current() != Queued {
		t.Fatalf("err=%v state=%s; want the persist error and no move", err, m.Current())
	}
	// The machine is not stuck: a later transition works.
	ok, _ := New(Point{State: Queued}, Hooks{})
	if err := ok.Fire(context.Background(), EvStart); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledContextDoesNotStick(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, _ := New(Point{State: Queued}, Hooks{})
	if err := m.Fire(ctx, EvStart); err != nil {
		t.Fatalf("fire with a cancelled context: %v", err)
	}
	if err := m.Fire(ctx, EvHalt); err != nil || m.Current() != Halt {
		t.Fatalf("second fire: %v, state %s", err, m.Current())
	}
}

func TestUnknownInitialState(t *testing.T) {
	if _, err := New(Point{State: "installing"}, Hooks{}); err == nil {
		t.Fatal("an unknown state was accepted")
	}
}

func TestGolden(t *testing.T) {
	got := Mermaid()
	path := "testdata/stages.mmd"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./fsm -run Golden -update)", err)
	}
	if string(b) != got {
		t.Errorf("the table changed: review and run go test ./fsm -run Golden -update\n%s", diff(string(b), got))
	}
}

func diff(a, b string) string {
	var out []string
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
	}
	return strings.Join(out, "\n")
}
