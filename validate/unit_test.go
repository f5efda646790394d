package validate

import (
	"testing"

	"github.com/tidwall/sjson"
)

// The seconds/milliseconds switch sits at exactly 1e11: a seconds field at
// 1e11 looks like milliseconds (payload.unit, not payload.range), one below
// is only out of uint32's range; a milliseconds field below 1e11 looks like
// seconds, at 1e11 it is milliseconds.
func TestUnitSwitchBoundary(t *testing.T) {
	secs := entry(t, "C2C.CallbackAfterSendMsg")         // MsgTime: unix_s
	millis := entry(t, "Group.CallbackAfterReadReceipt") // EventTime: unix_ms
	for _, tc := range []struct {
		name  string
		body  []byte
		path  string
		value int64
		want  string // the rule at path, "" for none
	}{
		{"seconds at 1e11", secs.Sample, "MsgTime", 100_000_000_000, RuleUnit},
		{"seconds just below", secs.Sample, "MsgTime", 99_999_999_999, RuleRange},
		{"seconds far above", secs.Sample, "MsgTime", 1_700_000_000_000, RuleUnit},
		{"seconds in range", secs.Sample, "MsgTime", 1_700_000_000, ""},
		{"milliseconds at 1e11", millis.Sample, "EventTime", 100_000_000_000, ""},
		{"milliseconds just below", millis.Sample, "EventTime", 99_999_999_999, RuleUnit},
		{"milliseconds now", millis.Sample, "EventTime", 1_700_000_000_000, ""},
	} {
		e := secs
		if tc.path == "EventTime" {
			e = millis
		}
		b, err := sjson.SetBytes(tc.body, tc.path, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, f := range Payload(e, b) {
			if f.Path == tc.path && (f.Rule == RuleUnit || f.Rule == RuleRange) {
				if got != "" {
					t.Errorf("%s: two findings at %s:\n%s", tc.name, tc.path, dump(Payload(e, b)))
				}
				got = f.Rule
			}
		}
		if got != tc.want {
			t.Errorf("%s (%d): %q at %s, want %q\n%s", tc.name, tc.value, got, tc.path, tc.want, dump(Payload(e, b)))
		}
	}
}
