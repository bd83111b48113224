package persist

import (
	"fmt"
	"sync"
)

// claimed holds the database paths this process has open. bbolt's lock
// cannot refuse a second open in the same process on Solaris and illumos
// (fcntl locks belong to the process), so Open refuses it here.
var claimed = struct {
	sync.Mutex
	paths map[string]bool
}{paths: map[string]bool{}}

// claim marks path as open in this process, or fails with ErrLocked. The
// returned function gives the claim up.
func claim(path string) (release func(), err error) {
	claimed.Lock()
	defer claimed.Unlock()
	if claimed.paths[path] {
		return nil, fmt.Errorf("%w: %s is already open in this process; open it once and share the handle", ErrLocked, path)
	}
	claimed.paths[path] = true
	return func() {
		claimed.Lock()
		delete(claimed.paths, path)
		claimed.Unlock()
	}, nil
}
