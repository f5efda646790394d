package simulate

import (
	"encoding/json"
	"strconv"

	"github.com/imhook/imhook/fixtures"
)

// openIMPlatforms is constant.PlatformIDToName of openimsdk/protocol.
var openIMPlatforms = map[int64]string{1: "IOS", 2: "Android", 3: "Windows", 4: "OSX", 5: "Web", 6: "MiniWeb", 7: "Linux", 8: "APad", 9: "IPad", 10: "Admin", 11: "HarmonyOS"}

// derived generates the string kinds whose value depends on sibling fields
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
func (g *gen) derived(h *fixtures.Gen, siblings obj) (string, bool) {
	switch h.Kind {
	case "msg_key":
		return strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "_" + strconv.FormatUint(uint64(g.rng.Uint32()), 10) + "_" +
			strconv.FormatInt(g.now.Unix()-g.rng.Int64N(3600), 10), true
	case "tencent_msg_id":
		t, r := siblingInt(siblings, "MsgTime"), siblingInt(siblings, "MsgRandom")
		if t == 0 {
			t = g.now.Unix() - g.rng.Int64N(300)
		}
		if r == 0 {
			r = int64(g.rng.Uint32())
		}
		return "1441152" + g.chars("0123456789", 11) + "-" + strconv.FormatInt(t, 10) + "-" + strconv.FormatInt(r, 10), true
	case "openim_platform":
		return openIMPlatforms[siblingInt(siblings, "platformID")], true
	case "openim_content":
		return g.openIMContent(siblingInt(siblings, "contentType")), true
	case "openim_conversation_id":
		t := siblingInt(siblings, "sessionType")
		if t == 0 {
			t = siblingInt(siblings, "conversationType")
		}
		if t == 0 && h.Min != nil {
			t = int64(*h.Min) // the conversation type, when the siblings come later
		}
		if t == 0 {
			t = int64(1 + 2*g.rng.IntN(2))
		}
		if t == 1 || t == 4 {
			a, b := g.str("openim_id"), g.str("openim_id")
			if a > b {
				a, b = b, a
			}
			if t == 4 {
				return "sn_" + a + "_" + b, true
			}
			return "si_" + a + "_" + b, true
		}
		return "sg_" + g.str("openim_id"), true
	case "openim_json_ex":
		if g.rng.IntN(2) == 0 {
			return "", true
		}
		return `{"source":"` + g.pick([]string{"app", "web", "admin", "bot"}) + `","v":` + strconv.Itoa(1+g.rng.IntN(3)) + `}`, true
	}
	return "", false
}

func siblingInt(o obj, name string) int64 {
	switch v := o.get(name).(type) {
	case int64:
		return v
	case json.RawMessage:
		var n int64
		_ = json.Unmarshal(v, &n)
		return n
	}
	return 0
}

// openIMContent is the content JSON of an OpenIM message of the content type
// (the SDK's element shapes: TextElem, PictureElem, SoundElem, VideoElem,
// FileElem, AtElem, LocationElem, CustomElem, QuoteElem), marshalled as the
// server puts it in the callback's content string.
func (g *gen) openIMContent(contentType int64) string {
	url := func() string {
		return "https://s3.openim.example/openim/" + g.chars("0123456789abcdef", 24)
	}
	pic := func(w, h int) map[string]any {
		return map[string]any{"uuid": g.str("uuid"), "type": "image/jpeg", "size": 20000 + g.rng.IntN(2_000_000), "width": w, "height": h, "url": url()}
	}
	var v any
	switch contentType {
	case 102:
		w, h := 640+g.rng.IntN(3000), 480+g.rng.IntN(3000)
		v = map[string]any{"sourcePath": "", "sourcePicture": pic(w, h), "bigPicture": pic(w, h), "snapshotPicture": pic(w/4, h/4)}
	case 103:
		v = map[string]any{"uuid": g.str("uuid"), "soundPath": "", "sourceUrl": url(), "dataSize": 2000 + g.rng.IntN(400_000), "duration": 1 + g.rng.IntN(60)}
	case 104:
		v = map[string]any{"videoPath": "", "videoUUID": g.str("uuid"), "videoUrl": url(), "videoType": "mp4", "videoSize": 100_000 + g.rng.IntN(50_000_000), "duration": 1 + g.rng.IntN(300),
			"snapshotPath": "", "snapshotUUID": g.str("uuid"), "snapshotSize": 5000 + g.rng.IntN(200_000), "snapshotUrl": url(), "snapshotWidth": 320, "snapshotHeight": 568}
	case 105:
		v = map[string]any{"filePath": "", "uuid": g.str("uuid"), "sourceUrl": url(), "fileName": g.str("file_name"), "fileSize": 1000 + g.rng.IntN(20_000_000)}
	case 106:
		id := g.str("openim_id")
		v = map[string]any{"text": "@" + id + " " + g.str("text"), "atUserList": []string{id}, "isAtSelf": false}
	case 109:
		v = map[string]any{"description": g.str("place"), "longitude": 100 + g.rng.Float64()*22, "latitude": 18 + g.rng.Float64()*27}
	case 110, 119, 120:
		v = map[string]any{"data": g.str("custom_data"), "description": "", "extension": ""}
	case 114:
		v = map[string]any{"text": g.str("text"), "quoteMessage": map[string]any{"clientMsgID": g.chars("0123456789abcdef", 32), "contentType": 101, "textElem": map[string]any{"content": g.str("text")}}}
	default:
		v = map[string]any{"content": g.str("text")}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
