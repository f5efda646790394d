package inspect

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/fixtures/generate"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/serve"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/simulate"
)

// TestInspectorInChromium renders the inspector in a real headless Chromium
// while serve forwards callbacks to a backend, one of whose replies breaks
// OpenIM's contract: the page loads without errors, the exchanges appear
// without a reload, the findings are shown, the filters work and the
// download is the recording.
func TestInspectorInChromium(t *testing.T) {
	path := findChromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it): the browser test of the inspector is skipped")
	}
	if testing.Short() {
		t.Skip("-short: the browser test is skipped")
	}
	// The backend: good Tencent replies, an OpenIM reply the server cannot
	// decode ("nextCode": "", as in the document's sample).
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.Contains(r.URL.Path, "callback") {
			_, _ = io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}`)
			return
		}
		_, _ = w.Write(platform.Tencent.ReplyBody(platform.ReplyOK, ""))
	}))
	defer be.Close()
	fw, err := serve.NewForwarder(be.URL+"/im", nil)
	if err != nil {
		t.Fatal(err)
	}
	recPath := filepath.Join(t.TempDir(), "calls.jsonl")
	rw, err := record.OpenFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	in := New(Config{RecordFile: recPath, Resend: &Resender{DefaultTarget: be.URL + "/im"}})
	srv, err := serve.Start("127.0.0.1:0", serve.NewHandler(serve.Config{Forward: fw, Record: rw.Write, Show: in.Add}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	ui, err := serve.Start("127.0.0.1:0", in.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close()
		_ = ui.Shutdown(context.Background())
	}()

	b := startBrowser(t, path)
	b.navigate(ui.URL + "/")
	b.waitFor("a live page", "window.imhookInspector && imhookInspector.ready && imhookInspector.live")
	var rows int
	b.eval(`document.querySelectorAll("#rows tr").length`, &rows)
	if rows != 0 {
		t.Fatalf("%d rows before any callback", rows)
	}
	// A mark on this document: a reload would lose it.
	b.eval(`window.__mark = 7`, nil)

	// Callbacks arrive.
	sender := &simulate.Sender{Target: srv.URL, Client: simulate.NewClient(nil)}
	send := func(command string, seed uint64) {
		e, _, _ := fixtures.Default().Lookup(command)
		body, err := generate.Generate(e, generate.GenOptions{Seed: seed, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		sender.Send(context.Background(), simulate.NewCallback(e, body))
	}
	send("C2C.CallbackAfterSendMsg", 1)
	send("callbackAfterGroupMsgReadCommand", 2)
	send("Group.CallbackAfterReadReceipt", 3)
	b.waitFor("three exchanges", `document.querySelectorAll("#rows tr").length === 3`)
	var mark int
	b.eval(`window.__mark`, &mark)
	if mark != 7 {
		t.Fatal("the page was reloaded: the exchanges must appear without one")
	}
	var verdicts []string
	b.eval(`Array.from(document.querySelectorAll("#rows tr")).map(r => r.dataset.vendor + " " + r.dataset.verdict)`, &verdicts)
	if strings.Join(verdicts, ", ") != "tencent pass, openim fail, tencent pass" {
		t.Errorf("rows %v", verdicts)
	}

	// Filters.
	setFilter := func(id, value string) {
		b.eval(fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change")); })()`, id, value), nil)
	}
	shown := func() string {
		var ids []string
		b.eval(`Array.from(document.querySelectorAll("#rows tr")).map(r => r.dataset.id)`, &ids)
		return strings.Join(ids, ",")
	}
	setFilter("f-vendor", "openim")
	if got := shown(); got != "2" {
		t.Errorf("vendor openim shows %s", got)
	}
	setFilter("f-vendor", "")
	setFilter("f-verdict", "pass")
	if got := shown(); got != "1,3" {
		t.Errorf("verdict pass shows %s", got)
	}
	setFilter("f-command", "Group.CallbackAfterReadReceipt")
	if got := shown(); got != "3" {
		t.Errorf("verdict pass and Group.CallbackAfterReadReceipt show %s", got)
	}
	setFilter("f-command", "")
	setFilter("f-verdict", "")
	setFilter("f-outcome", "none")
	if got := shown(); got != "2" {
		t.Errorf("outcome none shows %s", got)
	}
	setFilter("f-outcome", "")
	// A new exchange that the filter hides does not show; one it lets
	// through does.
	setFilter("f-vendor", "openim")
	send("C2C.CallbackAfterSendMsg", 4)
	send("callbackAfterGroupMsgReadCommand", 5)
	b.waitFor("the new OpenIM exchange", `document.querySelectorAll("#rows tr").length === 2`)
	if got := shown(); got != "2,5" {
		t.Errorf("live under the vendor filter: %s", got)
	}
	setFilter("f-vendor", "")
	if got := shown(); got != "1,2,3,4,5" {
		t.Errorf("no filter: %s", got)
	}

	// One exchange in full, chosen with the keyboard: its findings, the
	// backend's leg and the callback's documentation.
	b.eval(`document.querySelector('#rows tr[data-id="1"]').focus()`, nil)
	b.keys("j\r") // the next row, then Enter
	b.waitFor("exchange 2 in full", `document.getElementById("detail").dataset.id === "2" && document.querySelector("#forward-findings tr[data-severity=error]")`)
	var detail struct {
		Title, Findings, Forward, Request, Doc string
	}
	b.waitFor("the callback's documentation", `document.getElementById("doc-text").textContent.includes("Fields:")`)
	b.eval(`({Title: document.querySelector("#detail h2").textContent,
		Findings: Array.from(document.querySelectorAll("#findings tbody tr")).map(r => r.dataset.severity + " " + r.dataset.rule).join(", "),
		Forward: document.getElementById("detail").textContent.includes("Forwarded to the backend") ? "yes" : "no",
		Request: document.getElementById("request-body").textContent,
		Doc: document.getElementById("doc-text").textContent})`, &detail)
	if detail.Title != "callbackAfterGroupMsgReadCommand" || !strings.Contains(detail.Findings, "error response.") || detail.Forward != "yes" {
		t.Errorf("detail %+v", detail)
	}
	if !strings.Contains(detail.Request, "\n  \"callbackCommand\": \"callbackAfterGroupMsgReadCommand\"") {
		t.Errorf("request body %q", detail.Request)
	}
	e, _, _ := fixtures.Default().Lookup("callbackAfterGroupMsgReadCommand")
	if detail.Doc != fixtures.Describe(e, nil, nil) {
		t.Errorf("the page's documentation differs from fixtures show --doc's")
	}

	// The download is the recording.
	var download string
	b.eval(`fetch(document.getElementById("download").href).then(r => r.text())`, &download)
	file, err := os.ReadFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	if download != string(file) || strings.Count(download, "\n") != 5 {
		t.Errorf("the download (%d bytes, %d lines) is not the recording (%d bytes)", len(download), strings.Count(download, "\n"), len(file))
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		t.Errorf("errors on the page: %v", errs)
	}
}

