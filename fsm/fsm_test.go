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
	Remediate:  {EvAttach: Attach, EvRollback: Rollback, EvCancel: Rollback},
	Boot:       {EvVerify: Verify, EvRollback: Rollback, EvCancel: Rollback},
	Verify:     {EvFinish: Done, EvRollback: Rollback, EvCancel: Rollback},
	Rollback:   {EvRolledBack: RolledBack, EvFail: Failed, EvCancel: Cancelled},
	BootBack:   {EvBlock: Blocked, EvCancel: Cancelled, EvRollback: Rollback},
	Done:       {},
	Blocked:    {EvRetry: Queued},
	RolledBack: {EvRetry: Queued},
	Failed:     {EvRetry: Queued},
	Cancelled:  {EvRetry: Queued},
}

func TestEveryStateEventPair(t *testing.T) {
	for _, s := range AllStates {
		for _, ev := range AllEvents {
			dst, legal := want[s][ev]
			got, err := Next(s, ev)
			if legal != (err == nil) || got != dst {
				t.Errorf("Next(%s, %s) = %q, %v; want %q legal=%v", s, ev, got, err, dst, legal)
			}
			// The looplab machine must agree with the table.
			var persisted []string
			m, err := New(s, func(from, to State, e Event) error {
				persisted = append(persisted, fmt.Sprintf("%s>%s", from, to))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = m.Fire(context.Background(), ev)
			if legal {
				if err != nil || m.Current() != dst || len(persisted) != 1 {
					t.Errorf("%s --%s-->: err=%v state=%s persisted=%v", s, ev, err, m.Current(), persisted)
				}
			} else if err == nil || m.Current() != s || len(persisted) != 0 {
				t.Errorf("%s --%s--> should be refused: err=%v state=%s persisted=%v", s, ev, err, m.Current(), persisted)
			}
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
	m, _ := New(Queued, func(State, State, Event) error { return boom })
	err := m.Fire(context.Background(), EvStart)
	if !errors.Is(err, boom) || m.Current() != Queued {
		t.Fatalf("err=%v state=%s; want the persist error and no move", err, m.Current())
	}
	// The machine is not stuck: a later transition works.
	ok, _ := New(Queued, nil)
	if err := ok.Fire(context.Background(), EvStart); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledContextDoesNotStick(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, _ := New(Queued, nil)
	if err := m.Fire(ctx, EvStart); err != nil {
		t.Fatalf("fire with a cancelled context: %v", err)
	}
	if err := m.Fire(ctx, EvHalt); err != nil || m.Current() != Halt {
		t.Fatalf("second fire: %v, state %s", err, m.Current())
	}
}

func TestUnknownInitialState(t *testing.T) {
	if _, err := New("installing", nil); err == nil {
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
