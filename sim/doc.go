// Package sim is zonesim, the simulated Solaris host of zoneup: a
// multi-call program that behaves as zoneadm, zfs, pkg, beadm, zlogin,
// svcs, svcprop, mount and umount do (argv forms, parsable output, exit
// codes and literal messages of shared/reference/solaris-tools.md), and
// as sendmail (below), on a host kept in a world folder. Three profiles: s11e (OpenSolaris zones,
// entire 0.5.11-0.111 .. 0.134, onto a Solaris 11 Express global zone,
// entire 0.5.11-0.151.0.1; the 2010 formats: 7-column publisher tsv with
// PREFERRED, the OSOL/S11E `pkg list` columns, an unsettable preferred
// publisher), oi (OpenIndiana Hipster 2018/2019 zones onto 2020; the
// 8-column tsv whose ENABLED column follows the origin and whose origins
// are sorted, reference 6.4a) and omnios (reference 10, below).
//
// # The omnios profile
//
// An OmniOS r151054 global zone (entire 11-151054.0, boot environments
// omnios-r151052 and omnios-r151054) with zones at 11-151046.0,
// 11-151050.0 or 11-151052.0, each zone's own omnios publisher at its
// release (https://pkg.omnios.org/rNNNNNN/core/). Global publishers, in
// search order: omnios (https://pkg.omnios.org/r151054/core/, sticky),
// extra.omnios (https://pkg.omnios.org/r151054/extra/), and local,
// disabled, with the unreachable origins http://pkg.zz-local.example/local/
// then http://pkg.aa-local.example/local/ (not sorted) and the property
// signature-policy=ignore. What differs from oi: zoneadm list -p prints an
// 8th field, the debug id (0 for global); pkg publisher NAME prints the
// OmniOS block (Alias None, Origin Status and SSL lines per origin,
// "    Publisher enabled: Yes|No", a "Properties:" block of sorted
// "k = v" lines); the solver's "No solution" exits 9 (EXIT_CONSTRAINED),
// and a direct pkg install that moves a zone's entire meets the zone's
// solver troubles (conflicts, stale-image, broken-image) there.
// set-publisher takes --set-property, --add-property-value,
// --remove-property-value and --unset-property (oi too); a publisher that
// is unset and set again has lost its properties.
//
// # Brands
//
// A zone has a brand (scenario key "brand", default ipkg; zoneadm list
// prints it): omnios ipkg, lipkg, sparse, pkgsrc, bhyve, lx; oi ipkg,
// nlipkg; s11e ipkg. bhyve and lx zones have only the zonepath dataset (no
// ROOT, no zbe, no image, no troubles) and empty attach and detach hooks:
// attach ignores -u, prints nothing (no Log File:) and marks the zone
// installed. A sparse or pkgsrc zone's zbe has the overlays ZBE/svc and
// ZBE/fm, mounted on ZONEROOT/lib/svc and ZONEROOT/usr/lib/fm, each holding
// .org.opensolaris,pkgkey, and its image is partial (key files; show --json
// "partial"); while a key file is missing every pkg -R ZONEROOT fails with
// `pkg: Image is missing key file. Is everything mounted? 'KEYFILE'`, exit
// 51 (image-create excepted, which makes a full image). As the sparse
// brand scripts do: detach gives the overlays canmount=on and mountpoint
// ZONEROOT/DIR (mounted); a successful attach makes them canmount=noauto,
// mountpoint inherited (legacy) and mounts them with mount -F zfs -O; a
// failed one (after the zbe was found) runs the exit trap, which sets the
// zbe's zoned=off, canmount=on, mountpoint=ZONEROOT and leaves the overlays
// unmounted, noauto, with the mountpoint they inherit (ZONEROOT/svc, /fm).
// boot mounts them, halt unmounts them with the zbe. They come back with
// mount -F zfs -O DS DIR (refused unless the mountpoint is legacy) or zfs
// set mountpoint=DIR DS and zfs mount -O DS.
//
// # The world folder
//
//	state.json         the model (global zone, zones, datasets, images, locks), replaced by rename
//	lock               flock'd around each read-decide and re-read-apply step
//	seq                the last invocation number
//	invocations.jsonl  one JSON object per line, one write(2) each (ReadInvocations)
//	crashplan          "SEQ start|end" or "match start|end PATTERN": the crash hook (SetCrashPlan, SetCrashMatch)
//	running/PID        one file per live tool process (its start time)
//	zones/NAME/        the zonepath; zones/NAME/root is ZONEROOT, real files
//	data/DATASET       where an unmounted zone BE's files wait ('/' written '%')
//	var/tmp/           the attach logs (ZONE.attach_log.XXXXXX)
//	smf/               svcprop's answers (below)
//	mail/NNNN.eml      the messages sendmail took, numbered from 0001 (below)
//
// A zone BE's files are in ZONEROOT exactly while it is mounted there (a
// running zone, a detached one, right after an attach, or `mount -F zfs`);
// unmounting moves them to data/ and leaves ZONEROOT an empty directory.
// A snapshot of a zone BE copies its files to ZONEROOT/.zfs/snapshot/NAME
// and keeps a copy of its package image; a rollback puts both back.
//
// # A tool call
//
// Each call gets a number and a start record, pays its tool's start-up
// cost (below) outside the lock, then decides under the lock
// (taking the zone's zoneadm lock or the image's pkg lock if it will change
// something; a lock whose process is dead is stale), sleeps its simulated
// time outside the lock (durations in seconds divided by ZONESIM_SPEED),
// re-reads, re-checks and applies under the lock, and writes its end
// record before unlocking. The crash hook, when the plan names the call,
// fires halfway through the sleep ("start", nothing changed) or right
// after the end record ("end"): it removes the plan and SIGKILLs the
// parent process, every other registered tool of the world, and itself.
//
// # In process
//
// Host runs the same calls in the caller's process, on the world and at
// the speed it names (no environment): the daemon's scenario tests give
// one to host.Runner's Spawn, a world per test, many at once. A Host's
// call holds its locks as a token of this process, stale once the call
// returns; it is not in running/ and never fires the crash hook; when its
// ctx ends while it waits (a hung attach too), it stops as a killed tool
// does (no end record, nothing applied) and returns -1.
//
// # Start-up costs
//
// Every call first pays what starting its program costs on a real host,
// before it looks at anything, in seconds of host time divided by
// ZONESIM_SPEED like every simulated duration, between the start and end
// records (so dur_ms, and any lower bound a benchmark computes from the
// invocation log, include it); usage errors pay it too. It is what makes
// a needless call cost what it costs: every pkg run is a Python client
// that loads the image and its catalogs before it can even list a
// publisher, while zfs or svcprop is a small C program.
//
//	pkg        1.0   Python; imports pkg.client, loads the image and its catalogs
//	beadm      0.05  C over libbe on oi and omnios
//	           0.8   s11e: the Python beadm of OpenSolaris and Solaris 11 Express
//	zoneadm    0.05  C; brand hooks are forked by changes only, whose own
//	                 durations (attach, detach, halt, boot) stay as they are
//	zlogin     0.1   C, plus the zone console/session set-up
//	svcs       0.05  C, reads the repository through svc.configd
//	zfs        0.03  C over libzfs
//	mount      0.01  C
//	umount     0.01  C
//	svcprop    0.01  C
//	sendmail   0     its 0.5 s stays the whole cost
//
// The numbers are relative, not measured: a pkg call costs twenty to a
// hundred zfs calls. StartUpCost returns them.
//
// # The attach log
//
// attach writes its log as the ipkg brand does while pkg install runs for
// minutes: the "Log File:" line is the first on stdout, at once; the
// brand's header lines (dated, also on stdout) are in the log before the
// simulated time starts; then pkg's progress lines (undated, in the log
// only, as its non-interactive progress tracker prints them) come one by
// one over the simulated time, line i of k after i/(k+1) of it, each with
// one write(2); the failure text and the brand's end lines (dated) come
// at the end, under the lock. How far the progress goes depends on how pkg
// ends: a full attach -u (300 s) has 15 lines ("Creating Plan (Solver
// setup)", "(Running solver)", "(Package planning)", "Packages to update:
// N", the DOWNLOAD table with two "Downloading" lines and "Completed", a
// blank line, the PHASE table of removing, installing and updating
// actions, the package state database, image state and fast lookup
// database lines), so the first comes after 1/16 of the time; a transport
// or space failure (60 s) stops after the first "Downloading" line (6
// lines), a solver failure, a dry run without -u or a zone in sync after
// "Creating Plan (Running solver)" (2 lines); pkg refusing a locked image,
// the brand's own checks (sanity, datasets) and empty hooks write none. A
// hung attach writes its 6 lines in the first half of its nominal time,
// then nothing. stdout is unchanged by this: pkg's "Packages to update",
// DOWNLOAD and "Completed" lines come there at the end of a successful
// attach -u. The crash hook's start point still fires halfway, after the
// lines due by then. The log file is outside state.json and is written
// outside the lock.
//
// # sendmail
//
// sendmail [-t] [-i] [-oi] [-f|-r SENDER] [-F NAME] [-oX...] [ADDRESS...]
// reads a message on stdin (RFC 5322 header fields, a blank line, the
// body; a first line that is no header field starts the body) and keeps it
// as mail/NNNN.eml (the next free number, taken under the world lock,
// written by rename), the message as given after three envelope lines:
// "Return-Path: <SENDER>" (-f or -r, else the From: address, else the
// user), "X-Zonesim-Envelope-To: A, B" (the operands, comma-separated
// lists allowed, then with -t the addresses of every To:, Cc: and Bcc:
// field) and "X-Zonesim-Invocation: SEQ". Without -i or -oi a line
// holding a single "." ends the message, as Sendmail reads stdin. It
// exits 0 after 0.5 s of simulated time, printing nothing. With no
// recipient at all (no operand and no -t, or -t and no address in To:,
// Cc: or Bcc:) it prints Sendmail 8's text for -t without recipients
// (collect.c's usrerr, here with the program's name before it; Postfix
// words it "sendmail: fatal: No recipient addresses found in message
// header", and Sendmail without -t and operands says "Recipient names
// must be specified"), one text for both cases:
//
//	sendmail: No recipient addresses found in header
//
// on stderr and exits 1; an unknown option is "sendmail: illegal option
// -- X", exit 64 (EX_USAGE); -b other than -bm is refused the same way.
// Every call is in the invocation log, and the crash hook holds as for
// every tool (at start nothing is kept). `zonesim mail --world DIR
// [--json]` lists the messages in the order sent; --json prints an array
// of {file, seq, from, to: [...], subject (RFC 2047 decoded), body (after
// the blank line, as sent)}; ReadMail returns the same.
//
// # Troubles and faults
//
// A zone's troubles make attach -u fail; each is cured by the rungs
// CuredBy lists, and its cure lives where the rung acts (the global
// zone's publisher list, the zone's image), so a rollback brings it back:
//
//	gz-publishers    transport error on a non-first global publisher's URL while the
//	                 global zone has more than one publisher
//	zone-publishers  transport error on the zone image's odd publisher while it is there
//	too-old          (s11e) "No matching version of entire" while entire < 0.5.11-0.134
//	conflicts        "No solution" naming a conflicting package while one is installed
//	stale-image      "No solution" until image-update (or update) has run on the image
//	broken-image     "No solution" until image-create and install system/library
//
// The first uncured one in that order writes the attach log. Faults:
// locked-once and hung-attach (the first attach -u fails with the image
// lock text / hangs until killed), pkg-locked-once (the first change pkg
// makes in the zone image from the global zone exits 7, image locked),
// no-space-snapshot, no-space (the zbe is
// bigger than the pool's available), no-space-attach, not-dataset (the
// zonepath is a plain folder), repo-down (transport error on the global
// first publisher's URL), boot-fails, svc-maintenance (svcs -x reports
// Apache in maintenance after boot), and, on every profile:
//
//	sanity-fails    attach (with or without -u) fails with the brand's sanity text
//	                ("ERROR:   Sanity Check: FAILED, couldn't determine
//	                variant.opensolaris.zone from image." on oi and omnios, "... the
//	                image is from the global zone." on s11e) before any package
//	                work; the zone stays configured, its image unchanged
//	backup-twin     pool backup with backup/zones/NAME (mountpoint = the zonepath,
//	                mounted=no: received), NAME/ROOT and NAME/ROOT/zbe (the same
//	                libbe properties), two snapshots each; it sorts before rpool
//	auto-snapshots  after each attach of the zone: a recursive snapshot of the
//	                zonepath dataset, zfs-auto-snap_frequent-YYYY-MM-DD-HHhMM
//	be-clone        after the zone's first attach: a new global BE ACTIVE-backup-1,
//	                a recursive snapshot ZBE@ACTIVE-backup-1 and its clone
//	                ZONEPATH_DS/ROOT/zbe-N (parentbe the new BE, active on), so
//	                zfs rollback -r to an older snapshot fails; -R destroys it
//	delegated       ZONEPATH_DS/data (zoned, mountpoint /data, never mounted in the
//	                global zone) with files, in every recursive snapshot
//
// On oi and omnios attach -u runs copy-publishers-from: every global
// publisher, disabled ones and their properties included, replaces the
// zone's same-named one, the first search-first, the zone's own kept after
// it; there gz-publishers names an origin of a disabled global publisher
// (omnios: local's first configured origin), else the second's.
//
// zfs keeps a createtxg counter (zfs list -o createtxg; a recursive
// snapshot is one txg), clones (snapshot property clones, "-" when none;
// filesystem property origin), zfs set and inherit of mountpoint, canmount,
// zoned and user properties (with libzfs's remount rules: only canmount=off
// unmounts; a mountpoint change remounts what was mounted, noauto too),
// zfs mount [-O] DS (refused for canmount=off, legacy, none, zoned) and zfs
// unmount. zfs get without -r or -d shows a filesystem, not its snapshots.
// show --json adds "datasets" (every dataset: mountpoint and its source,
// mounted, mounted_at, canmount, zoned, origin, createtxg, properties,
// snapshots with createtxg and clones) and, per zone, brand, partial,
// overlays, backup_twin and delegated; publishers have "properties".
//
// # Scenario files
//
// `zonesim init --scenario FILE` reads JSON (unknown keys are an error):
//
//	{
//	  "profile": "s11e",                 // or "oi", "omnios"; default s11e (or --profile)
//	  "seed": 7,                         // uuids, sizes, picks
//	  "hostname": "gz01",                // in pkg's image-lock message
//	  "pool_available": 161061273600,    // bytes; default ~150 GiB
//	  "gz": {                            // optional: the profile's global zone otherwise
//	    "entire": "0.5.11-0.151.0.1",
//	    "publishers": [                  // in search order; the first must be enabled
//	      {"name": "solaris", "origins": ["http://pkg.oracle.com/solaris/release/"],
//	       "mirrors": [], "enabled": true, "sticky": true, "proxy": "",
//	       "properties": {"signature-policy": "ignore"}}
//	    ]
//	  },
//	  "zones": [
//	    {"name": "web01",
//	     "brand": "ipkg",                // default ipkg; see Brands
//	     "state": "running",             // running (default), installed, configured, incomplete
//	     "autoboot": true,               // default: true when running
//	     "troubles": ["too-old", "conflicts"],
//	     "faults": ["locked-once"],
//	     "entire": "0.5.11-0.111",       // default: picked from the profile's zone releases
//	     "extra_zbe": true,              // an inactive zbe-1 of the older GZ BE
//	     "used": 1567289344,             // the zbe's used bytes
//	     "ip_type": "excl",
//	     "odd_publisher": {"name": "contrib", "origins": ["http://pkg.example.org/contrib/"],
//	                       "enabled": true, "sticky": true},       // zone-publishers
//	     "conflict_packages": ["web/server/apache-22", "web/php-52"] // conflicts
//	    }
//	  ]
//	}
//
// Publishers are written as show --json writes them: "enabled" and
// "sticky" default to false. An origin the profile does not know cannot be
// reached. An s11e zone whose entire is below 0.5.11-0.134 has too-old
// whether listed or not. A bhyve or lx zone takes no troubles.
//
// `zonesim init --fleet N --seed S` is deterministic for a seed; the s11e
// and oi fleets are what they always were. An omnios fleet draws, on a
// stream of its own, brands (every one from 30 zones on) and the faults
// sanity-fails, backup-twin, auto-snapshots, be-clone and delegated (every
// one from 30 zones on, ipkg-family zones only; a be-clone zone without
// troubles gets broken-image, so that it is rolled back); bhyve and lx
// zones lose troubles and faults, and more than half still fail a plain
// attach -u.
//
// # Expect
//
// State.Expect: a zone outside ipkg, nlipkg, lipkg, sparse and pkgsrc is
// blocked; sanity-fails (like repo-down and no-space-attach) is
// rolled-back with no rung; recreate-image never counts for sparse and
// pkgsrc zones; every rolled-back result of a be-clone zone (boot-fails
// included) is failed instead, since only -R would roll it back;
// auto-snapshots and delegated change nothing.
//
// It stays in sim, not in a test-support package: `zonesim expect` is how
// make demo checks its night (demo/demo.sh), and Expect is what the
// daemon's, the bench suite's and sim's own tests compare jobs with. Its
// rung names, the default ladder and the destructive set come from
// package domain, the one leaf of zoneup that sim imports (the zone-name
// rule of init too), and expect reads --ladder, --allow and the RUNG of
// --allow-zones as zoneupd reads its ladder and allow: a misspelt rung is
// an error, not a silently different expectation.
//
// # svcprop
//
// svcprop answers from smf/FMRI.props, FMRI being the instance's full FMRI
// (svc:/...:instance) with every character outside [A-Za-z0-9._-] made '_'
// (svc:/application/zoneup:default -> smf/svc__application_zoneup_default.props),
// or else from smf/properties. Each line is `pg/prop type value...` exactly as
// svcprop prints it, escapes included; a missing property or group gives
// svcprop's error and exit 1.
package sim
