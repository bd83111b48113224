//go:build solaris

// GOOS=illumos implies the solaris build tag, so this file serves both.

package api

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// peerCred asks the kernel (getpeerucred(3C)) for the peer's effective uid
// and gid and its pid. The ucred also holds the supplementary groups, but
// x/sys/unix has no accessor for them, so they come from the peer's
// /proc/PID/cred (readable by the daemon, which runs as root). A peer that
// exited before we looked keeps its primary group only.
func peerCred(fd uintptr) (Cred, error) {
	uc, err := unix.GetPeerUcred(fd)
	if err != nil {
		return Cred{}, fmt.Errorf("getpeerucred: %w", err)
	}
	c := Cred{UID: uc.Geteuid(), GID: uc.Getegid(), PID: uc.Getpid()}
	if c.PID > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cred", c.PID)); err == nil {
			c.Groups, _ = parsePrcred(b)
		}
	}
	return c, nil
}
