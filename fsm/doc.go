// Package fsm is zoneup's stage machine: the job states of SPEC 3, the
// events between them, and the transition table. It does no I/O: the
// daemon's worker runs a stage's work, then fires the event the work chose;
// the machine checks that the transition is legal and calls the persist
// hook (write-ahead) before the state changes.
//
//	queued -> preflight -> [halt] -> snapshot -> [detach] -> attach
//	                                                      ^     |
//	                                    remediate <-------+-----+  (one rung, then attach -u again)
//	attach -> [boot -> verify] -> done
//
//	preflight, halt, snapshot, detach --block--> blocked  (nothing changed)
//	snapshot .. verify --rollback--> rollback --> rolled-back | failed | cancelled
//	queued, preflight, halt, snapshot, detach --cancel--> cancelled  (the zone not yet detached: nothing to undo)
//	blocked, rolled-back, failed, cancelled --retry--> queued
//
// Terminal states (TerminalStates; Result names their outcomes, done
// being "upgraded"): done, blocked, rolled-back, failed, cancelled.
//
// Side effects, all done by the daemon between transitions: halt (zoneadm
// halt), snapshot (zfs snapshot -r), detach, attach (zoneadm attach -u),
// remediate (one rung of the ladder), boot, rollback (zfs rollback of every
// dataset). preflight and verify only read.
//
// testdata/stages.mmd is the table drawn as a Mermaid diagram; regenerate it
// with `go test ./fsm -run Golden -update` and review the change like code.
package fsm
