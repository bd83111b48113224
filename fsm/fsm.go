package fsm

import (
	"context"
	"errors"
	"fmt"
	"slices"

	lfsm "github.com/looplab/fsm"
)

// State is a job state. The names are part of the contract (SPEC 3).
type State string

// Job states.
const (
	Queued    State = "queued"
	Preflight State = "preflight"
	Halt      State = "halt"
	Snapshot  State = "snapshot"
	Detach    State = "detach"
	Attach    State = "attach"
	Remediate State = "remediate"
	Boot      State = "boot"
	Verify    State = "verify"
	Rollback  State = "rollback"
	// BootBack puts a zone the job refused or was cancelled on before it
	// was detached back as it was: booted again if it ran before the job.
	BootBack   State = "boot-back"
	Done       State = "done"
	Blocked    State = "blocked"
	RolledBack State = "rolled-back"
	Failed     State = "failed"
	Cancelled  State = "cancelled"
)

// Event is what moves a job from one state to another.
type Event string

// Events. Each names the stage it enters, except the terminal ones.
const (
	EvStart      Event = "start"       // queued -> preflight
	EvHalt       Event = "halt"        // preflight -> halt (the zone is running)
	EvSnapshot   Event = "snapshot"    // preflight, halt -> snapshot
	EvDetach     Event = "detach"      // snapshot -> detach
	EvAttach     Event = "attach"      // detach, remediate -> attach (attach -u)
	EvRemediate  Event = "remediate"   // attach -> remediate (climb one rung)
	EvBoot       Event = "boot"        // attach -> boot
	EvVerify     Event = "verify"      // boot -> verify
	EvFinish     Event = "finish"      // attach (no boot), verify -> done
	EvBlock      Event = "block"       // preflight, boot-back (nothing changed yet, or put back) -> blocked
	EvBootBack   Event = "boot-back"   // halt, snapshot, detach (refused before the detach) -> boot-back
	EvRollback   Event = "rollback"    // any stage after the snapshot -> rollback
	EvRolledBack Event = "rolled-back" // rollback -> rolled-back
	EvFail       Event = "fail"        // rollback -> failed
	EvCancel     Event = "cancel"      // queued, preflight, boot-back, rollback -> cancelled; halt, snapshot, detach -> boot-back; later stages -> rollback
	EvRetry      Event = "retry"       // a terminal state other than done -> queued
)

// AllStates lists every state, in the order of a successful run first.
var AllStates = []State{Queued, Preflight, Halt, Snapshot, Detach, Attach, Remediate,
	Boot, Verify, Rollback, BootBack, Done, Blocked, RolledBack, Failed, Cancelled}

// AllEvents lists every event.
var AllEvents = []Event{EvStart, EvHalt, EvSnapshot, EvDetach, EvAttach, EvRemediate,
	EvBoot, EvVerify, EvFinish, EvBlock, EvBootBack, EvRollback, EvRolledBack, EvFail, EvCancel, EvRetry}

// Table is the transition table: every legal (source, event) pair and its
// destination. It is the whole machine; nothing else decides legality.
var Table = []Transition{
	{EvStart, []State{Queued}, Preflight},
	{EvHalt, []State{Preflight}, Halt},
	{EvSnapshot, []State{Preflight, Halt}, Snapshot},
	{EvDetach, []State{Snapshot}, Detach},
	{EvAttach, []State{Detach, Remediate}, Attach},
	{EvRemediate, []State{Attach}, Remediate},
	{EvBoot, []State{Attach}, Boot},
	{EvVerify, []State{Boot}, Verify},
	{EvFinish, []State{Attach, Verify}, Done},
	{EvBlock, []State{Preflight, BootBack}, Blocked},
	{EvBootBack, []State{Halt, Snapshot, Detach}, BootBack},
	{EvRollback, []State{Snapshot, Detach, Attach, Remediate, Boot, Verify, BootBack}, Rollback},
	{EvRolledBack, []State{Rollback}, RolledBack},
	{EvFail, []State{Rollback}, Failed},
	// A cancel ends a job that changed nothing; one that halted the zone
	// puts it back first; one past the detach is rolled back.
	{EvCancel, []State{Queued, Preflight, BootBack, Rollback}, Cancelled},
	{EvCancel, []State{Halt, Snapshot, Detach}, BootBack},
	{EvCancel, []State{Attach, Remediate, Boot, Verify}, Rollback},
	{EvRetry, []State{Blocked, RolledBack, Failed, Cancelled}, Queued},
}

