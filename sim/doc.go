// Package sim is zonesim, the simulated Solaris host of zoneup: a
// multi-call program that behaves as zoneadm, zfs, pkg, beadm, zlogin,
// svcs, svcprop, mount and umount do (per shared/reference/solaris-tools.md,
// profile s11e: OpenSolaris zones onto Solaris 11 Express, or oi: older
// OpenIndiana zones onto a newer one), on a host kept in a world folder.
package sim
