// Package fsm is zoneup's stage machine: the job states of SPEC 3, the
// events between them, and the transition table. It does no I/O: the
// daemon's worker runs a stage's work, then fires the event the work chose;
// the machine checks that the move is legal and calls its hooks: End
// before a terminal move, Persist (write-ahead) before the state changes,
// LeaveLadder once a job is past the ladder.
//
//	queued -> preflight -> [halt] -> snapshot -> [detach] -> attach (rung 0)
//	                                                      ^     |
//	          remediate --next-rung--> remediate <--------+-----+  (rung +1, then attach -u again)
//	attach -> [boot -> verify] -> done
//
//	preflight --block--> blocked  (nothing changed)
//	halt, snapshot, detach --boot-back--> boot-back --block--> blocked  (refused before the detach: the zone booted again if it ran)
//	snapshot .. verify --rollback--> rollback --> rolled-back | failed
//	queued, preflight --cancel--> cancelled; halt, snapshot, detach --cancel--> boot-back --cancelled--> cancelled
//	attach .. verify --cancel--> rollback --cancelled--> cancelled; boot-back --rollback--> rollback (cancelled after the detach)
//	blocked, rolled-back, failed, cancelled --retry--> queued
//
// The machine's state is a Point: the state, the ladder position (which
// rung's attach -u is due) and the cancel mark. A cancel taken in boot-back
// or rollback stays there and marks the job: it then ends cancelled, never
// blocked or rolled-back (the guards of Table).
//
// Terminal states (TerminalStates; Result names their outcomes, done
// being "upgraded"): done, blocked, rolled-back, failed, cancelled.
//
// Side effects, all done by the daemon between transitions: halt (zoneadm
// halt), snapshot (zfs snapshot -r), detach, attach (zoneadm attach -u),
// remediate (one rung of the ladder), boot, boot-back (zoneadm boot of a
// zone that ran before the job), rollback (zfs rollback of every
// dataset). preflight and verify only read.
//
// testdata/stages.mmd is the table drawn as a Mermaid diagram; regenerate it
// with `go test ./fsm -run Golden -update` and review the change like code.
package fsm
