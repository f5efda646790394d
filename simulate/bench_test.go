package simulate

import (
	"github.com/imhook/imhook/fixtures/generate"
	"testing"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
)

func BenchmarkGenerate(b *testing.B) {
	for _, e := range fixtures.Default().Entries() {
		b.Run(e.Command, func(b *testing.B) {
			b.ReportAllocs()
			now := time.Now()
			var i uint64
			defer reportCPU(b)()
			for b.Loop() {
				i++
				if _, err := generate.Generate(e, generate.GenOptions{Seed: i, Now: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendGenerate is generation as a load worker does it: each
// C2C.CallbackAfterSendMsg payload (seeded with its index) into one
// reused buffer, so no allocation and no collection; BenchmarkGenerate's
// bodies are each one of their own.
func BenchmarkAppendGenerate(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	b.ReportAllocs()
	now := time.Now()
	var buf []byte
	var i uint64
	defer reportCPU(b)()
	for b.Loop() {
		i++
		var err error
		if buf, err = generate.AppendGenerate(buf[:0], e, generate.GenOptions{Seed: i, Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	e, _, _ := fixtures.Default().Lookup("C2C.CallbackAfterSendMsg")
	body, _ := generate.Generate(e, generate.GenOptions{Seed: 1})
	for _, token := range []string{"xxxxyyyy", ""} {
		name := "token"
		if token == "" {
			name = "no_token"
		}
		b.Run(name, func(b *testing.B) {
			s := &Sender{Target: "http://127.0.0.1:9000/im/callback", Params: platform.Params{Token: token}}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := s.Build(Callback{Entry: e, Body: body}); err != nil {
					b.Fatal(err)
				}
			}
		})
		// What a load worker does: its prepared request (prepared.go) and
		// the request's bytes.
		b.Run(name+"/prepared", func(b *testing.B) {
			s := &Sender{Target: "http://127.0.0.1:9000/im/callback", Params: platform.Params{Token: token}}
			cc := newConnClient(nil, nil)
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				x, err := s.buildPrepared(&Callback{Entry: e, Body: body}, cc)
				if err != nil || x.prep == nil {
					b.Fatal(err)
				}
				cc.encodePrepared(x.prep, x.body)
			}
		})
	}
}

func BenchmarkJudgeReply(b *testing.B) {
	for _, tc := range []struct {
		v    platform.Vendor
		body string
	}{
		{platform.Tencent, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`},
		{platform.OpenIM, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`},
	} {
		b.Run(tc.v.Name(), func(b *testing.B) {
			r := platform.Reply{Status: 200, Body: []byte(tc.body), Latency: time.Millisecond}
			j := platform.Judging{Kind: fixtures.After, PayloadValid: true, Budget: 2 * time.Second}
			b.ReportAllocs()
			for b.Loop() {
				if fs, o := tc.v.JudgeReply(r, j); len(fs) != 0 || o == "" {
					b.Fatal(fs)
				}
			}
		})
	}
}
