package replay

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

const reportPayload = `{"CallbackCommand":"C2C.CallbackAfterMsgReport","Report_Account":"a","Peer_Account":"b","LastReadTime":1767225550,"UnreadMsgNum":0}`

// loadInput writes lines to a file and returns it as the only source.
func loadInput(t *testing.T, lines ...string) []stream.Source {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := stream.Expand([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// Callbacks prepares what Run would send: a record's query values and
// signature in its Route with the stale-sign note among its findings,
// payloads with the Sender's; problems are reported, filtered items counted.
func TestCallbacks(t *testing.T) {
	rec, _ := json.Marshal(&record.Record{Vendor: "tencent", Command: "C2C.CallbackAfterMsgReport",
		Request: &record.Message{Method: "POST", URL: "http://x/cb?SdkAppid=1400009999&CallbackCommand=C2C.CallbackAfterMsgReport&contenttype=json&ClientIP=10.0.0.1&OptPlatform=iOS&Sign=abc&RequestTime=1767225550",
			Body: []byte(reportPayload)}})
	src := loadInput(t, string(rec), reportPayload, `{not json`, `{"CallbackCommand":"State.StateChange","Info":{"Action":"Login","To_Account":"a","Reason":"Register"}}`)
	sender := &simulate.Sender{Target: "http://127.0.0.1:1/im"}
	var problems []Result
	o := Options{Sender: sender, KeepSdkAppID: true, KeepClientIP: true, KeepOptPlatform: true}
	cbs, st, err := Callbacks(context.Background(), src, o, LoadLimits{}, func(r Result) { problems = append(problems, r) })
	if err != nil {
		t.Fatal(err)
	}
	if len(cbs) != 3 || st.Items != 4 || st.Problems != 1 || st.Failed != 1 || len(problems) != 1 || problems[0].Line != 3 {
		t.Fatalf("%d callbacks, stats %+v, problems %v", len(cbs), st, problems)
	}
	r := cbs[0].Route
	if r == nil || r.Params.SdkAppID != "1400009999" || r.Params.ClientIP != "10.0.0.1" || r.Params.OptPlatform != "iOS" ||
		!strings.Contains(r.Target, "Sign=abc") || r.Params.Token != "" {
		t.Errorf("the record's route: %+v", r)
	}
	if len(cbs[0].Findings) == 0 || cbs[0].Findings[0].Rule != platform.RuleStaleSign {
		t.Errorf("the record's findings: %v", cbs[0].Findings)
	}
	if cbs[1].Route != nil || len(cbs[1].Findings) != 0 || string(cbs[1].Body) != reportPayload {
		t.Errorf("the payload: route %v, findings %v, body %s", cbs[1].Route, cbs[1].Findings, cbs[1].Body)
	}
	// With --resign the record keeps its query values but signs afresh.
	o.Resign = true
	sender.Params.Token = "t0ken"
	cbs, _, _ = Callbacks(context.Background(), src, o, LoadLimits{}, func(Result) {})
	if r := cbs[0].Route; r == nil || strings.Contains(r.Target, "Sign=") || r.Params.Token != "t0ken" || r.Params.SdkAppID != "1400009999" || len(cbs[0].Findings) != 0 {
		t.Errorf("--resign: route %+v, findings %v", r, cbs[0].Findings)
	}
	// A filter keeps only its callbacks.
	o.Filter = []*fixtures.Entry{stateChange(t)}
	cbs, st, _ = Callbacks(context.Background(), src, o, LoadLimits{}, func(Result) {})
	if len(cbs) != 1 || st.Skipped != 2 {
		t.Errorf("--filter: %d callbacks, %d skipped", len(cbs), st.Skipped)
	}
}

// An input beyond the limits is refused, by items and by bytes.
func TestCallbacksTooLarge(t *testing.T) {
	src := loadInput(t, reportPayload, reportPayload, reportPayload)
	o := Options{Sender: &simulate.Sender{Target: "http://127.0.0.1:1/im"}}
	var tl *TooLargeError
	if _, _, err := Callbacks(context.Background(), src, o, LoadLimits{Items: 2}, func(Result) {}); !errors.As(err, &tl) || tl.MaxItems != 2 {
		t.Errorf("3 items over a limit of 2: %v", err)
	}
	if _, _, err := Callbacks(context.Background(), src, o, LoadLimits{Bytes: int64(2*len(reportPayload) + 1)}, func(Result) {}); !errors.As(err, &tl) {
		t.Errorf("bytes over the limit: %v", err)
	}
	if cbs, _, err := Callbacks(context.Background(), src, o, LoadLimits{Items: 3, Bytes: int64(3 * len(reportPayload))}, func(Result) {}); err != nil || len(cbs) != 3 {
		t.Errorf("at the limits: %d, %v", len(cbs), err)
	}
}

func stateChange(t *testing.T) *fixtures.Entry {
	t.Helper()
	e, _, ok := fixtures.Default().Lookup("State.StateChange")
	if !ok {
		t.Fatal("no State.StateChange")
	}
	return e
}
