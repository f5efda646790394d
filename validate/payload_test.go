package validate

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
)

func entry(t testing.TB, command string) *fixtures.Entry {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup(command)
	if !ok {
		t.Fatalf("no catalogue entry %s", command)
	}
	return e
}

func dump(fs []record.Finding) string {
	var sb strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&sb, "  %s\n", f)
	}
	if sb.Len() == 0 {
		return "  (none)\n"
	}
	return sb.String()
}

func TestEverySampleValidates(t *testing.T) {
	entries := fixtures.Default().Entries()
	for _, e := range entries {
		t.Run(e.Command, func(t *testing.T) {
			if len(e.Sample) == 0 {
				t.Fatal("no sample")
			}
			if fs := Payload(e, e.Sample); record.HasErrors(fs) {
				t.Errorf("the document's sample has errors:\n%s", dump(fs))
			}
		})
	}
}

// The samples' known quirks give exactly their warnings.
func TestSampleQuirks(t *testing.T) {
	rr := entry(t, "Group.CallbackAfterReadReceipt")
	fs := Payload(rr, rr.Sample)
	if len(fs) != 1 || fs[0].Severity != record.Warning || fs[0].Rule != "quirk.event_time_string" || fs[0].Path != "EventTime" {
		t.Errorf("Group.CallbackAfterReadReceipt sample: want exactly warning quirk.event_time_string at EventTime, got\n%s", dump(fs))
	}
	im := entry(t, "callbackAfterGroupMsgReadCommand")
	fs = Payload(im, im.Sample)
	if len(fs) != 1 || fs[0].Severity != record.Warning || fs[0].Rule != "quirk.legacy_command" || fs[0].Path != "callbackCommand" {
		t.Errorf("OpenIM sample: want exactly warning quirk.legacy_command at callbackCommand, got\n%s", dump(fs))
	}
	for _, c := range []string{"C2C.CallbackAfterSendMsg", "C2C.CallbackAfterMsgReport"} {
		e := entry(t, c)
		if fs := Payload(e, e.Sample); len(fs) != 0 {
			t.Errorf("%s sample: want no finding, got\n%s", c, dump(fs))
		}
	}
	// The string form of EventTime is accepted only when it is digits.
	b, _ := sjson.SetBytes(rr.Sample, "EventTime", "soon")
	assertFindings(t, Payload(rr, b), []want{{record.Error, RuleType, "EventTime", []string{`"soon"`}}})
}

type want struct {
	sev        record.Severity
	rule, path string
	contains   []string
}

func assertFindings(t *testing.T, got []record.Finding, wants []want) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range wants {
		ok := false
		for i, f := range got {
			if used[i] || f.Severity != w.sev || f.Rule != w.rule || f.Path != w.path {
				continue
			}
			used[i], ok = true, true
			for _, c := range w.contains {
				if !strings.Contains(f.Message, c) {
					t.Errorf("%s at %s: message %q does not mention %q", w.rule, w.path, f.Message, c)
				}
			}
			break
		}
		if !ok {
			t.Errorf("missing %s %s at %q; got\n%s", w.sev, w.rule, w.path, dump(got))
		}
	}
	for i, f := range got {
		if !used[i] {
			t.Errorf("unexpected finding %s", f)
		}
	}
}

// edit is a change to a sample: sjson paths set to raw JSON, or deleted when
// the value is "".
type edit map[string]string

func apply(t *testing.T, body []byte, ed edit) []byte {
	t.Helper()
	var err error
	for p, v := range ed {
		if v == "" {
			body, err = sjson.DeleteBytes(body, p)
		} else {
			body, err = sjson.SetRawBytes(body, p, []byte(v))
		}
		if err != nil {
			t.Fatalf("%s=%s: %v", p, v, err)
		}
	}
	return body
}

// withKey rewrites MsgKey to agree with MsgSeq, MsgRandom and MsgTime, so
// that a test of one field gives that field's finding alone.
func withKey(b []byte) []byte {
	k := gjson.GetBytes(b, "MsgSeq").Raw + "_" + gjson.GetBytes(b, "MsgRandom").Raw + "_" + gjson.GetBytes(b, "MsgTime").Raw
	out, _ := sjson.SetBytes(b, "MsgKey", k)
	return out
}

