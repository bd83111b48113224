// Package arch holds the test of the import arrows of ../shared/STYLE.md:
// CLI -> socket -> daemon -> fsm decides -> stage acts through host ->
// persist records, the simulator apart. It reads every package's
// non-test files (what `go list -deps` follows) and fails on an arrow
// the shape does not allow.
package arch

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden says, for a package (by its path below the module), which
// project packages it must not import: a prefix ending in "/" forbids a
// whole tree; "*" forbids every project package.
var forbidden = map[string][]string{
	"fsm":                []string{"*"},
	"domain":             []string{"*"},
	"domain/domaintest":  []string{"fsm", "host", "persist/", "persist", "daemon/", "daemon", "sim", "smf", "cmd/"},
	"smf":                []string{"*"},
	"sim":                []string{"fsm", "host", "persist/", "persist", "daemon/", "daemon", "smf", "cmd/", "bench"},
	"host":               []string{"persist/", "persist", "daemon/", "daemon", "sim", "fsm", "smf", "cmd/"},
	"persist":            []string{"host", "daemon/", "daemon", "sim", "smf", "cmd/", "domain"},
	"persist/memstore":   []string{"host", "daemon/", "daemon", "sim", "smf", "cmd/"},
	"persist/storetest":  []string{"host", "daemon/", "daemon", "sim", "smf", "cmd/"},
	"daemon/api":         []string{"host", "persist/", "persist", "daemon", "daemon/client", "daemon/metrics", "sim", "cmd/"},
	"daemon/api/apitest": []string{"host", "persist/", "persist", "daemon", "sim", "cmd/"},
	"daemon/client":      []string{"host", "persist/", "persist", "daemon", "daemon/metrics", "sim", "cmd/"},
	"daemon/metrics":     []string{"*"},
	"daemon":             []string{"daemon/client", "sim", "cmd/", "bench"},
	"cmd/zoneupadm":      []string{"daemon", "persist/", "persist", "host", "sim", "fsm"},
	"cmd/zonesim":        []string{"daemon/", "daemon", "persist/", "persist", "host", "fsm"},
	"internal/testbin":   []string{"*"},
}

func TestImportArrows(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]map[string]bool{} // package -> project imports
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if dep, ok := strings.CutPrefix(path, "zoneup/"); ok {
				if imports[rel] == nil {
					imports[rel] = map[string]bool{}
				}
				imports[rel][dep] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports["daemon"]) == 0 || !imports["cmd/zonesim"]["sim"] {
		t.Fatalf("read no imports from the tree at %s: %v", root, imports)
	}
	for pkg, deps := range imports {
		rules, known := forbidden[pkg]
		if !known && !strings.HasPrefix(pkg, "cmd/") && pkg != "bench" {
			t.Errorf("package %s has no rule here: add one", pkg)
		}
		for dep := range deps {
			if strings.HasPrefix(dep, "cmd/") || dep == "bench" {
				t.Errorf("%s imports %s: nothing imports a command or the bench", pkg, dep)
			}
			for _, r := range rules {
				if r == "*" || r == dep || (strings.HasSuffix(r, "/") && strings.HasPrefix(dep, r)) {
					t.Errorf("%s imports %s, against the arrows of STYLE.md", pkg, dep)
				}
			}
		}
	}
}
