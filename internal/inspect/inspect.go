// Package inspect is serve's inspector: a web page, on an address of its
// own (serve --ui), that lists the exchanges the receiver records as they
// arrive, filters them, shows one in full with its findings and the
// callback's documentation, downloads the recording and resends an
// exchange (with replay's code).
//
// It is never served on the callback port: that is the port a tunnel
// exposes, and recorded traffic (users' messages) must not leak through it.
// The page is one embedded bundle (web/): HTML, CSS and JavaScript, nothing
// loaded from elsewhere. Its data API:
//
//	GET  /api/exchanges          summaries, oldest first; filters vendor, command, verdict, outcome; after=ID
//	GET  /api/exchanges/{id}     one exchange: the record as recorded, and its summary
//	GET  /api/events             Server-Sent Events: "exchange" with a summary per new exchange
//	GET  /api/doc/{command}      the callback's description (fixtures show --doc) and its rules
//	GET  /api/recording.jsonl    the recording: the --record file when there is one, else the exchanges kept
//	POST /api/exchanges/{id}/resend  {"target": URL, "resign": bool}: replay it; the new record
//	GET  /api/info               what the page needs to know: limits, whether a file is recorded, the default target
//
// Memory is bounded: the last Keep exchanges are kept, and no more than
// MaxBytes of their encoded records.
package inspect

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/ui"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/validate"
)

//go:embed web
var webFS embed.FS

// Defaults of Config.
const (
	DefaultKeep     = 1000
	DefaultMaxBytes = 64 << 20
)

// Config configures an Inspector.
type Config struct {
	// Keep is how many exchanges are kept (DefaultKeep when 0).
	Keep int
	// MaxBytes bounds the kept records' encoded size (DefaultMaxBytes).
	MaxBytes int
	// RecordFile is serve --record's file: the download streams it.
	RecordFile string
	// Token, when set, is required of every request: as "Authorization:
	// Bearer TOKEN", or once as ?token=TOKEN, which sets a cookie.
	Token string
	// Hosts are the host names (beyond loopback names and IP addresses)
	// that a request with Token may name in its Host header: the --ui
	// address's name. Any other name is refused, so that a page of another
	// site whose name was made to resolve here (DNS rebinding) reads
	// nothing.
	Hosts []string
	// Resend sends exchanges again (nil: resending is off).
	Resend *Resender
	// Catalogue is the callbacks' catalogue (fixtures.Default when nil).
	Catalogue *fixtures.Catalogue
}

// Summary is an exchange in the list.
type Summary struct {
	ID        int64          `json:"id"`
	Time      time.Time      `json:"time"`
	Vendor    string         `json:"vendor"`
	Command   string         `json:"command"`
	Method    string         `json:"method"`
	Status    int            `json:"status"`
	LatencyMS float64        `json:"latency_ms"`
	Verdict   record.Verdict `json:"verdict"`
	Outcome   record.Outcome `json:"outcome"`
	Errors    int            `json:"errors"`
	Warnings  int            `json:"warnings"`
	Infos     int            `json:"infos"`
	// Forward is the backend's status (0: none came) when the exchange was
	// forwarded; ForwardError why none came.
	Forwarded    bool   `json:"forwarded"`
	ForwardURL   string `json:"forward_url,omitempty"`
	ForwardCode  int    `json:"forward_status,omitempty"`
	ForwardError string `json:"forward_error,omitempty"`
}

type item struct {
	sum Summary
	raw []byte // the record as AppendJSON writes it
}

// Inspector keeps the last exchanges and serves the page.
type Inspector struct {
	cfg Config

	mu      sync.Mutex
	items   []item // oldest first
	bytes   int
	next    int64
	dropped int64
	subs    map[chan Summary]struct{}
	done    chan struct{}
	closed  bool
}

// New returns an inspector.
func New(cfg Config) *Inspector {
	if cfg.Keep <= 0 {
		cfg.Keep = DefaultKeep
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = fixtures.Default()
	}
	return &Inspector{cfg: cfg, next: 1, subs: map[chan Summary]struct{}{}, done: make(chan struct{})}
}

// Close ends the live pages' event streams (before the server around the
// handler shuts down, which waits for them).
func (in *Inspector) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.closed = true
		close(in.done)
	}
}

func summarize(id int64, r *record.Record) Summary {
	s := Summary{ID: id, Time: r.Time, Vendor: r.Vendor, Command: r.Command, Verdict: r.Verdict, Outcome: r.Outcome}
	if r.Request != nil {
		s.Method = r.Request.Method
	}
	if r.Response != nil {
		s.Status, s.LatencyMS = r.Response.Status, r.Response.LatencyMS
	}
	for _, f := range r.Findings {
		switch f.Severity {
		case record.Error:
			s.Errors++
		case record.Warning:
			s.Warnings++
		default:
			s.Infos++
		}
	}
	if fw := r.Forward; fw != nil {
		s.Forwarded, s.ForwardURL, s.ForwardCode, s.ForwardError = true, fw.URL, fw.Status, fw.Error
	}
	return s
}

