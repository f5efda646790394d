package record

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/imhook/imhook/internal/jsonx"
)

// legacyAppendJSON is AppendJSON as it was before the hand-tuned encoder
// (commit b0a9e81), kept as the reference the tests compare with.
func legacyAppendJSON(dst []byte, r *Record) []byte {
	dst = append(dst, `{"time":"`...)
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, `","vendor":`...)
	dst = jsonx.AppendString(dst, r.Vendor)
	dst = append(dst, `,"command":`...)
	dst = jsonx.AppendString(dst, r.Command)
	dst = append(dst, `,"request":`...)
	if r.Request == nil {
		dst = append(dst, "null"...)
	} else {
		dst = legacyAppendMessage(dst, r.Request)
	}
	if r.Response != nil {
		dst = append(dst, `,"response":`...)
		dst = legacyAppendMessage(dst, r.Response)
	}
	if r.Error != "" {
		dst = append(dst, `,"error":`...)
		dst = jsonx.AppendString(dst, r.Error)
	}
	dst = append(dst, `,"findings":[`...)
	for i, f := range r.Findings {
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
	dst = append(dst, ']')
	if r.Outcome != "" {
		dst = append(dst, `,"outcome":`...)
		dst = jsonx.AppendString(dst, string(r.Outcome))
	}
	if r.Verdict != "" {
		dst = append(dst, `,"verdict":`...)
		dst = jsonx.AppendString(dst, string(r.Verdict))
	}
	return append(dst, '}')
}

func legacyAppendMessage(dst []byte, m *Message) []byte {
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
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonx.AppendString(dst, k)
		dst = append(dst, ":["...)
		for j, v := range m.Headers[k] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = jsonx.AppendString(dst, v)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, '}')
	if trimmed := bytes.TrimSpace(m.Body); len(trimmed) > 0 && (m.BodyIsJSON || json.Valid(trimmed)) {
		dst = append(dst, `,"body":`...)
		dst = append(dst, bytes.ToValidUTF8(compactJSON(nil, trimmed), []byte(`\ufffd`))...)
	} else {
		dst = append(dst, `,"body_text":`...)
		dst = jsonx.AppendString(dst, string(m.Body))
	}
	if !utf8.Valid(m.Body) {
		dst = append(dst, `,"body_base64":"`+base64.StdEncoding.EncodeToString(m.Body)+`"`...)
	}
	if m.LatencyMS != 0 {
		dst = append(dst, `,"latency_ms":`...)
		dst = strconv.AppendFloat(dst, m.LatencyMS, 'f', -1, 64)
	}
	return append(dst, '}')
}

// compactJSON is encoding/json's Compact, the independent reference for
// jsonx.AppendCompact (whose own tests compare it with its earlier loop).
func compactJSON(dst, src []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, src); err != nil {
		panic(err)
	}
	return append(dst, b.Bytes()...)
}