// The page's errors are seen: a console error and an uncaught exception
// on a blank page are both in pageErrors.
func TestBrowserSeesPageErrors(t *testing.T) {
	path := findChromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
	}
	if testing.Short() {
		t.Skip("-short: the browser test is skipped")
	}
	b := startBrowser(t, path)
	b.navigate("about:blank")
	b.eval(`console.error("planted"); setTimeout(() => { throw new Error("thrown") }, 0); true`, nil)
	b.waitErrors(func(errs []string) bool {
		all := strings.Join(errs, "\n")
		return strings.Contains(all, "planted") && strings.Contains(all, "thrown")
	})
}

// Opened as /?token=TOKEN, the page takes the token out of the address bar
// (history.replaceState) and goes on with the cookie.
func TestInspectorTokenLeavesTheAddress(t *testing.T) {
	path := findChromium()
	if path == "" {
		t.Skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it): the browser test of the inspector is skipped")
	}
	if testing.Short() {
		t.Skip("-short: the browser test is skipped")
	}
	in := New(Config{Token: "t0ken-in-the-url"})
	ui, err := serve.Start("127.0.0.1:0", in.Handler())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close()
		_ = ui.Shutdown(context.Background())
	}()
	b := startBrowser(t, path)
	b.navigate(ui.URL + "/?token=t0ken-in-the-url&live=0#1")
	b.waitFor("the page", "window.imhookInspector && imhookInspector.ready")
	var href string
	b.eval(`location.href`, &href)
	if strings.Contains(href, "token") || !strings.Contains(href, "live=0") || !strings.HasSuffix(href, "#1") {
		t.Errorf("the address is %s: want the token out and the rest kept", href)
	}
	var status int
	b.eval(`fetch("api/exchanges").then(r => r.status)`, &status)
	if status != 200 {
		t.Errorf("the page's request after the token left the address: %d, want 200 (the cookie)", status)
	}
}
