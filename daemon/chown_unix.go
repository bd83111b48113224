//go:build unix

package daemon

import (
	"io/fs"
	"os"
	"syscall"
)

// chown gives name the owner of the snapshot's file (shadow must stay
// root-owned, crontabs their user's). Errors are ignored: only root can
// chown, and a non-root test run keeps its own uid. Lchown: never through
// a link.
func chown(root *os.Root, name string, src fs.FileInfo) {
	if st, ok := src.Sys().(*syscall.Stat_t); ok {
		_ = root.Lchown(name, int(st.Uid), int(st.Gid))
	}
}
