package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// benchBody is the callback body of the serve benchmark (bench/serve.sh):
// C2C.CallbackAfterSendMsg, seed 1.
const benchBody = `{"CallbackCommand":"C2C.CallbackAfterSendMsg","From_Account":"li_lei683","To_Account":"alice","MsgSeq":717861086,"MsgRandom":2767791155,"MsgTime":1767225404,"MsgKey":"717861086_2767791155_1767225404","SendMsgResult":0,"ErrorInfo":"send msg succeed","UnreadMsgNum":71,"MsgBody":[{"MsgType":"TIMSoundElem","MsgContent":{"Url":"https://cos.ap-singapore.myqcloud.com/b95dd4c7a152f73b6d9126624276254e","UUID":"46e24386bb76fe7d9fa24819800646a1","Size":8946,"Second":14}}]}`

// benchRecord is a record as serve --record writes it for a good callback.
func benchRecord() *Record {
	return &Record{
		Time: time.Date(2026, 11, 22, 6, 30, 1, 234567891, time.UTC), Vendor: "tencent", Command: "C2C.CallbackAfterSendMsg",
		Request: &Message{Method: "POST",
			URL: "http://127.0.0.1:9302/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS",
			Headers: http.Header{"Content-Type": {"application/json"}, "Content-Length": {"467"}, "User-Agent": {"Go-http-client/1.1"},
				"Accept-Encoding": {"gzip"}},
			Body: []byte(benchBody), BodyIsJSON: true},
		Response: &Message{Status: 200, Headers: http.Header{"Content-Type": {"application/json"}},
			Body: []byte(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`), LatencyMS: 0.012, BodyIsJSON: true},
		Findings: []Finding{},
		Outcome:  "ok",
		Verdict:  Pass,
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	r := benchRecord()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], r)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkWriterParallel writes records to a real file from 64 goroutines,
// as serve --record does under a load of 64 connections, and reports the
// records per write(2); in "work", each goroutine also spends about as much
// CPU between records as serve does on a callback.
func BenchmarkWriterParallel(b *testing.B) {
	b.Run("bare", func(b *testing.B) { benchWriterParallel(b, 0) })
	b.Run("work", func(b *testing.B) { benchWriterParallel(b, 8) })
}

func benchWriterParallel(b *testing.B, work int) {
	path := filepath.Join(b.TempDir(), "rec.jsonl")
	w, err := OpenFile(path)
	if err != nil {
		b.Fatal(err)
	}
	cw := &countingFile{f: w.w}
	w.w = cw
	r := benchRecord()
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf []byte
		for pb.Next() {
			for i := 0; i < work; i++ { // about 1.5 µs each
				buf = AppendJSON(buf[:0], r)
			}
			if err := w.Write(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	if cw.writes > 0 {
		b.ReportMetric(float64(b.N)/float64(cw.writes), "records/write")
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	os.Remove(path)
}

type countingFile struct {
	f      io.Writer
	mu     sync.Mutex
	writes int
}

func (c *countingFile) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.f.Write(p)
}

// equivalenceRecords are records of many shapes: headers of every size
// (including more than fit the encoder's stack arrays), escapes, non-ASCII
// and invalid UTF-8, nil and empty maps, bodies with whitespace inside and
// outside strings, times across the representable years.
func equivalenceRecords() []*Record {
	bodies := []string{benchBody, "", " ", "\n", `{}`, `[]`, `null`, `"str"`, `1`, ` {"a" : 1 } `, "{\n\t\"a\": \"x y\\\" z\",\r\n \"b\":[1, 2]}",
		`{"a":"\u00e9 ü \\ \"q\""}`, `{"a":"tab	in"}`, "<html>\x00\xff\u2028", "not json \"quoted\" \\ \t", `{"a":1`, `{"a":"\\"}`, `{"k":"\"}`, "\xef\xbb\xbf{}",
		`{"a" :[ {"b" : "c d" } , 2 ] }`, `[1,2, 3 ]`, "\t\"a b\"\t"}
	headerSets := []http.Header{nil, {}, {"Content-Type": {"application/json"}},
		{"X": {"1", "2"}, "A": {""}, "Zz": nil, "B": {}, "É": {"ü\u2028\x01"}, "Bad\xff": {"\xff\xfe"}, "Q\"k": {"v\\\"\n\r\t"}},
		{"b": {"1"}, "B": {"2"}, "a": {"3"}, "A": {"4"}, "_": {"5"}, "0": {"6"}, "~": {"7"}, "": {"8"}},
	}
	big := http.Header{}
	for i := 0; i < 40; i++ {
		big[fmt.Sprintf("X-H%02d-%c", 40-i, 'a'+i%26)] = []string{fmt.Sprint(i), "x"}
	}
	headerSets = append(headerSets, big)
	mid := http.Header{}
	for i := 0; i < 16; i++ {
		mid[fmt.Sprintf("K%x", 15-i)] = []string{"v"}
	}
	headerSets = append(headerSets, mid)
	times := []time.Time{{}, time.Unix(0, 0), time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("X", 8*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(999, 12, 31, 23, 59, 59, 999e6, time.UTC), time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 5e5, time.FixedZone("Y", -3600*7-1800)), time.Now(), time.Now().Local()}
	latencies := []float64{0, 0.001, 0.012, 1.84, 1234.567, 1e-7, 123456789.125, -2.5, math.MaxFloat64, 1e21, 0.1 + 0.2}
	var out []*Record
	i := 0
	for _, b := range bodies {
		for j, h := range headerSets {
			i++
			t := times[i%len(times)]
			r := &Record{Time: t, Vendor: "tencent", Command: "C2C.X\"é",
				Request: &Message{Method: "POST", URL: "http://h/?a=1&b=<2>&c=%E4", Headers: h, Body: []byte(b), BodyIsJSON: j%2 == 0 && json.Valid(bytes.TrimSpace([]byte(b)))},
				Verdict: Pass}
			switch i % 4 {
			case 0:
				r.Response = &Message{Status: 200, Headers: headerSets[(j+1)%len(headerSets)], Body: []byte(b), LatencyMS: latencies[i%len(latencies)]}
				r.Findings = []Finding{{Severity: Error, Rule: "response.type", Path: "ErrorCode", Message: "expected \"an integer\"\n"}, {Severity: Info, Rule: "r", Message: "\u2029"}}
				r.Outcome = "ok"
			case 1:
				r.Error = "refused \x7f"
				r.Verdict = NoReply
			case 2:
				r.Request = nil
				r.Response = &Message{Status: 599, Body: []byte(b), LatencyMS: latencies[(i+3)%len(latencies)], BodyIsJSON: json.Valid(bytes.TrimSpace([]byte(b)))}
				r.Verdict = ""
			case 3:
				r.Findings = []Finding{}
			}
			out = append(out, r)
		}
	}
	return out
}

// AppendJSON writes exactly the bytes the encoder of b0a9e81 wrote.
func TestAppendJSONMatchesLegacy(t *testing.T) {
	for i, r := range equivalenceRecords() {
		got, want := AppendJSON([]byte("prefix"), r), legacyAppendJSON([]byte("prefix"), r)
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, want)
		}
		m, err := r.MarshalJSON()
		if err != nil || !bytes.Equal(m, want[len("prefix"):]) {
			t.Fatalf("record %d: MarshalJSON differs: %s", i, m)
		}
	}
}

// The time is written as AppendFormat writes it, whatever the instant.
func TestAppendTimeMatchesFormat(t *testing.T) {
	check := func(tm time.Time) {
		t.Helper()
		got := appendTime(nil, tm)
		want := tm.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		if !bytes.Equal(got, want) {
			t.Fatalf("%v (unix %d, %d ns): got %s, want %s", tm, tm.Unix(), tm.Nanosecond(), got, want)
		}
	}
	for _, tm := range equivalenceRecords() {
		check(tm.Time)
	}
	check(time.Time{})
	check(time.Unix(math.MaxInt64/2, 0))
	check(time.Unix(math.MinInt64/2, 0))
	// Every day boundary of the years near 0, 1970, 2000 and 9999, one
	// day in 97 in between, and random instants.
	start := time.Date(-2, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := start; d.Year() <= 10001; {
		check(d)
		check(d.Add(-time.Nanosecond))
		check(d.Add(12*time.Hour + 34*time.Minute + 56*time.Second + 789*time.Millisecond + 999))
		if y := d.Year(); y < 3 || y >= 1968 && y < 1972 || y >= 1999 && y < 2101 || y > 9997 {
			d = d.AddDate(0, 0, 1)
		} else {
			d = d.AddDate(0, 0, 97)
		}
	}
	seed := uint64(1)
	for i := 0; i < 100000; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		check(time.Unix(int64(seed>>1)%(400*365*86400)-200*365*86400+1700000000, int64(seed%1e9)))
	}
}

// The latency is written as AppendFloat(ms, 'f', -1, 64) writes it.
func TestAppendLatencyMatchesAppendFloat(t *testing.T) {
	check := func(ms float64) {
		t.Helper()
		got, want := appendLatency(nil, ms), strconv.AppendFloat(nil, ms, 'f', -1, 64)
		if !bytes.Equal(got, want) {
			t.Fatalf("%v (%b): got %s, want %s", ms, math.Float64bits(ms), got, want)
		}
	}
	for us := int64(0); us < 1_000_000; us++ {
		check(float64(us) / 1000)
	}
	for _, ms := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), -1.5, 1 << 33, 1<<33 - 0.001, 1<<33 + 0.5, math.MaxFloat64,
		math.SmallestNonzeroFloat64, 1e-4, 0.1 + 0.2, 1.0005, 2.0000000001, float64(1<<43) / 1000, 8589934.591, 8589934591.999} {
		check(ms)
		check(math.Nextafter(ms, 0))
		check(math.Nextafter(ms, math.Inf(1)))
	}
	seed := uint64(7)
	for i := 0; i < 200_000; i++ {
		seed = seed*6364136223846793005 + 1442695040888963407
		us := int64(seed >> 21) // up to 2^43
		check(float64(us) / 1000)
		check(math.Float64frombits(seed >> 1))
		d := time.Duration(seed >> 24)
		check(float64(d.Microseconds()) / 1000)
	}
}

