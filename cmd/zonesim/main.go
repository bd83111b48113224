// Command zonesim is the simulated Solaris host: run as zoneadm, zfs, pkg,
// beadm, zlogin, svcs, svcprop, mount, umount or sendmail (through a link)
// it behaves as that tool on the world named by ZONESIM_WORLD; run as
// zonesim it makes, shows and reboots worlds and lists the mail sendmail
// took. See package zoneup/sim.
package main

import (
	"os"

	"zoneup/sim"
)

func main() {
	os.Exit(sim.Main(os.Args, os.Stdout, os.Stderr))
}