// Transition is one row of Table.
type Transition struct {
	Event Event
	Src   []State
	Dst   State
}

// TerminalStates are the states a job ends in, in the order their results
// are listed (Results). This is the one list: the store's index of active
// jobs, the daemon and the wire's result names all derive from it.
var TerminalStates = []State{Done, Blocked, RolledBack, Failed, Cancelled}

// Terminal reports whether s is a final state of a job.
func Terminal(s State) bool { return slices.Contains(TerminalStates, s) }

// Result is the result name of a job that ended in s (SPEC 3, 5): a done
// job is "upgraded", the other terminal states are their own names; ""
// for a state that is not terminal. The names are part of the contract.
func Result(s State) string {
	switch {
	case s == Done:
		return "upgraded"
	case Terminal(s):
		return string(s)
	}
	return ""
}

// Results are the result names of the terminal states, in their order.
var Results = func() []string {
	r := make([]string, len(TerminalStates))
	for i, s := range TerminalStates {
		r[i] = Result(s)
	}
	return r
}()

// PutsBack reports whether s is a state that puts the zone back (boot-back,
// rollback): a cancel requested there is honoured at its end, not by
// leaving it.
func PutsBack(s State) bool { return s == BootBack || s == Rollback }

// Valid reports whether s is one of the known states.
func Valid(s State) bool { return slices.Contains(AllStates, s) }

// Next returns the destination of event ev from state s, or an error if the
// table has no such transition.
func Next(s State, ev Event) (State, error) {
	for _, t := range Table {
		if t.Event == ev && slices.Contains(t.Src, s) {
			return t.Dst, nil
		}
	}
	return "", fmt.Errorf("no transition %q from state %q", ev, s)
}

// Machine is one job's state machine. Persist is called with the
// destination before the state changes (write-ahead); if it fails the
// transition is cancelled and the machine stays where it was.
//
// A Machine is owned by one goroutine (the job's worker).
type Machine struct {
	m *lfsm.FSM
}

// New builds a machine in state initial (restored from the store: no
// callbacks fire). persist is called inside the transition, before the
// state flips.
func New(initial State, persist func(from, to State, ev Event) error) (*Machine, error) {
	if !Valid(initial) {
		return nil, fmt.Errorf("unknown state %q", initial)
	}
	events := make(lfsm.Events, 0, len(Table))
	for _, t := range Table {
		src := make([]string, len(t.Src))
		for i, s := range t.Src {
			src[i] = string(s)
		}
		events = append(events, lfsm.EventDesc{Name: string(t.Event), Src: src, Dst: string(t.Dst)})
	}
	cb := lfsm.Callbacks{
		// leave_state is the last hook that can still cancel: the store
		// is written here, so the disk is never behind memory.
		"leave_state": func(_ context.Context, e *lfsm.Event) {
			if persist == nil {
				return
			}
			if err := persist(State(e.Src), State(e.Dst), Event(e.Event)); err != nil {
				e.Cancel(err)
			}
		},
	}
	return &Machine{m: lfsm.NewFSM(string(initial), events, cb)}, nil
}

// Current returns the machine's state.
func (m *Machine) Current() State { return State(m.m.Current()) }

// Can reports whether ev is legal now.
func (m *Machine) Can(ev Event) bool { return m.m.Can(string(ev)) }

// Fire moves the machine with ev. The context is never passed on as
// cancellable: looplab/fsm v1.0.3 stays stuck for good after a transition
// whose context was cancelled (libraries.md 1.6).
func (m *Machine) Fire(ctx context.Context, ev Event) error {
	err := m.m.Event(context.WithoutCancel(ctx), string(ev))
	if err != nil {
		var cancelled lfsm.CanceledError
		if errors.As(err, &cancelled) && cancelled.Err != nil {
			return fmt.Errorf("%s -> %s: %w", m.Current(), ev, cancelled.Err)
		}
		return fmt.Errorf("%s -> %s: %w", m.Current(), ev, err)
	}
	return nil
}