// Add keeps an exchange and tells the live pages about it. It is serve's
// Show hook: it must not change r, and it encodes r at once.
func (in *Inspector) Add(r *record.Record) {
	raw := record.AppendJSON(nil, r)
	in.mu.Lock()
	id := in.next
	in.next++
	it := item{sum: summarize(id, r), raw: raw}
	in.items = append(in.items, it)
	in.bytes += len(raw)
	drop := 0
	for len(in.items)-drop > in.cfg.Keep || (in.bytes > in.cfg.MaxBytes && len(in.items)-drop > 1) {
		in.bytes -= len(in.items[drop].raw)
		in.items[drop] = item{}
		drop++
	}
	if drop > 0 {
		in.items = in.items[drop:]
		in.dropped += int64(drop)
		if cap(in.items) > 2*in.cfg.Keep {
			in.items = append([]item(nil), in.items...)
		}
	}
	for ch := range in.subs {
		select {
		case ch <- it.sum:
		default:
			// A page that does not keep up loses its stream; its
			// EventSource reconnects and resumes after the last id it saw.
			delete(in.subs, ch)
			close(ch)
		}
	}
	in.mu.Unlock()
}

// Filter selects summaries; empty fields match everything.
type Filter struct {
	Vendor, Command string
	Verdict         record.Verdict
	Outcome         string // an outcome, or "none" for none
	After           int64
}

// Match reports whether s passes f.
func (f Filter) Match(s Summary) bool {
	switch {
	case s.ID <= f.After:
		return false
	case f.Vendor != "" && s.Vendor != f.Vendor:
		return false
	case f.Command != "" && !strings.EqualFold(s.Command, f.Command):
		return false
	case f.Verdict != "" && s.Verdict != f.Verdict:
		return false
	case f.Outcome == "none" && s.Outcome != "":
		return false
	case f.Outcome != "" && f.Outcome != "none" && string(s.Outcome) != f.Outcome:
		return false
	}
	return true
}

// List returns the kept summaries that pass f, oldest first.
func (in *Inspector) List(f Filter) []Summary {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := []Summary{}
	for _, it := range in.items {
		if f.Match(it.sum) {
			out = append(out, it.sum)
		}
	}
	return out
}

// Get returns an exchange's record as recorded.
func (in *Inspector) Get(id int64) ([]byte, Summary, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	// IDs are consecutive: the item is at a known offset.
	if len(in.items) == 0 {
		return nil, Summary{}, false
	}
	i := id - in.items[0].sum.ID
	if i < 0 || i >= int64(len(in.items)) {
		return nil, Summary{}, false
	}
	it := in.items[i]
	return it.raw, it.sum, true
}

func (in *Inspector) subscribe() chan Summary {
	ch := make(chan Summary, 256)
	in.mu.Lock()
	in.subs[ch] = struct{}{}
	in.mu.Unlock()
	return ch
}

func (in *Inspector) unsubscribe(ch chan Summary) {
	in.mu.Lock()
	delete(in.subs, ch)
	in.mu.Unlock()
}

// Handler serves the page and its API.
func (in *Inspector) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFS, "web")
	files := http.FileServer(http.FS(static))
	mux.Handle("GET /", files)
	mux.HandleFunc("GET /api/info", in.info)
	mux.HandleFunc("GET /api/exchanges", in.list)
	mux.HandleFunc("GET /api/exchanges/{id}", in.one)
	mux.HandleFunc("POST /api/exchanges/{id}/resend", in.resend)
	mux.HandleFunc("GET /api/events", in.events)
	mux.HandleFunc("GET /api/doc/{command}", in.doc)
	mux.HandleFunc("GET /api/recording.jsonl", in.download)
	return in.guard(mux)
}

const cookieName = "imhook_ui"

