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
	EvAttach     Event = "attach"      // detach (first rung), remediate -> attach (attach -u)
	EvRemediate  Event = "remediate"   // attach -> remediate (climb to the next rung)
	EvNextRung   Event = "next-rung"   // remediate -> remediate (the rung did nothing: climb on)
	EvBoot       Event = "boot"        // attach -> boot
	EvVerify     Event = "verify"      // boot -> verify
	EvFinish     Event = "finish"      // attach (no boot), verify -> done
	EvBlock      Event = "block"       // preflight, boot-back (nothing changed yet, or put back) -> blocked
	EvBootBack   Event = "boot-back"   // halt, snapshot, detach (refused before the detach) -> boot-back
	EvRollback   Event = "rollback"    // any stage after the snapshot -> rollback
	EvRolledBack Event = "rolled-back" // rollback -> rolled-back
	EvFail       Event = "fail"        // rollback -> failed
	EvCancel     Event = "cancel"      // the operator's cancel, taken at a stage boundary (Table)
	EvCancelled  Event = "cancelled"   // boot-back, rollback of a cancelled job -> cancelled
	EvRetry      Event = "retry"       // a terminal state other than done -> queued
)

// AllStates lists every state, in the order of a successful run first.
var AllStates = []State{Queued, Preflight, Halt, Snapshot, Detach, Attach, Remediate,
	Boot, Verify, Rollback, BootBack, Done, Blocked, RolledBack, Failed, Cancelled}

// AllEvents lists every event.
var AllEvents = []Event{EvStart, EvHalt, EvSnapshot, EvDetach, EvAttach, EvRemediate, EvNextRung,
	EvBoot, EvVerify, EvFinish, EvBlock, EvBootBack, EvRollback, EvRolledBack, EvFail, EvCancel, EvCancelled, EvRetry}

// Point is where a job is: its state, the rung of the ladder it is on,
// and whether the operator's cancel has been taken. The three together are
// the machine's state; the store keeps them with the job (write-ahead).
type Point struct {
	State State
	// Rung is the position in [attach-update, ladder...] of the rung whose
	// attach -u is due (attach) or that is being climbed (remediate). The
	// first attach after the detach is at 0; EvRemediate and EvNextRung
	// climb one.
	Rung int
	// Cancel says the job was cancelled: it is putting the zone back
	// (boot-back, rollback) and ends cancelled, or has.
	Cancel bool
}

// RungMove is what a transition does to the ladder position.
type RungMove int

// Rung moves.
const (
	Keep  RungMove = iota // the position stays
	First                 // back to attach-update (the first attach -u of the attempt)
	Climb                 // one rung up
)

// Guard is the condition under which a row of Table applies.
type Guard int

// Guards.
const (
	Always       Guard = iota
	IfCancel           // only for a cancelled job
	UnlessCancel       // never for a cancelled job: it ends cancelled
)

