package jsonx

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// gjson's validator is the fast path of Check; it must agree with
// encoding/json's on every input.
func FuzzValidAgrees(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2`, "\"\xff\"", `{"a":1}x`, ` 1 `, `1e5`, `-0`, `01`, `"\u00"`, `{"a":tru}`, "\"\t\"", `1.`, `.5`, `[1,]`, "\xef\xbb\xbf{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if gjson.ValidBytes(b) != json.Valid(b) {
			t.Fatalf("%q: gjson %v, encoding/json %v", b, gjson.ValidBytes(b), json.Valid(b))
		}
	})
}

// The Scanner's syntax check agrees with encoding/json's on every input.
func FuzzScannerValid(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2`, "\"\xff\"", `{"a":1}x`, ` 1 `, `1e5`, `-0`, `01`, `"\u00"`, `"\u00e9\n"`, `{"a":tru}`, "\"\t\"", `1.`, `.5`, `[1,]`, "\xef\xbb\xbf{}", `{"a" : [ {} , [ ] , null , false ] }`, `-`, `1E+`, `"\x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sc Scanner
		sc.Reset(b)
		sc.WS()
		sc.Skip()
		if got := sc.Done(); got != json.Valid(b) {
			t.Fatalf("%q: Scanner %v, encoding/json %v", b, got, json.Valid(b))
		}
	})
}

func TestScannerDepth(t *testing.T) {
	for _, n := range []int{MaxDepth, MaxDepth + 1} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		var sc Scanner
		sc.Reset(b)
		sc.Skip()
		if got := sc.Done(); got != json.Valid(b) {
			t.Errorf("depth %d: Scanner %v, encoding/json %v", n, got, json.Valid(b))
		}
	}
}
