// Package testbin gives the tests that run zoneup's real binaries one
// folder with zonesim, zoneupd and zoneupadm: the ones `make build` made
// ($ZONEUP_BIN), or builds of its own, made once per test binary.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	dir  string
	err  error
)

// Names are the binaries in the folder.
var Names = []string{"zonesim", "zoneupd", "zoneupadm"}

// Dir returns the folder, failing t when the binaries cannot be built.
func Dir(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if d := os.Getenv("ZONEUP_BIN"); d != "" && complete(d) {
			dir = d
			return
		}
		if dir, err = os.MkdirTemp("", "zoneup-bin"); err != nil {
			return
		}
		for _, b := range Names {
			out, berr := exec.Command("go", "build", "-o", filepath.Join(dir, b), "zoneup/cmd/"+b).CombinedOutput()
			if berr != nil {
				err = fmt.Errorf("go build %s: %v\n%s", b, berr, out)
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// complete reports whether d holds every binary.
func complete(d string) bool {
	for _, b := range Names {
		if _, err := os.Stat(filepath.Join(d, b)); err != nil {
			return false
		}
	}
	return true
}
