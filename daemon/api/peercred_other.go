//go:build !linux && !solaris

package api

import (
	"errors"
	"runtime"
)

// peerCred has no implementation here: zoneupd refuses every connection
// rather than guess who is calling (SPEC 4: on an OS without support,
// refuse).
func peerCred(uintptr) (Cred, error) {
	return Cred{}, errors.New("not supported on " + runtime.GOOS)
}