// Table is the transition table: every legal (source, event) pair, its
// destination, what it does to the ladder position and when it applies.
// It is the whole machine; nothing else decides legality. EvCancel always
// marks the job cancelled, EvRetry starts a new attempt (Step).
var Table = []Transition{
	{EvStart, []State{Queued}, Preflight, Keep, Always},
	{EvHalt, []State{Preflight}, Halt, Keep, Always},
	{EvSnapshot, []State{Preflight, Halt}, Snapshot, Keep, Always},
	{EvDetach, []State{Snapshot}, Detach, Keep, Always},
	{EvAttach, []State{Detach}, Attach, First, Always},
	{EvAttach, []State{Remediate}, Attach, Keep, Always},
	{EvRemediate, []State{Attach}, Remediate, Climb, Always},
	{EvNextRung, []State{Remediate}, Remediate, Climb, Always},
	{EvBoot, []State{Attach}, Boot, Keep, Always},
	{EvVerify, []State{Boot}, Verify, Keep, Always},
	{EvFinish, []State{Attach, Verify}, Done, Keep, Always},
	{EvBlock, []State{Preflight}, Blocked, Keep, Always},
	{EvBlock, []State{BootBack}, Blocked, Keep, UnlessCancel},
	{EvBootBack, []State{Halt, Snapshot, Detach}, BootBack, Keep, Always},
	{EvRollback, []State{Snapshot, Detach, Attach, Remediate, Boot, Verify, BootBack}, Rollback, Keep, Always},
	{EvRolledBack, []State{Rollback}, RolledBack, Keep, UnlessCancel},
	{EvFail, []State{Rollback}, Failed, Keep, Always},
	// A cancel ends a job that changed nothing; one that halted the zone
	// puts it back first; one past the detach is rolled back; one putting
	// the zone back already goes on doing so, and ends cancelled.
	{EvCancel, []State{Queued, Preflight}, Cancelled, Keep, Always},
	{EvCancel, []State{Halt, Snapshot, Detach}, BootBack, Keep, Always},
	{EvCancel, []State{Attach, Remediate, Boot, Verify}, Rollback, Keep, Always},
	{EvCancel, []State{BootBack}, BootBack, Keep, Always},
	{EvCancel, []State{Rollback}, Rollback, Keep, Always},
	{EvCancelled, []State{BootBack, Rollback}, Cancelled, Keep, IfCancel},
	{EvRetry, []State{Blocked, RolledBack, Failed, Cancelled}, Queued, First, Always},
}

