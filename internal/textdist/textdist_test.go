package textdist

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"", "abc", 3}, {"target", "targt", 1}, {"UnreadMsgNum", "UnreadMsgNm", 1}, {"kitten", "sitting", 3}, {"abc", "abc", 0}} {
		if d := Levenshtein(c.a, c.b); d != c.d || Levenshtein(c.b, c.a) != c.d {
			t.Errorf("%q %q: %d, want %d", c.a, c.b, d, c.d)
		}
	}
}
