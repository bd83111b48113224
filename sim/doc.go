// Package sim is zonesim, the simulated Solaris host of zoneup: a
// multi-call program that behaves as zoneadm, zfs, pkg, beadm, zlogin,
// svcs, svcprop, mount and umount do (argv forms, parsable output, exit
// codes and literal messages of shared/reference/solaris-tools.md), on a
// host kept in a world folder. Two profiles: s11e (OpenSolaris zones,
// entire 0.5.11-0.111 .. 0.134, onto a Solaris 11 Express global zone,
// entire 0.5.11-0.151.0.1; the 2010 formats: 7-column publisher tsv with
// PREFERRED, the OSOL/S11E `pkg list` columns, an unsettable preferred
// publisher) and oi (OpenIndiana Hipster 2018/2019 zones onto 2020; the
// 8-column tsv whose ENABLED column follows the origin, reference 6.4a).
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
//
// A zone BE's files are in ZONEROOT exactly while it is mounted there (a
// running zone, a detached one, right after an attach, or `mount -F zfs`);
// unmounting moves them to data/ and leaves ZONEROOT an empty directory.
// A snapshot of a zone BE copies its files to ZONEROOT/.zfs/snapshot/NAME
// and keeps a copy of its package image; a rollback puts both back.
//
// # A tool call
//
// Each call gets a number and a start record, then decides under the lock
// (taking the zone's zoneadm lock or the image's pkg lock if it will change
// something; a lock whose process is dead is stale), sleeps its simulated
// time outside the lock (durations in seconds divided by ZONESIM_SPEED),
// re-reads, re-checks and applies under the lock, and writes its end
// record before unlocking. The crash hook, when the plan names the call,
// fires halfway through the sleep ("start", nothing changed) or right
// after the end record ("end"): it removes the plan and SIGKILLs the
// parent process, every other registered tool of the world, and itself.
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
// Apache in maintenance after boot).
//
// # Scenario files
//
// `zonesim init --scenario FILE` reads JSON (unknown keys are an error):
//
//	{
//	  "profile": "s11e",                 // or "oi"; default s11e (or --profile)
//	  "seed": 7,                         // uuids, sizes, picks
//	  "hostname": "gz01",                // in pkg's image-lock message
//	  "pool_available": 161061273600,    // bytes; default ~150 GiB
//	  "gz": {                            // optional: the profile's global zone otherwise
//	    "entire": "0.5.11-0.151.0.1",
//	    "publishers": [                  // in search order; the first must be enabled
//	      {"name": "solaris", "origins": ["http://pkg.oracle.com/solaris/release/"],
//	       "mirrors": [], "enabled": true, "sticky": true, "proxy": ""}
//	    ]
//	  },
//	  "zones": [
//	    {"name": "web01",
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
// whether listed or not.
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
