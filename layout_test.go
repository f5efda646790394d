package main

import (
	"errors"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
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

// publicPackages are the packages outside internal/ that other Go modules
// may import: ARCHITECTURE.md's "Public API" says why each is there.
var publicPackages = []string{"cmd", "fixtures", "fixtures/generate", "imhooktest", "record", "replay", "simulate", "validate"}

// mainPackages are the commands outside internal/, which nothing imports:
// imhook itself, the README's example backend, the bare server of bench/,
// the hostile backends of scripts/attacks.sh.
var mainPackages = []string{".", "bench/bare", "examples/backend", "scripts/hostile"}

// goPackages are the directories outside internal/ that hold a Go package
// (test files aside), and whether each is a command.
func goPackages(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != "." && (path == "internal" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		out[path] = p.IsCommand()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPublicAPI holds the declared public API: the packages outside
// internal/ are the public ones and the commands, no more and no fewer,
// and ARCHITECTURE.md's "Public API" section names each public one.
func TestPublicAPI(t *testing.T) {
	found := goPackages(t)
	for path, command := range found {
		switch {
		case command && !slices.Contains(mainPackages, path):
			t.Errorf("%s: a command outside internal/ that mainPackages does not list", path)
		case !command && !slices.Contains(publicPackages, path):
			t.Errorf("%s: a package outside internal/ is public API; move it under internal/, or declare it in ARCHITECTURE.md's Public API and publicPackages", path)
		}
	}
	for _, path := range append(slices.Clone(publicPackages), mainPackages...) {
		if _, ok := found[path]; !ok {
			t.Errorf("%s is listed here but holds no Go package", path)
		}
	}
	arch, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	section, _, _ := strings.Cut(string(arch[max(0, strings.Index(string(arch), "\n## Public API\n")):]), "\n## How to add")
	if !strings.HasPrefix(section, "\n## Public API\n") {
		t.Fatal("ARCHITECTURE.md has no Public API section")
	}
	for _, path := range publicPackages {
		if !strings.Contains(section, "`"+path+"/`") {
			t.Errorf("ARCHITECTURE.md's Public API does not name `%s/`", path)
		}
	}
}

// publicFiles parses the non-test Go files of a public package.
func publicFiles(t *testing.T, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// interfaceMethods are methods that implement a standard interface and
// say what they do by their name (error, fmt.Stringer, errors' Unwrap,
// http.Handler, http.RoundTripper).
var interfaceMethods = []string{"Error", "Unwrap", "String", "ServeHTTP", "RoundTrip"}

// TestPublicPackagesDocumented holds go doc of every public package to
// read as a manual: a package comment, and a comment on every exported
// constant, variable, function, type and method.
func TestPublicPackagesDocumented(t *testing.T) {
	for _, dir := range publicPackages {
		fset, files := publicFiles(t, dir)
		d, err := doc.NewFromFiles(fset, files, "github.com/imhook/imhook/"+dir)
		if err != nil {
			t.Fatal(err)
		}
		if d.Doc == "" {
			t.Errorf("%s: no package comment (a doc.go that says what the package is for)", dir)
		}
		var bare []string
		miss := func(name, text string, pos token.Pos) {
			if text == "" && ast.IsExported(name) {
				bare = append(bare, fset.Position(pos).String()+": "+name)
			}
		}
		values := func(vs []*doc.Value) {
			for _, v := range vs {
				for _, s := range v.Decl.Specs {
					if vs := s.(*ast.ValueSpec); v.Doc == "" && vs.Doc == nil && vs.Comment == nil {
						for _, n := range vs.Names {
							miss(n.Name, "", n.Pos())
						}
					}
				}
			}
		}
		values(d.Consts)
		values(d.Vars)
		for _, f := range d.Funcs {
			miss(f.Name, f.Doc, f.Decl.Pos())
		}
		for _, ty := range d.Types {
			miss(ty.Name, ty.Doc, ty.Decl.Pos())
			values(ty.Consts)
			values(ty.Vars)
			for _, f := range ty.Funcs {
				miss(f.Name, f.Doc, f.Decl.Pos())
			}
			for _, f := range ty.Methods {
				if !slices.Contains(interfaceMethods, f.Name) {
					miss(ty.Name+"."+f.Name, f.Doc, f.Decl.Pos())
				}
			}
		}
		if len(bare) > 0 {
			t.Errorf("%s: exported identifiers without a comment:\n%s", dir, strings.Join(bare, "\n"))
		}
	}
}

// flagWord is a command-line flag in a string: --name, not part of a
// longer run of dashes (-----BEGIN CERTIFICATE-----).
var flagWord = regexp.MustCompile(`(?:^|[^-\w])(--[a-z][a-z0-9-]*)`)

// TestPublicMessagesNameNoFlag holds the library's words: no string of a
// public package (cmd aside: it is the command line) names a command-line
// flag. Their messages speak of their own settings (simulate.Words,
// replay.Words, fixtures.DescribeWords, typed errors); cmd/ adds the flags.
func TestPublicMessagesNameNoFlag(t *testing.T) {
	var offenders []string
	for _, dir := range publicPackages {
		if dir == "cmd" {
			continue
		}
		fset, files := publicFiles(t, dir)
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
					for _, m := range flagWord.FindAllStringSubmatch(l.Value, -1) {
						offenders = append(offenders, fset.Position(l.Pos()).String()+": "+m[1])
					}
				}
				return true
			})
		}
	}
	if len(offenders) > 0 {
		t.Errorf("public packages' strings name command-line flags (say it in the package's own words; cmd/ adds the flag):\n%s", strings.Join(offenders, "\n"))
	}
}
