package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writers names, for each field of the job record that is the machine's
// or the write-ahead helper's, the only files allowed to write it (issue
// 9: the machine is the whole state; one helper writes Pending). persist
// itself (codec, SetPoint, ResetForRetry) may write every one of them.
var writers = map[string][]string{
	"RungIndex":       {},                   // fsm.Point.Rung, through persist.Job.SetPoint
	"CancelRequested": {},                   // fsm.Point.Cancel, likewise
	"Pending":         {"daemon/effect.go"}, // run.once and its companions
	"BlockPending":    {"daemon/run.go"},    // an older zoneupd's field, cleared once
}

// TestMachineFieldsHaveOneWriter fails on an assignment (or ++, --, or a
// composite literal's key) to one of those fields anywhere else in the
// project's non-test files.
func TestMachineFieldsHaveOneWriter(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
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
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "persist/") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		checked++
		report := func(n ast.Node, field string) {
			if allowed, ok := writers[field]; ok && !slices.Contains(allowed, rel) {
				t.Errorf("%s: writes Job.%s; only %v may (and persist)", fset.Position(n.Pos()), field, allowed)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if s, ok := l.(*ast.SelectorExpr); ok {
						report(n, s.Sel.Name)
					}
				}
			case *ast.IncDecStmt:
				if s, ok := n.X.(*ast.SelectorExpr); ok {
					report(n, s.Sel.Name)
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok {
					report(n, k.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d files read: is the root right?", checked)
	}
}
