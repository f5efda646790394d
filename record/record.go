package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// Severity is how much a finding weighs.
type Severity string

// Severities of a finding.
const (
	Error   Severity = "error"   // the platform would treat the exchange as failed, or the spec is broken
	Warning Severity = "warning" // legal but suspicious
	Info    Severity = "info"
)

// Verdict is what an exchange came to.
type Verdict string

// Verdicts of an exchange.
const (
	Pass    Verdict = "pass"  // every contract rule held (warnings allowed)
	Fail    Verdict = "fail"  // the contract was broken
	NoReply Verdict = "error" // no reply came
)

// Outcome is what the platform would do with a reply; each vendor has its
// own set (platform's Vendor.Outcomes).
type Outcome string

// Outcomes of the vendors' replies.
const (
	// Tencent.
	OutcomeOK      Outcome = "ok"      // allow (ErrorCode 0); after-callbacks: ActionStatus OK
	OutcomeFail    Outcome = "fail"    // ActionStatus FAIL: the backend failed
	OutcomeReject  Outcome = "reject"  // ErrorCode 1 or a custom code: the operation is refused
	OutcomeDiscard Outcome = "discard" // ErrorCode 2: dropped silently, the sender sees success
	// OpenIM.
	OutcomeContinue Outcome = "continue" // the operation goes on (also every after-callback reply)
	OutcomeStop     Outcome = "stop"     // actionCode 0 with nextCode 1: the operation stops
	// Both.
	OutcomeModify Outcome = "modify" // allowed, with reply fields the platform applies
)

// Finding is one observation about a payload or a reply.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
}

