//go:build unix

package host

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the tool in a process group of its own, so that a
// timeout kills what it started too (pkg's children, a brand script's
// subshells), not just the tool.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the process group led by pid. A group that is
// already gone is not an error.
func killGroup(pid int) error { return signalGroup(pid, syscall.SIGKILL) }

// interruptGroup sends SIGINT to the process group led by pid, as ^C
// would: the ipkg brand's trap puts the zone's datasets back as detach
// left them (reference 2.5, 3.4) before it exits.
func interruptGroup(pid int) error { return signalGroup(pid, syscall.SIGINT) }

func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
