package platform

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/imhook/imhook/record"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// A modify reply is held to the element shapes the catalogue knows (the
// rules of its JSON Schema): a message body the platform cannot send as it
// stands fails --expect modify, with a finding naming the element.
func TestModifyShapes(t *testing.T) {
	tok := func(extra string) string { return `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0` + extra + `}` }
	for _, tc := range []struct {
		name, cmd, body string
		want            []want
		outcome         record.Outcome
	}{
		{"no MsgContent", "C2C.CallbackBeforeSendMsg", tok(`,"MsgBody":[{"MsgType":"TIMTextElem","Text":"d**n it"}]`),
			[]want{{record.Error, RuleRequired, "MsgBody.0.MsgContent", []string{"MsgContent is missing", "33527"}}}, ""},
		{"unknown element type", "C2C.CallbackBeforeSendMsg", tok(`,"MsgBody":[{"MsgType":"TIMTextElemX","MsgContent":{"Text":5}}]`),
			[]want{{record.Error, RuleShape, "MsgBody.0.MsgType", []string{"TIMTextElem, ", `the string "TIMTextElemX"`}}}, ""},
		{"empty body", "C2C.CallbackBeforeSendMsg", tok(`,"MsgBody":[]`),
			[]want{{record.Error, RuleShape, "MsgBody", []string{"at least 1 item(s), found 0"}}}, ""},
		{"element without its text", "Group.CallbackBeforeSendMsg", tok(`,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"ok"}},{"MsgType":"TIMTextElem","MsgContent":{}}]`),
			[]want{{record.Error, RuleRequired, "MsgBody.1.MsgContent.Text", nil}}, ""},
		{"no MsgType", "C2C.CallbackBeforeSendMsg", tok(`,"MsgBody":[{"MsgContent":{"Text":"x"}}]`),
			[]want{{record.Error, RuleRequired, "MsgBody.0.MsgType", nil}}, ""},
		// A well-shaped body modifies; a refusal applies nothing, so the
		// shape of its fields does not matter.
		{"text element", "C2C.CallbackBeforeSendMsg", tok(`,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"d**n it"}}]`), nil, record.OutcomeModify},
		{"refusal", "C2C.CallbackBeforeSendMsg", `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1,"MsgBody":[]}`, nil, record.OutcomeReject},
		// A required field outside an element is a warning, as a missing
		// required reply field is.
		{"result item without ResultInfo", "Sns.CallbackPrevFriendAdd", tok(`,"ResultItem":[{"To_Account":"b","ResultCode":0}]`),
			[]want{{record.Warning, RuleMissing, "ResultItem.0.ResultInfo", nil}}, record.OutcomeOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect := record.OutcomeModify
			if tc.outcome != "" && tc.outcome != record.OutcomeModify {
				expect = tc.outcome
			}
			fs, outcome := judge(t, tc.cmd, tc.body, expect, true)
			if outcome != tc.outcome {
				t.Errorf("outcome %q, want %q (%s)", outcome, tc.outcome, dump(fs))
			}
			wants := tc.want
			if tc.outcome == "" {
				wants = append(wants, want{record.Error, RuleExpect, "", []string{"expected the outcome modify, found no outcome"}})
			}
			checkFindings(t, fs, wants)
			for _, f := range fs {
				if f.Rule == RuleShape && !strings.Contains(f.Message, "cannot be relied on") {
					t.Errorf("%s does not say what the platform does", f.Message)
				}
			}
		})
	}
}

// The judge holds a modified message body to the rules the catalogue's reply
// schema states (imhook fixtures schema --reply): it finds an error in
// MsgBody exactly when the schema rejects the reply.
func TestModifyShapesAgreeWithSchema(t *testing.T) {
	for _, cmd := range []string{"C2C.CallbackBeforeSendMsg", "Group.CallbackBeforeSendMsg"} {
		e := entry(t, cmd)
		v := For(e.Vendor)
		b, err := json.Marshal(v.ReplySchema(e))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("mem://reply.json", doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile("mem://reply.json")
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{
			`[]`, `[{}]`, `[{"MsgType":"TIMTextElem"}]`, `[{"MsgContent":{"Text":"x"}}]`, `[{"MsgType":"TIMTextElem","Text":"d**n it"}]`,
			`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]`, `[{"MsgType":"TIMTextElem","MsgContent":{}}]`, `[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]`,
			`[{"MsgType":"TIMTextElemX","MsgContent":{"Text":5}}]`, `[{"MsgType":"timtextelem","MsgContent":{"Text":"x"}}]`, `[{"MsgType":5,"MsgContent":{"Text":"x"}}]`,
			`[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d"}}]`, `[{"MsgType":"TIMCustomElem","MsgContent":{"Desc":"d"}}]`,
			`[{"MsgType":"TIMFaceElem","MsgContent":{"Index":1,"Data":"d"}}]`, `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":"1"}}]`,
			`[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"d","Latitude":1.5,"Longitude":2}}]`, `[{"MsgType":"TIMLocationElem","MsgContent":{"Desc":"d"}}]`,
			`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}},{"MsgType":"TIMImageElem","MsgContent":{}}]`, `[{"MsgType":"TIMTextElem","MsgContent":"x"}]`,
			`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a"}},{"MsgType":"TIMTextElem","MsgContent":{"Text":"b"}}]`,
		} {
			reply := `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":` + body + `}`
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(reply))
			if err != nil {
				t.Fatal(err)
			}
			schemaOK := sch.Validate(inst) == nil
			fs, _ := judge(t, cmd, reply, "", true)
			judgeOK := true
			for _, f := range fs {
				if f.Severity == record.Error && strings.HasPrefix(f.Path, "MsgBody") {
					judgeOK = false
				}
			}
			if schemaOK != judgeOK {
				t.Errorf("%s %s: schema valid %v, judge finds no error %v: %s", cmd, body, schemaOK, judgeOK, dump(fs))
			}
		}
	}
}