// guard checks the token (when there is one) and the Host header (a page
// of another site that resolves its name to this address must not read
// it), and sets the headers every answer carries.
func (in *Inspector) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if in.cfg.Token == "" && !loopbackHost(r.Host) {
			http.Error(w, "imhook inspector: open it at a loopback address (127.0.0.1 or localhost); the Host "+strconv.Quote(r.Host)+" is not one", http.StatusForbidden)
			return
		}
		if in.cfg.Token != "" && !in.knownHost(r.Host) {
			http.Error(w, "imhook inspector: open it at its IP address, a loopback name or the --ui address's name; the Host "+strconv.Quote(r.Host)+" is none of them", http.StatusForbidden)
			return
		}
		if in.cfg.Token != "" && !in.authorized(w, r) {
			http.Error(w, "imhook inspector: a token is required: open the page once as /?token=TOKEN (the --ui-token or IMHOOK_UI_TOKEN value), or send Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if why := crossOrigin(r); why != "" {
				http.Error(w, "imhook inspector: "+why+"; only the inspector's own page may post", http.StatusForbidden)
				return
			}
			if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
				http.Error(w, "imhook inspector: POST requests carry application/json, not "+strconv.Quote(r.Header.Get("Content-Type")), http.StatusUnsupportedMediaType)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (in *Inspector) authorized(w http.ResponseWriter, r *http.Request) bool {
	ok := func(s string) bool { return subtle.ConstantTimeCompare([]byte(s), []byte(in.cfg.Token)) == 1 }
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && ok(strings.TrimPrefix(a, "Bearer ")) {
		return true
	}
	if c, err := r.Cookie(cookieName); err == nil && ok(c.Value) {
		return true
	}
	if t := r.URL.Query().Get("token"); t != "" && ok(t) {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: in.cfg.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		return true
	}
	return false
}

// knownHost reports a Host header that a request with the token may name:
// a loopback name, an IP address, or one of Hosts.
func (in *Inspector) knownHost(host string) bool {
	if loopbackHost(host) {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if net.ParseIP(host) != nil {
		return true
	}
	for _, h := range in.cfg.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// crossOrigin says why a POST did not come from the inspector's own page
// ("" when it may have): a browser names the page's origin in Origin, and
// in Sec-Fetch-Site whether it is this site; clients that are not browsers
// send neither.
func crossOrigin(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return "a request from another site (Sec-Fetch-Site: " + site + ")"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	if !strings.EqualFold(origin, scheme+r.Host) {
		return "a request from the page of " + strconv.Quote(origin) + ", not " + strconv.Quote(scheme+r.Host)
	}
	return ""
}

// loopbackHost reports a Host header naming this machine.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, a...)})
}

// Info is what /api/info tells the page.
type Info struct {
	Keep          int    `json:"keep"`
	Kept          int    `json:"kept"`
	Dropped       int64  `json:"dropped"`
	RecordFile    bool   `json:"record_file"`
	Resend        bool   `json:"resend"`
	DefaultTarget string `json:"default_target,omitempty"`
	CanResign     bool   `json:"can_resign"`
}

func (in *Inspector) info(w http.ResponseWriter, _ *http.Request) {
	in.mu.Lock()
	i := Info{Keep: in.cfg.Keep, Kept: len(in.items), Dropped: in.dropped, RecordFile: in.cfg.RecordFile != "", Resend: in.cfg.Resend != nil}
	in.mu.Unlock()
	if rs := in.cfg.Resend; rs != nil {
		i.DefaultTarget, i.CanResign = record.RedactURL(rs.DefaultTarget), rs.Token != ""
	}
	writeJSON(w, http.StatusOK, i)
}

func filterOf(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Vendor: q.Get("vendor"), Command: q.Get("command"), Verdict: record.Verdict(q.Get("verdict")), Outcome: q.Get("outcome")}
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return f, fmt.Errorf("after=%q is not an exchange id", a)
		}
		f.After = n
	}
	switch f.Verdict {
	case "", record.Pass, record.Fail, record.NoReply:
	default:
		return f, fmt.Errorf("verdict=%q: expected pass, fail or error", f.Verdict)
	}
	return f, nil
}

func (in *Inspector) list(w http.ResponseWriter, r *http.Request) {
	f, err := filterOf(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"exchanges": in.List(f)})
}

func (in *Inspector) id(w http.ResponseWriter, r *http.Request) ([]byte, Summary, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "%q is not an exchange id", r.PathValue("id"))
		return nil, Summary{}, false
	}
	raw, sum, ok := in.Get(id)
	if !ok {
		apiError(w, http.StatusNotFound, "exchange %d is not kept (the inspector keeps the last %d)", id, in.cfg.Keep)
		return nil, Summary{}, false
	}
	return raw, sum, true
}

func (in *Inspector) one(w http.ResponseWriter, r *http.Request) {
	raw, sum, ok := in.id(w, r)
	if !ok {
		return
	}
	// The bodies as text, indented with their keys and numbers as they
	// came (a JavaScript JSON.parse would round large integers).
	var rec record.Record
	var bodies Bodies
	if err := record.Unmarshal(raw, &rec); err == nil {
		if rec.Request != nil {
			bodies.Request = string(ui.PrettyJSON(rec.Request.Body))
		}
		if rec.Response != nil {
			bodies.Response = string(ui.PrettyJSON(rec.Response.Body))
		}
	}
	writeJSON(w, http.StatusOK, Exchange{sum, raw, bodies})
}

