package generate

import (
	"strconv"
	"unsafe"

	"github.com/imhook/imhook/internal/jsonx"
)

// The string generators, writing the JSON string straight into the buffer
// with the draws of the reference generator's gen.str and gen.derived
// (gen_tree_test.go). The kinds whose value depends on sibling fields
// generated before them:
//
//   - openim_platform: the platform name of the sibling platformID (UserStatusBase);
//   - openim_content: the message content JSON, as a string, for the sibling contentType;
//   - openim_conversation_id: si_<a>_<b> for a single chat, sg_<group> for a
//     group (by the sibling sessionType or conversationType, else by the hint's min);
//   - openim_json_ex: an empty string or a small JSON object as a string;
//   - msg_key: a Tencent MsgKey of a message not described by the payload,
//     <MsgSeq>_<MsgRandom>_<MsgTime> with a time in the minutes before now;
//   - tencent_msg_id: a Tencent MsgId, <18 digits>-<MsgTime>-<MsgRandom> from
//     the siblings MsgTime and MsgRandom when they exist (144115233406643804-1727580296-4026038328).

// quoted holds each word list as JSON strings without the closing quote.
type quoted []string

// quoteAll quotes each word as jsonx.AppendString does (imhook's encoder);
// quoteWith takes another quoting, such as json.Marshal's.
func quoteAll(list []string) quoted {
	return quoteWith(list, func(s string) []byte { return jsonx.AppendString(nil, s) })
}

func quoteWith(list []string, quote func(string) []byte) quoted {
	out := make(quoted, len(list))
	for i, s := range list {
		b := quote(s)
		out[i] = string(b[:len(b)-1])
	}
	return out
}

var (
	qUserNames = quoteAll(userNames)
	qTexts     = quoteAll(texts)
	qPlaces    = quoteAll(places)
	qFileNames = quoteAll(fileNames)
	qWords     = quoteAll(words)
)

var (
	groupTypes  = []string{"1", "2", "3", "a"}
	cosRegions  = []string{"guangzhou", "shanghai", "singapore"}
	businessIDs = []string{"order", "red_packet", "call", "poll"}
	jsonSources = []string{"app", "web", "admin", "bot"}
)

func (g *planGen) pick(dst []byte, list []string) []byte {
	return append(dst, list[g.rng.IntN(len(list))]...)
}

func (g *planGen) chars(dst []byte, alphabet string, n int) []byte {
	for range n {
		dst = append(dst, alphabet[g.rng.IntN(len(alphabet))])
	}
	return dst
}

func (g *planGen) openIMID(dst []byte) []byte {
	return strconv.AppendInt(dst, 1_000_000_000+g.rng.Int64N(8_999_999_999), 10)
}

// appendStr appends a generated string value of f to g.buf and returns it.
func (g *planGen) appendStr(p *plan, f *pfield, sib int32) []byte {
	b := g.buf
	switch f.kind {
	case "msg_key":
		b = append(b, '"')
		b = strconv.AppendUint(b, uint64(g.rng.Uint32()), 10)
		b = append(b, '_')
		b = strconv.AppendUint(b, uint64(g.rng.Uint32()), 10)
		b = append(b, '_')
		b = strconv.AppendInt(b, g.now.Unix()-g.rng.Int64N(3600), 10)
		return append(b, '"')
	case "tencent_msg_id":
		t, r := g.sibInt(sib, p.idMsgTime), g.sibInt(sib, p.idMsgRandom)
		if t == 0 {
			t = g.now.Unix() - g.rng.Int64N(300)
		}
		if r == 0 {
			r = int64(g.rng.Uint32())
		}
		b = append(b, `"1441152`...)
		b = g.chars(b, "0123456789", 11)
		b = append(b, '-')
		b = strconv.AppendInt(b, t, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, r, 10)
		return append(b, '"')
	case "openim_platform":
		return jsonx.AppendString(b, openIMPlatforms[g.sibInt(sib, p.idPlatformID)])
	case "openim_content":
		g.content = g.appendOpenIMContent(g.content[:0], g.sibInt(sib, p.idContentType))
		return jsonx.AppendString(b, unsafe.String(unsafe.SliceData(g.content), len(g.content)))
	case "openim_conversation_id":
		t := g.sibInt(sib, p.idSessionType)
		if t == 0 {
			t = g.sibInt(sib, p.idConversationType)
		}
		if t == 0 && f.h.Min != nil {
			t = int64(*f.h.Min)
		}
		if t == 0 {
			t = int64(1 + 2*g.rng.IntN(2))
		}
		if t == 1 || t == 4 {
			// openim_id values have ten digits: comparing the numbers
			// orders them as gen.derived's string comparison does.
			a := 1_000_000_000 + g.rng.Int64N(8_999_999_999)
			c := 1_000_000_000 + g.rng.Int64N(8_999_999_999)
			a, c = min(a, c), max(a, c)
			if t == 4 {
				b = append(b, `"sn_`...)
			} else {
				b = append(b, `"si_`...)
			}
			b = strconv.AppendInt(b, a, 10)
			b = append(b, '_')
			b = strconv.AppendInt(b, c, 10)
			return append(b, '"')
		}
		b = append(b, `"sg_`...)
		b = g.openIMID(b)
		return append(b, '"')
	case "openim_json_ex":
		if g.rng.IntN(2) == 0 {
			return append(b, `""`...)
		}
		b = append(b, `"{\"source\":\"`...)
		b = g.pick(b, jsonSources)
		b = append(b, `\",\"v\":`...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(3)), 10)
		return append(b, `}"`...)
	case "user_id":
		b = g.pick(b, qUserNames)
		if g.rng.IntN(3) == 0 {
			b = strconv.AppendInt(b, int64(g.rng.IntN(1000)), 10)
		}
		return append(b, '"')
	case "group_id":
		b = append(b, `"@TGS#`...)
		b = g.pick(b, groupTypes)
		b = g.chars(b, upperAlnum, 8)
		return append(b, '"')
	case "openim_id":
		b = append(b, '"')
		b = g.openIMID(b)
		return append(b, '"')
	case "text":
		b = g.pick(b, qTexts)
		return append(b, '"')
	case "place":
		b = g.pick(b, qPlaces)
		return append(b, '"')
	case "uuid":
		b = append(b, '"')
		b = g.chars(b, "0123456789abcdef", 32)
		return append(b, '"')
	case "media_url":
		b = append(b, `"https://cos.ap-`...)
		b = g.pick(b, cosRegions)
		b = append(b, ".myqcloud.com/"...)
		b = g.chars(b, "0123456789abcdef", 32)
		return append(b, '"')
	case "file_name":
		b = g.pick(b, qFileNames)
		return append(b, '"')
	case "custom_data":
		b = append(b, `"{\"businessID\":\"`...)
		b = g.pick(b, businessIDs)
		b = append(b, `\",\"id\":\"`...)
		b = g.chars(b, upperAlnum, 10)
		b = append(b, `\",\"v\":`...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(3)), 10)
		return append(b, `}"`...)
	}
	b = g.pick(b, qWords)
	return append(b, '"')
}
