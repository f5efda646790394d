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

// vendorFiles are the non-test Go files outside internal/platform/** and fixtures/
// that may name a vendor: the vendors' request flags and the help pages,
// and imhooktest's options for the vendors' own request settings (a Go
// test's counterpart of the flags).
var vendorFiles = []string{"cmd/vendorflags.go", "cmd/topics.go", "imhooktest/vendoroptions.go"}

// TestVendorsLiveInOnePlace holds the layout of ARCHITECTURE.md: only
// internal/platform/** and fixtures/ (the vendors and the catalogue) know a vendor by
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
		t.Errorf("code outside internal/platform/ (and its folders) and fixtures/ names a vendor (ask the registry: platform.For, platform.All):\n%s", strings.Join(offenders, "\n"))
	}
}

// platformLayers says which packages of internal/platform's tree each
// package of it may import (besides everything outside the tree): the
// shared types below, one package per vendor over them, the conversation
// models above the vendors (they build callbacks with fixtures/generate),
// and the registry over all.
var platformLayers = map[string][]string{
	"internal/platform/wire":         {},
	"internal/platform/tencent":      {"internal/platform/wire"},
	"internal/platform/openim":       {"internal/platform/wire"},
	"internal/platform/conversation": {"internal/platform/wire", "internal/platform/tencent", "internal/platform/openim"},
	"internal/platform":              {"internal/platform/wire", "internal/platform/tencent", "internal/platform/openim", "internal/platform/conversation"},
}

// TestPlatformLayers holds the layers of internal/platform (ARCHITECTURE.md):
// each package imports only the packages of the tree below it, the wire rules
// (wire, tencent, openim) not the generator, and code outside the tree asks
// the registry (internal/platform) alone.
func TestPlatformLayers(t *testing.T) {
	const module = "github.com/imhook/imhook/"
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		allowed, inTree := platformLayers[dir]
		if !inTree && strings.HasPrefix(dir, "internal/platform") {
			t.Errorf("%s: internal/platform/%s is not in platformLayers: give it its layer", path, strings.TrimPrefix(dir, "internal/platform/"))
			return nil
		}
		for _, imp := range f.Imports {
			p := strings.TrimPrefix(strings.Trim(imp.Path.Value, `"`), module)
			switch {
			case !strings.HasPrefix(p, "internal/platform"):
				if p == "fixtures/generate" && inTree && dir != "internal/platform" && dir != "internal/platform/conversation" {
					t.Errorf("%s imports fixtures/generate: the wire rules are below the generator; a conversation model belongs in internal/platform/conversation", path)
				}
			case !inTree && p != "internal/platform":
				t.Errorf("%s imports %s: outside internal/platform, ask the registry (internal/platform)", path, p)
			case inTree && !slices.Contains(allowed, p):
				t.Errorf("%s imports %s, which is not below %s", path, p, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
