package api

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strconv"
	"strings"
)

// Cred is who is on the other end of a control connection, as the kernel
// tells it (effective ids).
type Cred struct {
	UID, GID int
	Groups   []int // supplementary groups; may be empty when the OS cannot tell
	PID      int
}

// PeerCred returns the credentials of the process on the other end of a
// Unix socket connection. On an OS where zoneup has no way to ask, it
// returns an error, and the server refuses the connection.
func PeerCred(c net.Conn) (Cred, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Cred{}, fmt.Errorf("peer credentials: %T is not a Unix socket", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	var cred Cred
	var credErr error
	if err := raw.Control(func(fd uintptr) { cred, credErr = peerCred(fd) }); err != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", err)
	}
	if credErr != nil {
		return Cred{}, fmt.Errorf("peer credentials: %w", credErr)
	}
	return cred, nil
}

// authorize decides whether cred may use the daemon: root always, others
// only as members (primary or supplementary) of adminGroup. The group is
// looked up at each connection, so a group created after the daemon started
// works without a restart. Every refusal wraps ErrForbidden.
func authorize(cred Cred, adminGroup string) error {
	if cred.UID == 0 {
		return nil
	}
	if adminGroup == "" {
		return fmt.Errorf("%w: only root may use zoneupd (admin_group is not set)", ErrForbidden)
	}
	denied := fmt.Errorf("%w: only root or members of group %s may use zoneupd", ErrForbidden, adminGroup)
	g, err := user.LookupGroup(adminGroup)
	if err != nil {
		return fmt.Errorf("%w (and that group cannot be looked up: %v)", denied, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return fmt.Errorf("%w (group %s has gid %q)", denied, adminGroup, g.Gid)
	}
	if cred.GID == gid || slices.Contains(cred.Groups, gid) {
		return nil
	}
	return denied
}

// parseStatusGroups reads the "Groups:" line of Linux /proc/PID/status
// ("Groups:\t4 24 27 1000 "); an empty line means no supplementary groups.
func parseStatusGroups(status []byte) ([]int, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Groups:")
		if !ok {
			continue
		}
		var out []int
		for _, f := range strings.Fields(rest) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("groups: %q: %w", f, err)
			}
			out = append(out, n)
		}
		return out, nil
	}
	return nil, errors.New("no Groups: line")
}

// parsePrcred reads the supplementary groups from the binary prcred_t that
// Solaris and illumos /proc/PID/cred hold (proc(4)):
//
//	uid_t pr_euid, pr_ruid, pr_suid; gid_t pr_egid, pr_rgid, pr_sgid;
//	int pr_ngroups; gid_t pr_groups[pr_ngroups];
//
// All fields are 32 bits in the native byte order, also for 64-bit
// processes. ucred_getgroups(3C) would tell the same from the peer ucred,
// but x/sys/unix does not wrap it.
func parsePrcred(b []byte) ([]int, error) {
	const head = 7 * 4
	if len(b) < head {
		return nil, fmt.Errorf("prcred: %d bytes, want at least %d", len(b), head)
	}
	n := int(int32(binary.NativeEndian.Uint32(b[24:])))
	if n < 0 || len(b) < head+4*n {
		return nil, fmt.Errorf("prcred: %d groups in %d bytes", n, len(b))
	}
	out := make([]int, n)
	for i := range out {
		out[i] = int(binary.NativeEndian.Uint32(b[head+4*i:]))
	}
	return out, nil
}