func TestBadPayloads(t *testing.T) {
	const (
		send    = "C2C.CallbackAfterSendMsg"
		receipt = "Group.CallbackAfterReadReceipt"
		report  = "C2C.CallbackAfterMsgReport"
		openim  = "callbackAfterGroupMsgReadCommand"
	)
	custom := `{"MsgType":"TIMCustomElem","MsgContent":{"Data":"{\"k\":1}","Desc":"","Ext":"","Sound":""}}`
	cases := []struct {
		name    string
		command string
		raw     string // the body, when not an edit of the sample
		edit    edit
		key     bool // recompute MsgKey after the edit
		want    []want
	}{
		{name: "empty", command: send, raw: "  \n",
			want: []want{{record.Error, RuleEmpty, "", nil}}},
		{name: "not JSON", command: send, raw: "CallbackCommand=C2C.CallbackAfterSendMsg",
			want: []want{{record.Error, RuleJSON, "", []string{"line 1, column 1"}}}},
		{name: "comments", command: send, raw: "{\n  \"CallbackCommand\": \"C2C.CallbackAfterSendMsg\", // the command\n  \"From_Account\": \"jared\"\n}",
			want: []want{{record.Error, RuleJSON, "", []string{"line 2, column 50", "JSON allows no comments"}}}},
		{name: "block comment", command: send, raw: "{/* c */}",
			want: []want{{record.Error, RuleJSON, "", []string{"line 1, column 2", "no comments"}}}},
		{name: "trailing comma", command: openim, raw: "{\n  \"sendID\": \"user123\",\n  \"contentType\": 101,\n}",
			want: []want{{record.Error, RuleJSON, "", []string{"line 4, column 1", "no trailing comma"}}}},
		{name: "trailing comma in array", command: send, raw: `{"MsgBody":[1,]}`,
			want: []want{{record.Error, RuleJSON, "", []string{"line 1, column 15", "no trailing comma"}}}},
		{name: "missing comma", command: receipt, raw: "{\"ReadNum\": 1, \"UnreadNum\": 6\n \"X\": 1}",
			want: []want{{record.Error, RuleJSON, "", []string{"line 2", "comma is missing"}}}},
		{name: "single quotes", command: send, raw: `{'a': 1}`,
			want: []want{{record.Error, RuleJSON, "", []string{"line 1, column 2", "double quotes"}}}},
		{name: "truncated", command: send, raw: `{"a": [1, 2`,
			want: []want{{record.Error, RuleJSON, "", []string{"unexpected end"}}}},
		{name: "array", command: send, raw: `[{"CallbackCommand":"C2C.CallbackAfterSendMsg"}]`,
			want: []want{{record.Error, RuleObject, "", []string{"an array"}}}},
		{name: "string", command: openim, raw: `"callbackAfterGroupMsgReadCommand"`,
			want: []want{{record.Error, RuleObject, "", []string{"the string"}}}},
		{name: "missing required", command: send, edit: edit{"To_Account": ""},
			want: []want{{record.Error, RuleRequired, "To_Account", []string{"To_Account"}}}},
		{name: "missing required nested", command: receipt, edit: edit{"GroupMsgReceiptList.1.UnreadNum": ""},
			want: []want{{record.Error, RuleRequired, "GroupMsgReceiptList.1.UnreadNum", nil}}},
		{name: "wrong type", command: send, edit: edit{"From_Account": `42`},
			want: []want{{record.Error, RuleType, "From_Account", []string{"string", "the number 42"}}}},
		{name: "wrong type number as string", command: report, edit: edit{"UnreadMsgNum": `"7"`},
			want: []want{{record.Error, RuleType, "UnreadMsgNum", []string{`the string "7"`}}}},
		{name: "wrong type array", command: send, edit: edit{"MsgBody": `{"MsgType":"TIMTextElem"}`},
			want: []want{{record.Error, RuleType, "MsgBody", []string{"an object"}}}},
		{name: "float integer", command: openim, edit: edit{"unreadMsgNum": `5.0`},
			want: []want{{record.Error, RuleType, "unreadMsgNum", []string{"5.0"}}}},
		{name: "MsgSeq -1", command: send, edit: edit{"MsgSeq": `-1`}, key: true,
			want: []want{{record.Error, RuleRange, "MsgSeq", []string{"-1"}}}},
		{name: "MsgSeq 2^32", command: send, edit: edit{"MsgSeq": `4294967296`}, key: true,
			want: []want{{record.Error, RuleRange, "MsgSeq", []string{"4294967296"}}}},
		{name: "MsgSeq max", command: send, edit: edit{"MsgSeq": `4294967295`}, key: true},
		{name: "beyond 64 bits", command: send, edit: edit{"MsgRandom": `99999999999999999999`}, key: true,
			want: []want{{record.Error, RuleRange, "MsgRandom", []string{"64 bits"}}}},
		{name: "MsgTime in milliseconds", command: send, edit: edit{"MsgTime": `1557481126000`}, key: true,
			want: []want{{record.Error, RuleUnit, "MsgTime", []string{"milliseconds"}}}},
		{name: "EventTime in seconds", command: receipt, edit: edit{"EventTime": `1670574414`},
			want: []want{{record.Error, RuleUnit, "EventTime", []string{"seconds"}}}},
		{name: "EventTime integer ms", command: receipt, edit: edit{"EventTime": `1670574414123`}},
		{name: "MsgKey of the third event", command: "Push.OfflinePush", edit: edit{"Events.-1": `{"CallbackCommand":"Push.OfflinePush","EventType":1,"EventTime":1557481126,"From_Account":"a","To_Account":"b","PushPlatform":0,"PushStage":1,"MsgKey":"1_2_4","MsgSeq":1,"MsgRandom":2,"MsgTime":1557481127,"ErrCode":0}`},
			want: []want{{record.Error, RulePrefix + "msg_key", "Events.2.MsgKey", []string{"1_2_1557481127"}}}},
		{name: "MsgKey", command: send, edit: edit{"MsgKey": `"48374-2837546-1557481126"`},
			want: []want{{record.Error, RulePrefix + "msg_key", "MsgKey", []string{"48374_2837546_1557481126"}}}},
		{name: "UnreadMsgNum -1 on success", command: send, edit: edit{"UnreadMsgNum": `-1`},
			want: []want{{record.Error, RulePrefix + "unread_on_failure", "UnreadMsgNum", []string{"SendMsgResult = 0"}}}},
		{name: "UnreadMsgNum 5 on failure", command: send, edit: edit{"SendMsgResult": `80001`, "ErrorInfo": `"filtered"`, "UnreadMsgNum": `5`},
			want: []want{{record.Error, RulePrefix + "unread_on_failure", "UnreadMsgNum", []string{"80001", "UnreadMsgNum = 5"}}}},
		{name: "failure done right", command: send, edit: edit{"SendMsgResult": `80001`, "ErrorInfo": `"filtered"`, "UnreadMsgNum": `-1`}},
		{name: "UnreadMsgNum -2", command: send, edit: edit{"SendMsgResult": `80001`, "UnreadMsgNum": `-2`},
			want: []want{{record.Error, RuleRange, "UnreadMsgNum", nil}, {record.Error, RulePrefix + "unread_on_failure", "UnreadMsgNum", []string{"-2"}}}},
		{name: "ErrorInfo on success", command: send, edit: edit{"ErrorInfo": `"ok"`},
			want: []want{{record.Warning, RulePrefix + "error_info_on_success", "ErrorInfo", nil}}},
		{name: "ReadNum -1", command: receipt, edit: edit{"GroupMsgReceiptList.0.ReadNum": `-1`},
			want: []want{{record.Error, RuleRange, "GroupMsgReceiptList.0.ReadNum", []string{"-1"}}}},
		{name: "group Type lower case", command: receipt, edit: edit{"Type": `"public"`},
			want: []want{{record.Error, RuleEnum, "Type", []string{`"public"`, "case-sensitive", `"Public"`}}}},
		{name: "group Type unknown", command: receipt, edit: edit{"Type": `"Club"`},
			want: []want{{record.Error, RuleEnum, "Type", []string{`"Club"`}}}},
		{name: "two TIMCustomElem", command: send, edit: edit{"MsgBody": `[` + custom + `,` + custom + `]`},
			want: []want{{record.Error, RulePrefix + "one_custom_elem", "MsgBody.1", []string{"MsgBody.0, MsgBody.1"}}}},
		{name: "one TIMCustomElem", command: send, edit: edit{"MsgBody": `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}},` + custom + `]`}},
		{name: "unknown field", command: send, edit: edit{"MsgUuid": `"144115233406643804-1557481126-2837546"`},
			want: []want{{record.Info, RuleUnknown, "MsgUuid", []string{"MsgUuid"}}}},
		{name: "unknown nested field", command: send, edit: edit{"MsgBody.0.MsgContent.Color": `"red"`},
			want: []want{{record.Info, RuleUnknown, "MsgBody.0.MsgContent.Color", nil}}},
		{name: "TIMTextElem without Text", command: send, edit: edit{"MsgBody.0.MsgContent.Text": ""},
			want: []want{{record.Error, RuleRequired, "MsgBody.0.MsgContent.Text", []string{"Text"}}}},
		{name: "unknown MsgType", command: send, edit: edit{"MsgBody.0.MsgType": `"TIMTextElement"`},
			want: []want{{record.Error, RuleEnum, "MsgBody.0.MsgType", nil}}},
		{name: "empty MsgBody array", command: send, edit: edit{"MsgBody": `[]`},
			want: []want{{record.Error, RuleItems, "MsgBody", []string{"at least 1"}}}},
		{name: "LastReadTime in milliseconds", command: report, edit: edit{"LastReadTime": `1614754606000`},
			want: []want{{record.Error, RuleUnit, "LastReadTime", []string{"divide by 1000"}}}},
		{name: "wrong command", command: send, edit: edit{"CallbackCommand": `"C2C.CallbackBeforeSendMsg"`},
			want: []want{{record.Error, RuleConst, "CallbackCommand", []string{"C2C.CallbackBeforeSendMsg"}}}},
		{name: "current OpenIM command", command: openim, edit: edit{"callbackCommand": `"callbackAfterGroupMsgReadCommand"`}},
		{name: "negative unreadMsgNum", command: openim, edit: edit{"callbackCommand": `"callbackAfterGroupMsgReadCommand"`, "unreadMsgNum": `-1`},
			want: []want{{record.Error, RuleRange, "unreadMsgNum", nil}}},
		{name: "empty sendID", command: openim, edit: edit{"callbackCommand": `"callbackAfterGroupMsgReadCommand"`, "sendID": `""`},
			want: []want{{record.Error, RuleLength, "sendID", nil}}},
		{name: "duplicate key", command: report, raw: `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"jared","Peer_Account":"Jonh","LastReadTime":1614754606,"UnreadMsgNum":7,"UnreadMsgNum":8}`,
			want: []want{{record.Warning, RuleDuplicate, "UnreadMsgNum", nil}}},
		{name: "escaped key", command: report, edit: edit{`a\.b`: `1`},
			want: []want{{record.Info, RuleUnknown, `a\.b`, nil}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := entry(t, tc.command)
			body := []byte(tc.raw)
			if tc.raw == "" {
				body = apply(t, append([]byte{}, e.Sample...), tc.edit)
				if tc.key {
					body = withKey(body)
				}
				// The OpenIM sample's legacy command is a warning of its own.
				if tc.command == openim && tc.edit["callbackCommand"] == "" {
					tc.want = append(tc.want, want{record.Warning, "quirk.legacy_command", "callbackCommand", nil})
				}
				// So is the Group sample's string EventTime.
				if tc.command == receipt && tc.edit["EventTime"] == "" {
					tc.want = append(tc.want, want{record.Warning, "quirk.event_time_string", "EventTime", nil})
				}
			}
			assertFindings(t, Payload(e, body), tc.want)
		})
	}
}