// Transition is one row of Table.
type Transition struct {
	Event Event
	Src   []State
	Dst   State
	Rung  RungMove
	If    Guard
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

// PastLadder reports whether s comes after the ladder: boot, verify, the
// states that put the zone back, and the terminal ones. A job moving into
// one no longer needs what its rungs changed on the host (Hooks.LeaveLadder).
func PastLadder(s State) bool {
	switch s {
	case Boot, Verify, Rollback, BootBack:
		return true
	}
	return Terminal(s)
}

// Valid reports whether s is one of the known states.
func Valid(s State) bool { return slices.Contains(AllStates, s) }

// row is the Table row for ev from s.
func row(s State, ev Event) (Transition, bool) {
	for _, t := range Table {
		if t.Event == ev && slices.Contains(t.Src, s) {
			return t, true
		}
	}
	return Transition{}, false
}

// Next returns the destination of event ev from state s in Table, or an
// error if it has no such transition. Step also applies the row's guard.
func Next(s State, ev Event) (State, error) {
	t, ok := row(s, ev)
	if !ok {
		return "", fmt.Errorf("no transition %q from state %q", ev, s)
	}
	return t.Dst, nil
}

// Step returns the point event ev leads to from p: the row's destination,
// its move on the ladder, EvCancel's mark and EvRetry's fresh attempt. It
// is an error when Table has no such transition or its guard refuses it.
func Step(p Point, ev Event) (Point, error) {
	t, ok := row(p.State, ev)
	switch {
	case !ok:
		return Point{}, fmt.Errorf("no transition %q from state %q", ev, p.State)
	case t.If == IfCancel && !p.Cancel:
		return Point{}, fmt.Errorf("no transition %q from state %q: the job was not cancelled", ev, p.State)
	case t.If == UnlessCancel && p.Cancel:
		return Point{}, fmt.Errorf("no transition %q from state %q: the job was cancelled, it ends cancelled", ev, p.State)
	}
	q := Point{State: t.Dst, Rung: p.Rung, Cancel: p.Cancel || ev == EvCancel}
	switch t.Rung {
	case First:
		q.Rung = 0
	case Climb:
		q.Rung++
	}
	if ev == EvRetry {
		q.Cancel = false // a new attempt
	}
	return q, nil
}

// Hooks are what the machine calls as it moves. Every hook runs on the
// goroutine that fires the event; none may fire one.
type Hooks struct {
	// Persist writes the point the machine moves to, before it moves
	// (write-ahead): if it fails the move is cancelled and the machine
	// stays where it was. Also called for a move that stays in its state
	// (next-rung, a cancel taken while putting the zone back).
	Persist func(from, to Point, ev Event) error
	// End runs before a move into a terminal state, before Persist: what
	// the job still holds on the host is let go before anyone can see it
	// ended.
	End func()
	// LeaveLadder runs once the machine has moved from a state before or
	// on the ladder into one past it (PastLadder) that is not terminal
	// (those have End): the job no longer needs its rungs' host-wide
	// changes.
	LeaveLadder func()
}

// Machine is one job's state machine: looplab/fsm carries the states and
// the callbacks; the machine adds the ladder position and the cancel mark
// (Point), persisted by Hooks.Persist with the state.
//
// A Machine is owned by one goroutine (the job's worker).
type Machine struct {
	m     *lfsm.FSM
	h     Hooks
	p     Point // where the machine is
	next  Point // where the move under way goes (set in before_event)
	moved bool  // the move under way passed every hook
}

// New builds a machine at point at (restored from the store: no hooks
// fire).
func New(at Point, h Hooks) (*Machine, error) {
	if !Valid(at.State) {
		return nil, fmt.Errorf("unknown state %q", at.State)
	}
	m := &Machine{h: h, p: at}
	events := make(lfsm.Events, 0, len(Table))
	for _, t := range Table {
		src := make([]string, len(t.Src))
		for i, s := range t.Src {
			src[i] = string(s)
		}
		events = append(events, lfsm.EventDesc{Name: string(t.Event), Src: src, Dst: string(t.Dst)})
	}
	cb := lfsm.Callbacks{
		// before_event runs for every legal move, the ones that stay in
		// their state too, and can still cancel it: the guard, End and
		// the store's write are here, so the disk is never behind memory.
		"before_event": func(_ context.Context, e *lfsm.Event) {
			m.moved = false
			q, err := Step(m.p, Event(e.Event))
			if err != nil {
				e.Cancel(err)
				return
			}
			if Terminal(q.State) && m.h.End != nil {
				m.h.End()
			}
			if m.h.Persist != nil {
				if err := m.h.Persist(m.p, q, Event(e.Event)); err != nil {
					e.Cancel(err)
					return
				}
			}
			m.next, m.moved = q, true
		},
		"enter_state": func(_ context.Context, e *lfsm.Event) {
			from := m.p.State
			m.p = m.next
			if !PastLadder(from) && PastLadder(m.p.State) && !Terminal(m.p.State) && m.h.LeaveLadder != nil {
				m.h.LeaveLadder()
			}
		},
	}
	m.m = lfsm.NewFSM(string(at.State), events, cb)
	return m, nil
}

// Current returns the machine's state.
func (m *Machine) Current() State { return m.p.State }

// Point returns where the machine is: state, rung position, cancel mark.
func (m *Machine) Point() Point { return m.p }

// Rung returns the ladder position (Point.Rung).
func (m *Machine) Rung() int { return m.p.Rung }

// Cancelled reports whether the job's cancel was taken: it ends cancelled.
func (m *Machine) Cancelled() bool { return m.p.Cancel }

// Can reports whether ev is legal now, its guard included.
func (m *Machine) Can(ev Event) bool {
	_, err := Step(m.p, ev)
	return err == nil && m.m.Can(string(ev))
}

// Fire moves the machine with ev. The context is never passed on as
// cancellable: looplab/fsm v1.0.3 stays stuck for good after a transition
// whose context was cancelled (libraries.md 1.6).
func (m *Machine) Fire(ctx context.Context, ev Event) error {
	from := m.p.State
	err := m.m.Event(context.WithoutCancel(ctx), string(ev))
	var stayed lfsm.NoTransitionError
	if errors.As(err, &stayed) && stayed.Err == nil && m.moved {
		err = nil // a move that stays in its state (next-rung, a cancel while putting back)
	}
	if err != nil {
		var cancelled lfsm.CanceledError
		if errors.As(err, &cancelled) && cancelled.Err != nil {
			return fmt.Errorf("%s -> %s: %w", from, ev, cancelled.Err)
		}
		return fmt.Errorf("%s -> %s: %w", from, ev, err)
	}
	m.p = m.next
	return nil
}
