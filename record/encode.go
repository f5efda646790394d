package record

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as one compact JSON object (without a newline) in the
// field order of DESIGN.md. It is what Writer and MarshalJSON use: a direct
// encoder, because encoding/json re-validates and re-compacts the output of
// every MarshalJSON, which made a record's body pass through the scanner
// three times.
func AppendJSON(dst []byte, r *Record) []byte {
	dst = append(dst, `{"time":"`...)
	dst = r.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000Z07:00")
	dst = append(dst, `","vendor":`...)
	dst = appendString(dst, r.Vendor)
	dst = append(dst, `,"command":`...)
	dst = appendString(dst, r.Command)
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
		dst = appendString(dst, r.Error)
	}
	dst = append(dst, `,"findings":[`...)
	for i, f := range r.Findings {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"severity":`...)
		dst = appendString(dst, f.Severity)
		dst = append(dst, `,"rule":`...)
		dst = appendString(dst, f.Rule)
		if f.Path != "" {
			dst = append(dst, `,"path":`...)
			dst = appendString(dst, f.Path)
		}
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, f.Message)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	if r.Verdict != "" {
		dst = append(dst, `,"verdict":`...)
		dst = appendString(dst, r.Verdict)
	}
	return append(dst, '}')
}

func appendMessage(dst []byte, m *Message) []byte {
	dst = append(dst, '{')
	if m.Method != "" {
		dst = append(dst, `"method":`...)
		dst = appendString(dst, m.Method)
		dst = append(dst, ',')
	}
	if m.URL != "" {
		dst = append(dst, `"url":`...)
		dst = appendString(dst, m.URL)
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
		dst = appendString(dst, k)
		dst = append(dst, ":["...)
		for j, v := range m.Headers[k] {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, v)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, '}')
	if trimmed := bytes.TrimSpace(m.Body); len(trimmed) > 0 && json.Valid(trimmed) {
		dst = append(dst, `,"body":`...)
		dst = appendCompact(dst, trimmed)
	} else {
		dst = append(dst, `,"body_text":`...)
		dst = appendString(dst, string(m.Body))
	}
	if m.LatencyMS != 0 {
		dst = append(dst, `,"latency_ms":`...)
		dst = strconv.AppendFloat(dst, m.LatencyMS, 'f', -1, 64)
	}
	return append(dst, '}')
}

// appendCompact appends valid JSON without insignificant whitespace; JSON
// that has none is copied as it is.
func appendCompact(dst, src []byte) []byte {
	if !bytes.ContainsAny(src, " \t\r\n") {
		return append(dst, src...)
	}
	var buf bytes.Buffer
	_ = json.Compact(&buf, src)
	return append(dst, buf.Bytes()...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD and
// control characters are escaped, so every line is valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
