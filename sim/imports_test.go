package sim

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The simulator stands in for a host and must not share code with what it
// tests: of zoneup it imports only domain, the leaf that holds the rung
// names and the zone-name rule (tests may use more).
func TestImportsOnlyDomain(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(p, "zoneup/") && p != "zoneup/domain" {
				t.Errorf("%s imports %s", file, p)
			}
		}
	}
}
