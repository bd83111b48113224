package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Listen opens the control socket at path and sets its mode.
//
// Unix socket files outlive the process that made them, so a file at path
// is probed first: if something answers, another zoneupd owns it and
// Listen fails ("another zoneupd is listening on PATH"); if the connection
// is refused, the file is a dead daemon's leftover and is replaced. A path
// that exists and is not a socket is never removed: that is an operator's
// mistake in socket_path, not ours to clean up.
func Listen(path string, mode os.FileMode) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket folder: %w", err)
	}
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("control socket: %w", err)
	case fi.Mode()&fs.ModeSocket == 0:
		return nil, fmt.Errorf("%s exists and is not a socket (%s); not replacing it: remove it or set socket_path", path, fi.Mode().Type())
	default:
		if err := probe(path); err != nil {
			return nil, err
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing dead socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The mode is set explicitly rather than through the umask: umask is
	// process-wide and the daemon has other goroutines. Until the chmod the
	// socket has the umask's mode, which is harmless because every
	// connection is checked by peer credentials anyway.
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// probe returns nil when the socket file at path is dead (connection
// refused), the "another zoneupd" error when something answers, and any
// other failure as is: a socket we cannot judge is not removed.
func probe(path string) error {
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("another zoneupd is listening on %s", path)
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("cannot tell whether the socket %s is in use: %w", path, err)
}
