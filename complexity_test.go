package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fzipp/gocyclo"
)

// The bounds of a production function (the developers' guide): above
// either, its doc comment says why it must be so.
const (
	maxComplexity = 25 // cyclomatic, as gocyclo counts
	maxLines      = 80 // from func to its closing brace
)

// saysWhy is a doc comment's reason for a function's size: a sentence that
// says it is long or complex (or has many branches, cases) because of
// something.
var saysWhy = regexp.MustCompile(`(?is)\b(long|complex|complexity|branches|cases)\b[^.]*\bbecause\b`)

// sizeAllowed are the functions above a bound that say no why yet,
// "dir/file.go Func" (methods "Type.Method"); the list only shrinks: an
// entry that is within the bounds or says why is an error too. It is
// empty: keep it so.
var sizeAllowed = []string{}

type bigFunc struct {
	where            string // dir/file.go:line
	key              string // dir/file.go Func
	complexity, size int
}

func (b bigFunc) String() string {
	return fmt.Sprintf("%s %s: complexity %d, %d lines", b.where, b.key[strings.Index(b.key, " ")+1:], b.complexity, b.size)
}

// bigFuncs lists the production functions above a bound whose doc comment
// says no why: every non-test Go file of the module, outside bench/
// (benchmark programs) and testdata.
func bigFuncs(t *testing.T) []bigFunc {
	t.Helper()
	var out []bigFunc
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (d.Name() == "bench" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			c := gocyclo.Complexity(fn)
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			size := end.Line - start.Line + 1
			if c <= maxComplexity && size <= maxLines {
				continue
			}
			if fn.Doc != nil && saysWhy.MatchString(fn.Doc.Text()) {
				continue
			}
			name := fn.Name.Name
			if fn.Recv != nil && len(fn.Recv.List) == 1 {
				name = recvName(fn.Recv.List[0].Type) + "." + name
			}
			out = append(out, bigFunc{where: fmt.Sprintf("%s:%d", filepath.ToSlash(path), start.Line), key: filepath.ToSlash(path) + " " + name, complexity: c, size: size})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// TestFunctionSize holds the developers' guide: no production function
// above complexity 25 or 80 lines without a doc comment that says why it
// must be so ("It is long because ..."); the allow-list only shrinks.
func TestFunctionSize(t *testing.T) {
	var bad []string
	seen := map[string]bool{}
	for _, b := range bigFuncs(t) {
		seen[b.key] = true
		if !slices.Contains(sizeAllowed, b.key) {
			bad = append(bad, b.String())
		}
	}
	if len(bad) > 0 {
		t.Errorf("functions above complexity %d or %d lines whose doc comment does not say why (split them, or say \"it is long because ...\"):\n%s",
			maxComplexity, maxLines, strings.Join(bad, "\n"))
	}
	for _, k := range sizeAllowed {
		if !seen[k] {
			t.Errorf("%s: within the bounds now (or it says why): drop it from sizeAllowed", k)
		}
	}
}

// The check finds what it is for: a long function, a complex one, and
// not one whose doc comment says why.
func TestFunctionSizeCheck(t *testing.T) {
	long := "func f() {\n" + strings.Repeat("\t_ = 1\n", maxLines) + "}\n"
	complexBody := "func g(x int) {\n" + strings.Repeat("\tif x > 0 {\n\t\tx--\n\t}\n", maxComplexity) + "}\n"
	for _, c := range []struct {
		src  string
		want int
	}{
		{"package p\n" + long, 1},
		{"package p\n" + complexBody, 1},
		{"package p\n// f is long because it is a table.\n" + long, 0},
		{"package p\n// g has many branches because each is a case of the protocol.\n" + complexBody, 0},
		{"package p\n// f does a thing.\n" + long, 1},
		{"package p\nfunc h() {}\n", 0},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", c.src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range f.Decls {
			fn := d.(*ast.FuncDecl)
			size := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if (gocyclo.Complexity(fn) > maxComplexity || size > maxLines) && (fn.Doc == nil || !saysWhy.MatchString(fn.Doc.Text())) {
				n++
			}
		}
		if n != c.want {
			t.Errorf("%d offenders, want %d, in:\n%.200s", n, c.want, c.src)
		}
	}
}
