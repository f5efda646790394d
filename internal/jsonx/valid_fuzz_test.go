package jsonx

import (
	"encoding/json"
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