// Exchange is one exchange in full (GET /api/exchanges/{id}).
type Exchange struct {
	Summary Summary         `json:"summary"`
	Record  json.RawMessage `json:"record"`
	Bodies  Bodies          `json:"bodies"`
}

// Bodies are an exchange's bodies as text, JSON indented.
type Bodies struct {
	Request  string `json:"request"`
	Response string `json:"response"`
}

// events streams a summary per new exchange; after=ID first sends the kept
// ones after ID, so that a page that listed before it subscribed misses
// nothing.
func (in *Inspector) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		apiError(w, http.StatusInternalServerError, "streaming is not supported here")
		return
	}
	f, err := filterOf(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	// A reconnecting EventSource says where it was.
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > f.After {
		f.After = id
	}
	ch := in.subscribe()
	defer in.unsubscribe(ch)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	last := f.After
	send := func(s Summary) bool {
		if s.ID <= last {
			return true
		}
		last = s.ID
		b, _ := json.Marshal(s)
		_, err := fmt.Fprintf(w, "id: %d\nevent: exchange\ndata: %s\n\n", s.ID, b)
		return err == nil
	}
	if r.URL.Query().Has("after") || r.Header.Get("Last-Event-ID") != "" {
		for _, s := range in.List(Filter{After: f.After}) {
			if !send(s) {
				return
			}
		}
	}
	_, _ = io.WriteString(w, ": imhook inspector\n\n")
	fl.Flush()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-in.done:
			return
		case s, open := <-ch:
			if !open || !send(s) {
				return
			}
			fl.Flush()
		case <-tick.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// Doc is a callback's description.
type Doc struct {
	Command string `json:"command"`
	Vendor  string `json:"vendor"`
	Title   string `json:"title"`
	// Text is what fixtures show --doc prints.
	Text string `json:"text"`
	// Rules explains the finding rules of the callback's own checks
	// (payload.rule.ID).
	Rules map[string]string `json:"rules"`
}

func (in *Inspector) doc(w http.ResponseWriter, r *http.Request) {
	e, _, ok := in.cfg.Catalogue.Lookup(r.PathValue("command"))
	if !ok {
		apiError(w, http.StatusNotFound, "%q is not a callback imhook knows", r.PathValue("command"))
		return
	}
	d := Doc{Command: e.Command, Vendor: e.Vendor, Title: e.Title, Text: fixtures.Describe(e, nil, nil), Rules: map[string]string{}}
	for _, rule := range e.Rules {
		d.Rules[validate.RulePrefix+rule.ID] = fmt.Sprintf("%s (%s): %s", rule.ID, rule.Severity, rule.Doc)
	}
	writeJSON(w, http.StatusOK, d)
}

// download sends the recording: the record file as it is on disk when
// serve records one (streamed, whatever its size), else the exchanges kept.
func (in *Inspector) download(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="imhook-recording.jsonl"`)
	if in.cfg.RecordFile != "" {
		f, err := os.Open(in.cfg.RecordFile)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "the record file cannot be read: %v", err)
			return
		}
		defer f.Close()
		// The file as it is now, up to its last complete line: records
		// appended while it is sent come next time.
		st, err := f.Stat()
		if err != nil {
			apiError(w, http.StatusInternalServerError, "the record file cannot be read: %v", err)
			return
		}
		_, _ = io.Copy(&wholeLines{w: w}, io.LimitReader(f, st.Size()))
		return
	}
	in.mu.Lock()
	raws := make([][]byte, len(in.items))
	for i, it := range in.items {
		raws[i] = it.raw
	}
	in.mu.Unlock()
	for _, b := range raws {
		if _, err := w.Write(append(b[:len(b):len(b)], '\n')); err != nil {
			return
		}
	}
}

// wholeLines writes only complete lines: a line still being written when the
// download began is held back and dropped.
type wholeLines struct {
	w       io.Writer
	pending []byte
}

func (l *wholeLines) Write(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, '\n')
	if i < 0 {
		l.pending = append(l.pending, b...)
		return len(b), nil
	}
	if len(l.pending) > 0 {
		if _, err := l.w.Write(l.pending); err != nil {
			return 0, err
		}
		l.pending = l.pending[:0]
	}
	if _, err := l.w.Write(b[:i+1]); err != nil {
		return 0, err
	}
	l.pending = append(l.pending, b[i+1:]...)
	return len(b), nil
}