func TestLocationElem(t *testing.T) {
	e := entry(t, "C2C.CallbackAfterSendMsg")
	loc := func(lat string) []byte {
		b, _ := sjson.SetRawBytes(e.Sample, "MsgBody", []byte(`[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"x","Latitude":`+lat+`,"Longitude":113.9}}]`))
		return b
	}
	assertFindings(t, Payload(e, loc("22.5")), nil)
	assertFindings(t, Payload(e, loc("-90")), nil)
	assertFindings(t, Payload(e, loc("90.0001")), []want{{record.Error, RuleRange, "MsgBody.0.MsgContent.Latitude", []string{"90.0001"}}})
	assertFindings(t, Payload(e, loc(`"22.5"`)), []want{{record.Error, RuleType, "MsgBody.0.MsgContent.Latitude", []string{"number"}}})
}

// Every length limit of the catalogue is counted as its page counts it:
// multi-byte text at, under and over each limit, wherever the field appears
// in its entry's sample. A UserID is "a string of up to 32 bytes"
// (1047/34953): 20 Chinese characters are 60 bytes and too long.
func TestLengthLimits(t *testing.T) {
	n := 0
	for _, e := range fixtures.Default().Entries() {
		var walk func(f *fixtures.Field, v gjson.Result, path string)
		walk = func(f *fixtures.Field, v gjson.Result, path string) {
			switch {
			case f == nil || !v.Exists():
			case f.Type == "object" && v.IsObject():
				spec := f
				if f.Switch != "" {
					return
				}
				for _, c := range spec.Fields {
					walk(c, v.Get(jsonx.Escape(c.Name)), jsonx.PathJoin(path, c.Name))
				}
			case f.Type == "array" && v.IsArray():
				walk(f.Items, v.Get("0"), jsonx.Index(path, 0))
			case f.Type == "string" && f.MaxLen > 0:
				n++
				lengthCases(t, e, f, path)
			}
		}
		walk(e.Root, gjson.ParseBytes(e.Sample), "")
	}
	if n < 50 {
		t.Errorf("only %d length limits met in the samples", n)
	}
}

