//go:build linux

package api

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// peerCred asks the kernel (SO_PEERCRED) for the peer's uid, gid and pid,
// and reads its supplementary groups from /proc: SO_PEERCRED does not carry
// them. A peer that exited before we looked keeps its primary group only.
func peerCred(fd uintptr) (Cred, error) {
	uc, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return Cred{}, fmt.Errorf("SO_PEERCRED: %w", err)
	}
	c := Cred{UID: int(uc.Uid), GID: int(uc.Gid), PID: int(uc.Pid)}
	if status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", uc.Pid)); err == nil {
		c.Groups, _ = parseStatusGroups(status)
	}
	return c, nil
}
