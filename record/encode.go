package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imhook/imhook/internal/jsonx"
)

// AppendJSON appends r as one compact JSON object (without a newline) in the
// field order of ARCHITECTURE.md ("The record"). It is what Writer and MarshalJSON use: a direct
// encoder, because encoding/json re-validates and re-compacts the output of
// every MarshalJSON, which made a record's body pass through the scanner
// three times.
func AppendJSON(dst []byte, r *Record) []byte {
	dst = append(dst, `{"time":"`...)
	dst = appendTime(dst, r.Time)
	dst = append(dst, `","vendor":`...)
	dst = jsonx.AppendString(dst, r.Vendor)
	dst = append(dst, `,"command":`...)
	dst = jsonx.AppendString(dst, r.Command)
	dst = append(dst, `,"request":`...)
	if r.Request == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendMessage(dst, r.Request)
	}
	if r.Response != nil {
		dst = append(dst, `,"response":`...)
		dst = appendMessage(dst, r.Response)
	}
	if r.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = jsonx.AppendString(dst, r.Error)
	}
	if r.WaitedMS != 0 {
		dst = append(dst, `,"waited_ms":`...)
		dst = appendLatency(dst, r.WaitedMS)
	}
	if r.Forward != nil {
		dst = appendForward(append(dst, `,"forward":`...), r.Forward)
	}
	dst = appendFindings(append(dst, `,"findings":`...), r.Findings)
	if r.Outcome != "" {
		dst = append(dst, `,"outcome":`...)
		dst = jsonx.AppendString(dst, string(r.Outcome))
	}
	if r.Verdict != "" {
		dst = append(dst, `,"verdict":`...)
		dst = jsonx.AppendString(dst, string(r.Verdict))
	}
	if r.Seed != nil {
		dst = strconv.AppendUint(append(dst, `,"seed":`...), *r.Seed, 10)
	}
	return append(dst, '}')
}

// appendFindings appends a findings array.
func appendFindings(dst []byte, fs []Finding) []byte {
	dst = append(dst, '[')
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"severity":`...)
		dst = jsonx.AppendString(dst, string(f.Severity))
		dst = append(dst, `,"rule":`...)
		dst = jsonx.AppendString(dst, f.Rule)
		if f.Path != "" {
			dst = append(dst, `,"path":`...)
			dst = jsonx.AppendString(dst, f.Path)
		}
		dst = append(dst, `,"message":`...)
		dst = jsonx.AppendString(dst, f.Message)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendForward appends a forward object as encoding/json would write
// Forward.
func appendForward(dst []byte, f *Forward) []byte {
	dst = append(dst, `{"url":`...)
	dst = jsonx.AppendString(dst, f.URL)
	if f.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(f.Status), 10)
	}
	if f.LatencyMS != 0 {
		dst = append(dst, `,"latency_ms":`...)
		dst = appendLatency(dst, f.LatencyMS)
	}
	if f.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = jsonx.AppendString(dst, f.Error)
	}
	dst = appendFindings(append(dst, `,"findings":`...), f.Findings)
	return append(dst, '}')
}

func appendMessage(dst []byte, m *Message) []byte {
	dst = append(dst, '{')
	if m.Method != "" {
		dst = append(dst, `"method":`...)
		dst = jsonx.AppendString(dst, m.Method)
		dst = append(dst, ',')
	}
	if m.URL != "" {
		dst = append(dst, `"url":`...)
		dst = jsonx.AppendString(dst, m.URL)
		dst = append(dst, ',')
	}
	if m.Status != 0 {
		dst = append(dst, `"status":`...)
		dst = strconv.AppendInt(dst, int64(m.Status), 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"headers":{`...)
	dst = appendHeaders(dst, m.Headers)
	dst = append(dst, '}')
	// A body that is not UTF-8 is written readable (its bad bytes as
	// U+FFFD) and exact (body_base64), so that the line stays valid JSON for
	// strict readers and replay can still send the bytes that came.
	exact := utf8.Valid(m.Body)
	if trimmed := bytes.TrimSpace(m.Body); len(trimmed) > 0 && (m.BodyIsJSON || json.Valid(trimmed)) {
		dst = append(dst, `,"body":`...)
		if !exact {
			// Only strings hold bytes past ASCII in valid JSON, and an
			// escape there keeps the value valid.
			trimmed = bytes.ToValidUTF8(trimmed, []byte(`\ufffd`))
		}
		dst = jsonx.AppendCompact(dst, trimmed)
	} else {
		dst = append(dst, `,"body_text":`...)
		dst = jsonx.AppendString(dst, string(m.Body))
	}
	if !exact {
		dst = append(dst, `,"body_base64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, m.Body)
		dst = append(dst, '"')
	}
	if m.LatencyMS != 0 {
		dst = append(dst, `,"latency_ms":`...)
		dst = appendLatency(dst, m.LatencyMS)
	}
	return append(dst, '}')
}

// timeLayout is the record's time format: UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// appendTime appends t as AppendFormat(timeLayout) of t.UTC() does, without
// interpreting the layout: digits for the years 0 to 9999 (every record's),
// AppendFormat for the others.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, timeLayout)
	}
	hour, min, sec := t.Clock()
	ms := t.Nanosecond() / 1e6 // AppendFormat truncates too
	return append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// stackHeaders is how many header names appendHeaders sorts on the stack.
const stackHeaders = 16

// appendHeaders appends the members of a header object (without braces),
// names in sorted order, as encoding/json writes a map.
func appendHeaders(dst []byte, h http.Header) []byte {
	type kv struct {
		k string
		v []string
	}
	var stack [stackHeaders]kv
	kvs := stack[:0]
	if len(h) > stackHeaders {
		kvs = make([]kv, 0, len(h))
	}
	for k, v := range h {
		kvs = append(kvs, kv{k, v})
	}
	if len(kvs) <= stackHeaders {
		// Insertion sort: a handful of names, no allocation.
		for i := 1; i < len(kvs); i++ {
			for j := i; j > 0 && kvs[j].k < kvs[j-1].k; j-- {
				kvs[j], kvs[j-1] = kvs[j-1], kvs[j]
			}
		}
	} else {
		slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	}
	for i, e := range kvs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendString(dst, e.k)
		dst = append(dst, ":["...)
		for j, v := range e.v {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendString(dst, v)
		}
		dst = append(dst, ']')
	}
	return dst
}

// appendLatency appends a latency in milliseconds as
// strconv.AppendFloat(dst, ms, 'f', -1, 64) does. A latency is a whole number
// of microseconds divided by 1000: for such a value below 2^33 ms the
// shortest decimal that reads back as ms is the microseconds with the point
// moved three places and trailing zeros dropped (ms is the double nearest to
// that decimal, and doubles there are much closer together than 0.001), so
// it is written with integer arithmetic. Other values go to AppendFloat.
func appendLatency(dst []byte, ms float64) []byte {
	if !(ms > 0 && ms < 1<<33) {
		return strconv.AppendFloat(dst, ms, 'f', -1, 64)
	}
	us := int64(ms*1000 + 0.5)
	if float64(us)/1000 != ms {
		return strconv.AppendFloat(dst, ms, 'f', -1, 64)
	}
	dst = strconv.AppendInt(dst, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return dst
	}
	dst = append(dst, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		dst = append(dst, byte('0'+frac/10%10))
		if frac%10 != 0 {
			dst = append(dst, byte('0'+frac%10))
		}
	}
	return dst
}