// FuzzAppendJSONMatchesLegacy compares the encoders on arbitrary strings,
// bodies and times.
func FuzzAppendJSONMatchesLegacy(f *testing.F) {
	f.Add("POST", "http://h/?a=1", "Content-Type", "application/json", []byte(benchBody), int64(1767225404), int64(5e8), 1.84, true)
	f.Add("", "", "", "", []byte(" {\"a\" : \"b c\" } "), int64(-62135596800), int64(0), 0.0, false)
	f.Fuzz(func(t *testing.T, method, url, hk, hv string, body []byte, sec, nsec int64, lat float64, isJSON bool) {
		if isJSON && !json.Valid(bytes.TrimSpace(body)) {
			isJSON = false
		}
		h := http.Header{hk: {hv, hk}, hv: {}, "Content-Type": {hv}}
		r := &Record{Time: time.Unix(sec, nsec), Vendor: method, Command: hv,
			Request:  &Message{Method: method, URL: url, Headers: h, Body: body, BodyIsJSON: isJSON},
			Response: &Message{Status: int(nsec % 1000), Headers: http.Header{hv: {url}}, Body: body, LatencyMS: lat},
			Findings: []Finding{{Severity: Severity(hk), Rule: hv, Path: url, Message: method}}, Outcome: Outcome(hk), Verdict: Verdict(hv)}
		got, want := AppendJSON(nil, r), legacyAppendJSON(nil, r)
		if !bytes.Equal(got, want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}