func (f Finding) String() string {
	if f.Path == "" {
		return fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, f.Message)
	}
	return fmt.Sprintf("%s %s at %s: %s", f.Severity, f.Rule, f.Path, f.Message)
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Message is a request or a response as it went over the wire.
type Message struct {
	Method  string      `json:"method,omitempty"`
	URL     string      `json:"url,omitempty"`
	Status  int         `json:"status,omitempty"`
	Headers http.Header `json:"headers"`
	// Body is the raw bytes; it is written as "body" (the JSON value) when
	// the bytes are JSON and as "body_text" otherwise. Bytes that are not
	// valid UTF-8 are written as U+FFFD there, so that every line is valid
	// JSON in valid UTF-8 (what strict readers such as Python's json module
	// take), and the exact bytes go in "body_base64" (standard base64),
	// which readers prefer: replay sends the bytes that came.
	Body      []byte  `json:"-"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// BodyIsJSON tells the encoder that Body is known to be valid JSON (the
	// receiver checked it already), which spares it a second scan.
	BodyIsJSON bool `json:"-"`
}

type wireMessage struct {
	Method    string          `json:"method,omitempty"`
	URL       string          `json:"url,omitempty"`
	Status    int             `json:"status,omitempty"`
	Headers   http.Header     `json:"headers"`
	Body      json.RawMessage `json:"body,omitempty"`
	BodyText  *string         `json:"body_text,omitempty"`
	BodyExact []byte          `json:"body_base64,omitempty"`
	LatencyMS float64         `json:"latency_ms,omitempty"`
}

// MarshalJSON writes Body as "body" (the JSON value) or "body_text", and
// "body_base64" when it is not valid UTF-8.
func (m Message) MarshalJSON() ([]byte, error) {
	return appendMessage(nil, &m), nil
}

// UnmarshalJSON reads "body_base64", "body" or "body_text" into Body, in
// that order of preference.
func (m *Message) UnmarshalJSON(b []byte) error {
	var w wireMessage
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Method: w.Method, URL: w.URL, Status: w.Status, Headers: w.Headers, LatencyMS: w.LatencyMS}
	switch {
	case len(w.BodyExact) > 0:
		m.Body = w.BodyExact
	case len(w.Body) > 0: // a JSON null body is the four bytes null
		m.Body = []byte(w.Body)
	case w.BodyText != nil:
		m.Body = []byte(*w.BodyText)
	}
	return nil
}

// Record is one exchange.
type Record struct {
	Time     time.Time `json:"time"`
	Vendor   string    `json:"vendor"`
	Command  string    `json:"command"`
	Request  *Message  `json:"request"`
	Response *Message  `json:"response,omitempty"`
	// Error is why no reply came (absent when one did).
	Error string `json:"error,omitempty"`
	// WaitedMS is how long imhook waited for the reply that did not come
	// (absent when one came, or when the target could not be reached).
	WaitedMS float64 `json:"waited_ms,omitempty"`
	// Forward is the second leg of an exchange that serve --forward-to
	// passed on to a backend; absent otherwise. Response is then what the
	// caller got: the backend's reply as it came, or imhook's 502 or 504
	// when none came.
	Forward  *Forward  `json:"forward,omitempty"`
	Findings []Finding `json:"findings"`
	// Outcome is what the platform would do with the reply (record.Outcome*:
	// ok, fail, reject, discard, modify; continue, stop, modify); absent when
	// the reply broke the contract or none came.
	Outcome Outcome `json:"outcome,omitempty"`
	Verdict Verdict `json:"verdict,omitempty"`
	// Seed is the seed of the run that generated the callback's payload
	// (the same seed makes the same run again); absent for payloads that
	// were not generated (replay, serve, --data). Readers that do not know
	// it skip it.
	Seed *uint64 `json:"seed,omitempty"`
}

// Forward is the second leg of a forwarded exchange: the request as
// received, sent on to a backend, and what the backend did with it.
//
// A forwarded record reads as a record of simulate against the backend:
// Request is the callback as the platform sent it, Response the reply the
// platform got (relayed unchanged from the backend), Findings the request's
// findings followed by the reply's, and Outcome and Verdict what the
// platform would make of the whole. Forward.Findings repeats the reply's
// findings alone, so that a reader can tell the legs apart. When the
// backend could not be reached or did not answer within the platform's
// budget, Forward.Error says why, the caller got imhook's 502 or 504 in
// Response, and the verdict is "error": the platform would have seen the
// callback fail. Readers that do not know the field ignore it.
type Forward struct {
	// URL is where the request was sent: the --forward-to URL with
	// Tencent's query or OpenIM's /{command} of the received request.
	URL string `json:"url"`
	// Status is the backend's HTTP status (absent when none came).
	Status int `json:"status,omitempty"`
	// LatencyMS is from sending the request to the end of the reply.
	LatencyMS float64 `json:"latency_ms,omitempty"`
	// Error is why no reply came from the backend.
	Error string `json:"error,omitempty"`
	// Findings are the judge's findings on the backend's reply.
	Findings []Finding `json:"findings"`
}

// MarshalJSON writes the record as AppendJSON does.
func (r Record) MarshalJSON() ([]byte, error) {
	return AppendJSON(nil, &r), nil
}

// VerdictOf computes pass/fail from findings; a record without a response and
// with an error is NoReply.
func VerdictOf(hasReply bool, fs []Finding) Verdict {
	switch {
	case !hasReply:
		return NoReply
	case HasErrors(fs):
		return Fail
	default:
		return Pass
	}
}

// RuleUnknownField is the rule of a payload field that the document does
// not list: an info finding, which --strict makes fail.
const RuleUnknownField = "payload.unknown_field"

// RuleUnreadField is the rule of a reply field that the platform does not
// read (it changes nothing): an info finding, which --strict makes fail.
const RuleUnreadField = "response.unread_field"

// FailsStrictly reports whether a finding fails an exchange under --strict:
// an error, a warning, a payload field the document does not list, or a
// reply field the platform does not read.
func FailsStrictly(f Finding) bool {
	return f.Severity == Error || f.Severity == Warning || f.Rule == RuleUnknownField || f.Rule == RuleUnreadField
}

// Judge is VerdictOf, and with strict (--strict) a warning or an unknown
// field fails the exchange too.
func Judge(hasReply bool, fs []Finding, strict bool) Verdict {
	v := VerdictOf(hasReply, fs)
	if strict && v == Pass {
		for _, f := range fs {
			if FailsStrictly(f) {
				return Fail
			}
		}
	}
	return v
}

// Writer appends records to a stream, one line each. Each record goes out in
// a single Write, under a lock, so concurrent writers never interleave.
//
// A failed write fails the records it carried (their Write returns the
// error) and nothing else: the next record is tried again, so writing
// resumes by itself once the cause is gone (space freed on a full disk).
// What a failed write left of its batch is cut back (a regular file is
// truncated to where the batch began), so the file holds whole lines only;
// on a stream that cannot be cut back, the torn line is ended before the
// next record, which then starts a line of its own. The writer prints
// nothing: its owner learns of failed writes through OnStreak.
type Writer struct {
	mu   sync.Mutex
	cond sync.Cond
	w    io.Writer
	f    *os.File
	// regular is set for a regular file, which a failed write is cut back
	// in; torn is set while a failed write's bytes are still there (the
	// cut failed too, or the stream cannot be cut).
	regular, torn bool

	// Group commit: records queue in buf, in the batch cur; one writer at
	// a time (the leader) writes the whole queue in a single Write while
	// the others wait, and each Write returns once its own batch has been
	// written or has failed. Under concurrency many records share one
	// system call; alone, a record is written at once.
	buf, spare []byte
	cur        *batch
	writing    bool

	// The current streak of failed writes: records lost, the last error.
	failed  int64
	lastErr error
	notify  func(Streak)

	// The path a file of OpenFile was opened at, watched by Watch: the
	// file's size when the path last named it (where a deleted file's
	// records begin that no path reaches), whether a failed reopen has
	// been told, and the watcher's stop and done.
	path       string
	atPath     int64
	reopenTold bool
	onReopen   func(Reopen)
	watchStop  chan struct{}
	watchDone  chan struct{}
}

// batch is the result of one Write system call, for the records it carried.
type batch struct {
	n    int64 // records
	done bool
	err  error
}

// Streak is a run of failed writes, told to the writer's owner (OnStreak)
// when it begins and when it ends.
type Streak struct {
	// Err is the error that began the streak, or (Over) the last one.
	Err error
	// Failed is how many records the streak cost so far: at its beginning
	// the records of the first failed write, when Over all of them.
	Failed int64
	// Over is set when a write succeeded again and the streak has ended.
	Over bool
}

// NewWriter wraps w.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w}
	wr.cond.L = &wr.mu
	return wr
}

// OpenFile opens (creating if needed) a record file for appending.
func OpenFile(path string) (*Writer, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	w := NewWriter(f)
	w.f, w.path = f, path
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		w.regular = true
		w.atPath = st.Size()
	}
	return w, nil
}

// openAppend opens path for appending, and for reading where it may (the
// writer reads its own file back to mend a torn line and to save what was
// written into a deleted file).
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if errors.Is(err, fs.ErrPermission) {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	}
	return f, err
}

// OnStreak sets f to be told when a streak of failed writes begins (once,
// at its first failed write) and when it ends (at the next write that
// succeeds), so that the owner can report it at once. f is called with the
// writer's lock held, from the goroutine whose Write ran the system call:
// it must be brief and must not use the writer. Set it before the first
// Write.
func (w *Writer) OnStreak(f func(Streak)) { w.notify = f }

// LineTooLongError is a record whose line would be longer than MaxLine:
// the readers (replay, validate) could not read it, so it is not written.
type LineTooLongError struct {
	Len int // the line's length, its newline included
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("the record would be a line of %d bytes, longer than the %d bytes (%d MiB) that replay and validate read; it was not written", e.Len, MaxLine, MaxLine>>20)
}

// Write appends one record and returns when it has been written, or when
// the write that carried it failed.
func (w *Writer) Write(r *Record) error {
	bp := bufPool.Get().(*[]byte)
	// Sized once for the bodies: a large body's record is not built by
	// doubling (which left three times its size behind as garbage).
	b := slices.Grow((*bp)[:0], sizeHint(r))
	b = append(AppendJSON(b, r), '\n')
	if len(b) > MaxLine {
		// Not put back: a buffer this large would stay in the pool.
		return &LineTooLongError{Len: len(b)}
	}
	w.mu.Lock()
	if !w.writing && len(w.buf) == 0 {
		// Nothing queued and nobody writing: write this record from its
		// own buffer, without copying it into a batch.
		w.writing = true
		w.mu.Unlock()
		err := w.put(b)
		if cap(b) <= maxPooled {
			*bp = b
			bufPool.Put(bp)
		}
		w.mu.Lock()
		w.writing = false
		w.account(&batch{n: 1, done: true, err: err})
		w.cond.Broadcast()
		w.mu.Unlock()
		return err
	}
	if w.cur == nil {
		w.cur = &batch{}
	}
	mine := w.cur
	mine.n++
	w.buf = append(w.buf, b...)
	if cap(b) <= maxPooled {
		*bp = b
		bufPool.Put(bp)
	}
	for !mine.done {
		if w.writing {
			w.cond.Wait()
			continue
		}
		// Lead: take the queue and write it in one go.
		w.writing = true
		out, bt := w.buf, w.cur
		w.buf, w.cur = w.spare[:0], nil
		w.mu.Unlock()
		err := w.put(out)
		w.mu.Lock()
		if cap(out) <= maxPooled {
			w.spare = out[:0]
		} else {
			w.spare = nil // let a large batch's buffer go
		}
		w.writing = false
		bt.done, bt.err = true, err
		w.account(bt)
		w.cond.Broadcast()
	}
	err := mine.err
	w.mu.Unlock()
	return err
}

// put writes one batch, first mending what a failed write left, and mends
// after a failed write. Only the leader calls it.
func (w *Writer) put(b []byte) error {
	if w.torn {
		if err := w.mend(0); err != nil {
			return err
		}
	}
	n, err := w.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil && n > 0 {
		w.torn = true
		_ = w.mend(n) // if it fails, the next batch tries again first
	}
	return err
}

// mend removes the n bytes a failed write left at the end of a regular file
// (n 0: as many as the file has beyond its last newline), or ends the torn
// line of a stream.
func (w *Writer) mend(n int) error {
	if !w.regular {
		if _, err := w.w.Write([]byte{'\n'}); err != nil {
			return err
		}
		w.torn = false
		return nil
	}
	st, err := w.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size() - int64(n)
	if n == 0 {
		if size, err = lastLineEnd(w.f, st.Size()); err != nil {
			return err
		}
	}
	if err := w.f.Truncate(size); err != nil {
		return err
	}
	w.torn = false
	return nil
}

// lastLineEnd is the offset just after the last newline of the first size
// bytes of f (0 when there is none).
func lastLineEnd(f *os.File, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for end := size; end > 0; {
		start := max(0, end-int64(len(buf)))
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}

// account keeps the streak of failed writes and tells the owner when one
// begins or ends. Called with the lock held.
func (w *Writer) account(bt *batch) {
	switch {
	case bt.err != nil:
		w.failed += bt.n
		w.lastErr = bt.err
		if w.failed == bt.n && w.notify != nil {
			w.notify(Streak{Err: bt.err, Failed: bt.n})
		}
	case w.failed > 0:
		if w.notify != nil {
			w.notify(Streak{Err: w.lastErr, Failed: w.failed, Over: true})
		}
		w.failed, w.lastErr = 0, nil
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// sizeHint is about the length of r's line: its bodies and room for the
// rest.
func sizeHint(r *Record) int {
	n := 1024
	if r.Request != nil {
		n += len(r.Request.Body)
	}
	if r.Response != nil {
		n += len(r.Response.Body)
	}
	return n
}

// maxPooled is the largest buffer kept for reuse: the records of large
// bodies are rare, and their buffers would otherwise stay as long as the
// pool (or the writer) does.
const maxPooled = 256 << 10

// Close flushes to disk and closes a file opened by OpenFile. It returns an
// error when the last write failed (records were lost and none has been
// written since), or when the file cannot be synced or closed.
func (w *Writer) Close() error {
	if w.watchStop != nil {
		close(w.watchStop)
		<-w.watchDone
		w.watchStop = nil
		w.check() // what a deletion just before the end left behind
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.writing {
		w.cond.Wait()
	}
	var err error
	if w.failed > 0 {
		err = fmt.Errorf("%d record(s) could not be written: %w", w.failed, w.lastErr)
	}
	if w.f == nil {
		return err
	}
	serr := w.f.Sync()
	if cerr := w.f.Close(); serr == nil {
		serr = cerr
	}
	w.f = nil
	if err != nil {
		return err
	}
	return serr
}

// MaxLine is the longest record line, its newline included: the longest the
// Writer writes (a longer record is refused with LineTooLongError), and the
// longest the reader of inputs reads (package stream's MaxItem, which is
// this constant). serve refuses (413) a body whose record would be longer.
const MaxLine = 64 << 20