func lengthCases(t *testing.T, e *fixtures.Entry, f *fixtures.Field, path string) {
	t.Helper()
	// text of exactly n units, mostly three-byte characters.
	text := func(n int) string {
		if f.LenUnit == fixtures.LenCharacters {
			return strings.Repeat("用", n)
		}
		return strings.Repeat("用", n/3) + strings.Repeat("a", n%3)
	}
	for _, tc := range []struct {
		name  string
		value string
		err   bool
	}{
		{"at", text(f.MaxLen), false},
		{"under", text(f.MaxLen - 1), false},
		{"over", text(f.MaxLen + 1), true},
		{"over in bytes only", strings.Repeat("用", f.MaxLen/3+1), f.LenUnit == fixtures.LenBytes},
	} {
		body, err := sjson.SetBytes(append([]byte{}, e.Sample...), path, tc.value)
		if err != nil {
			t.Fatal(err)
		}
		var got []record.Finding
		for _, x := range Payload(e, body) {
			if x.Rule == RuleLength {
				got = append(got, x)
			}
		}
		switch {
		case tc.err && (len(got) != 1 || got[0].Path != path || !strings.Contains(got[0].Message, f.LenUnit)):
			t.Errorf("%s %s %s (%d bytes, %d characters): %v, want one %s finding in %s", e.Command, path, tc.name, len(tc.value), utf8.RuneCountInString(tc.value), got, RuleLength, f.LenUnit)
		case !tc.err && len(got) != 0:
			t.Errorf("%s %s %s (%d bytes): %v", e.Command, path, tc.name, len(tc.value), got)
		}
	}
}

