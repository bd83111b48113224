// Package domain holds the few rules that the CLI, the daemon, the host
// adapter and the simulator must read alike, so that each has one
// definition (SPEC 3 and 5):
//
//   - the rung names, in ladder order, and the default ladder (rungs 2-7);
//   - which rungs are destructive, and how an allow list (`allow`,
//     `zoneupd --allow`, `zoneupadm enqueue --allow`) is read;
//   - how the `ladder` setting is read;
//   - what can be the name of a zone zoneup upgrades.
//
// It imports no other package of the project, so every one of them may
// import it without bending the arrows of STYLE.md: cmd, daemon,
// daemon/api, host and even sim (which imports nothing else of zoneup).
// domaintest holds the tables of edge cases each user's tests run through
// its own checks, so that a change here shows wherever a copy survives.
package domain
