package fsm

import (
	"fmt"
	"strings"
)

// Mermaid draws Table as a Mermaid state diagram, one line per transition in
// table order, so a diff of the golden file shows exactly what changed.
func Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s\n", id(Queued))
	for _, t := range Table {
		for _, s := range t.Src {
			fmt.Fprintf(&b, "    %s --> %s: %s%s\n", id(s), id(t.Dst), t.Event, label(t))
		}
	}
	for _, s := range AllStates {
		if Terminal(s) {
			fmt.Fprintf(&b, "    %s --> [*]\n", id(s))
		}
	}
	return b.String()
}

// label tells a row's move on the ladder and its guard.
func label(t Transition) string {
	var l string
	switch t.Rung {
	case First:
		l = " (rung 0)"
	case Climb:
		l = " (rung +1)"
	}
	switch t.If {
	case IfCancel:
		l += " [cancelled]"
	case UnlessCancel:
		l += " [not cancelled]"
	}
	return l
}

// id makes a state name a Mermaid identifier ("rolled-back" -> "rolled_back").
func id(s State) string { return strings.ReplaceAll(string(s), "-", "_") }
