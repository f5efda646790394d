package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// vendorWord is how code names a vendor: an identifier or a string that
// spells one (help prose aside, which is for people).
var vendorWord = regexp.MustCompile(`(?i)tencent|openim`)

// vendorFiles are the non-test Go files outside platform/ and fixtures/
// that may name a vendor: the vendors' request flags and the help pages.
var vendorFiles = []string{"cmd/vendorflags.go", "cmd/topics.go"}

// TestVendorsLiveInOnePlace holds the layout of ARCHITECTURE.md: only
// platform/ and fixtures/ (the vendors and the catalogue) know a vendor by
// name. Elsewhere no identifier spells one, and no string is a vendor's
// name or starts with it (help prose may speak of the platforms).
func TestVendorsLiveInOnePlace(t *testing.T) {
	var offenders []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "internal/platform" || path == "fixtures" || path == "bench" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || slices.Contains(vendorFiles, path) {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if vendorWord.MatchString(n.Name) {
					offenders = append(offenders, path+": "+n.Name)
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					s := strings.ToLower(strings.Trim(n.Value, "`\""))
					if s == "tencent" || s == "openim" || strings.HasPrefix(s, "tencent=") || strings.HasPrefix(s, "openim=") {
						offenders = append(offenders, path+": "+n.Value)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(offenders) > 0 {
		t.Errorf("code outside platform/ and fixtures/ names a vendor (ask the registry: platform.For, platform.All):\n%s", strings.Join(offenders, "\n"))
	}
}
