// Package host is the one layer through which zoneup runs and reads the
// host's tools: zoneadm, zfs, beadm, mount/umount, pkg, zlogin/svcs and
// svcprop (SPEC 2; the facts are in shared/reference/solaris-tools.md).
//
// A Runner runs one argv (never a shell), found by bare name through PATH,
// in its own process group with a timeout that kills the whole group,
// LC_ALL=C and no PKG_IMAGE; its output is kept bounded. Tools builds
// each operation's argv, runs it through an Executor (the Runner, or a
// test double) and parses only the parsable forms with pure functions
// (Parse*), each tested against captured output in testdata/ and fuzzed.
//
// Failures are *ExecError values carrying argv, exit code and the tail of
// stderr; their Kind (ErrNoSuchZone, ErrNotFound, ErrTransient,
// ErrTimeout, ErrNoImage, ErrUnknownSubcommand) is what callers switch on
// with errors.Is, never the text. Why an attach -u failed is only in the
// attach log named on its first line of output: ClassifyAttach reads it.
//
// One file per tool: zoneadm.go, attachlog.go (attach -u), zfs.go,
// beadm.go (and the active zone BE), mount.go, ips.go (pkg), zlogin.go
// (svcs, svcprop); version.go is a pure rule. What can be a zone name is
// package domain's (ValidZoneName), shared with the CLI and the simulator.
package host