func TestUserIDIsCountedInBytes(t *testing.T) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := sjson.SetBytes(append([]byte{}, e.Sample...), "From_Account", strings.Repeat("张", 20))
	fs := Payload(e, body)
	if len(fs) != 1 || fs[0].Rule != RuleLength || !strings.Contains(fs[0].Message, "at most 32 bytes, found 60 (20 characters") {
		t.Errorf("a 20-character Chinese UserID: %v", fs)
	}
}

// A payload takes one of its entry's forms: either page's fields pass, and
// a payload with neither gets the missing field of the form it is closest to,
// with both pages named.
func TestPayloadForms(t *testing.T) {
	e := entry(t, "C2C.CallbackAfterMsgWithDraw")
	base := `{"CallbackCommand":"C2C.CallbackAfterMsgWithDraw","From_Account":"jared","To_Account":"Jonh","MsgKey":"48374_2837546_1557481126"`
	for body, want := range map[string]string{
		base + `,"UnreadMsgNum":7}`:                           "",
		base + `,"EventTime":1670574414123}`:                  "",
		base + `,"UnreadMsgNum":7,"EventTime":1670574414123}`: "",
		base + `}`: "the required field UnreadMsgNum (integer (int32)) of the international page (https://www.tencentcloud.com/document/product/1047/43466) is missing, and the payload is not in another page's form either: the mainland page (https://cloud.tencent.cn/document/product/269/61697) has EventTime",
	} {
		fs := Payload(e, []byte(body))
		switch {
		case want == "" && len(fs) != 0:
			t.Errorf("%s: %v", body, fs)
		case want != "" && (len(fs) != 1 || fs[0].Rule != RuleRequired || fs[0].Message != want):
			t.Errorf("%s: %v", body, fs)
		}
	}
	// The offline push with push info needs all six of its fields.
	push := entry(t, "callbackBeforeOfflinePushCommand")
	b, _ := sjson.DeleteBytes(append([]byte{}, push.Sample...), "desc")
	fs := Payload(push, b)
	if len(fs) != 1 || fs[0].Path != "desc" || !strings.Contains(fs[0].Message, "with push info") {
		t.Errorf("push info without desc: %v", fs)
	}
}
