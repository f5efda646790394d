package generate

import (
	"encoding/json"
	"strconv"
)

// openIMContent for plans: the same draws as gen.openIMContent, the JSON
// that json.Marshal makes of its maps (keys sorted, HTML-escaped strings),
// written without maps or reflection.

// marshalString quotes s as json.Marshal does (HTML characters escaped),
// as the Go server's encoder writes OpenIM content.
func marshalString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

var (
	jTexts     = quoteWith(texts, marshalString)
	jPlaces    = quoteWith(places, marshalString)
	jFileNames = quoteWith(fileNames, marshalString)
)

const (
	hexDigits   = "0123456789abcdef"
	openIMFiles = "https://s3.openim.example/openim/"
)

type hex32 [32]byte
type hex24 [24]byte

func (g *planGen) hex32() (h hex32) {
	for i := range h {
		h[i] = hexDigits[g.rng.IntN(16)]
	}
	return h
}

func (g *planGen) hex24() (h hex24) {
	for i := range h {
		h[i] = hexDigits[g.rng.IntN(16)]
	}
	return h
}

func appendURL(b []byte, h hex24) []byte {
	b = append(b, '"')
	b = append(b, openIMFiles...)
	b = append(b, h[:]...)
	return append(b, '"')
}

func appendHex(b []byte, h []byte) []byte {
	b = append(b, '"')
	b = append(b, h...)
	return append(b, '"')
}

func appendKeyInt(b []byte, key string, v int) []byte {
	b = append(b, key...)
	return strconv.AppendInt(b, int64(v), 10)
}

// jsonFloat is encoding/json's form of a float64 that needs no exponent.
func jsonFloat(b []byte, f float64) []byte {
	if f != 0 && (f < 1e-6 && f > -1e-6 || f >= 1e21 || f <= -1e21) {
		x, _ := json.Marshal(f)
		return append(b, x...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

type pic struct {
	uuid hex32
	size int
	url  hex24
	w, h int
}

func (g *planGen) pic(w, h int) pic {
	p := pic{w: w, h: h}
	p.uuid = g.hex32()
	p.size = 20000 + g.rng.IntN(2_000_000)
	p.url = g.hex24()
	return p
}

func appendPic(b []byte, p pic) []byte {
	b = appendKeyInt(b, `{"height":`, p.h)
	b = appendKeyInt(b, `,"size":`, p.size)
	b = append(b, `,"type":"image/jpeg","url":`...)
	b = appendURL(b, p.url)
	b = append(b, `,"uuid":`...)
	b = appendHex(b, p.uuid[:])
	b = appendKeyInt(b, `,"width":`, p.w)
	return append(b, '}')
}

func (g *planGen) jText(b []byte) []byte {
	b = append(b, jTexts[g.rng.IntN(len(jTexts))]...)
	return append(b, '"')
}

// appendOpenIMContent appends the content JSON (unquoted) for contentType.
func (g *planGen) appendOpenIMContent(b []byte, contentType int64) []byte {
	switch contentType {
	case 102:
		w, h := 640+g.rng.IntN(3000), 480+g.rng.IntN(3000)
		src := g.pic(w, h)
		big := g.pic(w, h)
		snap := g.pic(w/4, h/4)
		b = append(b, `{"bigPicture":`...)
		b = appendPic(b, big)
		b = append(b, `,"snapshotPicture":`...)
		b = appendPic(b, snap)
		b = append(b, `,"sourcePath":"","sourcePicture":`...)
		b = appendPic(b, src)
		return append(b, '}')
	case 103:
		uuid := g.hex32()
		url := g.hex24()
		size := 2000 + g.rng.IntN(400_000)
		dur := 1 + g.rng.IntN(60)
		b = appendKeyInt(b, `{"dataSize":`, size)
		b = appendKeyInt(b, `,"duration":`, dur)
		b = append(b, `,"soundPath":"","sourceUrl":`...)
		b = appendURL(b, url)
		b = append(b, `,"uuid":`...)
		b = appendHex(b, uuid[:])
		return append(b, '}')
	case 104:
		vUUID := g.hex32()
		vURL := g.hex24()
		vSize := 100_000 + g.rng.IntN(50_000_000)
		dur := 1 + g.rng.IntN(300)
		sUUID := g.hex32()
		sSize := 5000 + g.rng.IntN(200_000)
		sURL := g.hex24()
		b = appendKeyInt(b, `{"duration":`, dur)
		b = append(b, `,"snapshotHeight":568,"snapshotPath":""`...)
		b = appendKeyInt(b, `,"snapshotSize":`, sSize)
		b = append(b, `,"snapshotUUID":`...)
		b = appendHex(b, sUUID[:])
		b = append(b, `,"snapshotUrl":`...)
		b = appendURL(b, sURL)
		b = append(b, `,"snapshotWidth":320,"videoPath":""`...)
		b = appendKeyInt(b, `,"videoSize":`, vSize)
		b = append(b, `,"videoType":"mp4","videoUUID":`...)
		b = appendHex(b, vUUID[:])
		b = append(b, `,"videoUrl":`...)
		b = appendURL(b, vURL)
		return append(b, '}')
	case 105:
		uuid := g.hex32()
		url := g.hex24()
		name := jFileNames[g.rng.IntN(len(jFileNames))]
		size := 1000 + g.rng.IntN(20_000_000)
		b = append(b, `{"fileName":`...)
		b = append(b, name...)
		b = append(b, `","filePath":""`...)
		b = appendKeyInt(b, `,"fileSize":`, size)
		b = append(b, `,"sourceUrl":`...)
		b = appendURL(b, url)
		b = append(b, `,"uuid":`...)
		b = appendHex(b, uuid[:])
		return append(b, '}')
	case 106:
		id := 1_000_000_000 + g.rng.Int64N(8_999_999_999)
		text := jTexts[g.rng.IntN(len(jTexts))]
		b = append(b, `{"atUserList":["`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, `"],"isAtSelf":false,"text":"@`...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, ' ')
		b = append(b, text[1:]...)
		return append(b, `"}`...)
	case 109:
		place := jPlaces[g.rng.IntN(len(jPlaces))]
		lon := 100 + g.rng.Float64()*22
		lat := 18 + g.rng.Float64()*27
		b = append(b, `{"description":`...)
		b = append(b, place...)
		b = append(b, `","latitude":`...)
		b = jsonFloat(b, lat)
		b = append(b, `,"longitude":`...)
		b = jsonFloat(b, lon)
		return append(b, '}')
	case 110, 119, 120:
		// custom_data, as json.Marshal quotes it.
		b = append(b, `{"data":"{\"businessID\":\"`...)
		b = g.pick(b, businessIDs)
		b = append(b, `\",\"id\":\"`...)
		b = g.chars(b, upperAlnum, 10)
		b = append(b, `\",\"v\":`...)
		b = strconv.AppendInt(b, int64(1+g.rng.IntN(3)), 10)
		return append(b, `}","description":"","extension":""}`...)
	case 114:
		text := jTexts[g.rng.IntN(len(jTexts))]
		id := g.hex32()
		quoted := jTexts[g.rng.IntN(len(jTexts))]
		b = append(b, `{"quoteMessage":{"clientMsgID":`...)
		b = appendHex(b, id[:])
		b = append(b, `,"contentType":101,"textElem":{"content":`...)
		b = append(b, quoted...)
		b = append(b, `"}},"text":`...)
		b = append(b, text...)
		return append(b, `"}`...)
	}
	b = append(b, `{"content":`...)
	b = g.jText(b)
	return append(b, '}')
}
