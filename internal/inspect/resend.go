package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/stream"
	"github.com/imhook/imhook/record"
	"github.com/imhook/imhook/replay"
	"github.com/imhook/imhook/simulate"
)

// Resender sends a kept exchange again with replay's code: the recorded
// request rebuilt by the vendor's rules, with its recorded query values,
// signature and operationID, and the reply judged by the contract.
type Resender struct {
	// Client sends (simulate.NewClient, with the TLS settings to use).
	Client *http.Client
	// DefaultTarget is the target the page offers (serve's --forward-to
	// backend, or serve itself).
	DefaultTarget string
	// Token is the callback token for a fresh signature (replay --resign);
	// empty means the page cannot ask for one. It is never shown.
	Token string
	// Timeout overrides the platform's budget when not zero.
	Timeout time.Duration
	// Words and ReplayWords name the settings that findings' advice
	// points to (nil: the libraries' own).
	Words       *simulate.Words
	ReplayWords *replay.Words
}

// ResendRequest is the body of POST /api/exchanges/{id}/resend.
type ResendRequest struct {
	Target string `json:"target"`
	Resign bool   `json:"resign"`
}

// ResendResult is its answer.
type ResendResult struct {
	// Record is the new exchange; Unreachable says the target could not be
	// reached; Problem is why the record could not be replayed at all.
	Record      *record.Record `json:"record,omitempty"`
	Unreachable bool           `json:"unreachable"`
	Problem     string         `json:"problem,omitempty"`
}

// Resend replays one record (a line of a recording) to target.
func (rs *Resender) Resend(ctx context.Context, raw []byte, target string, resign bool) (ResendResult, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ResendResult{}, fmt.Errorf("the target %q is not an http:// or https:// URL", target)
	}
	if resign && rs.Token == "" {
		return ResendResult{}, errors.New("a fresh signature needs the callback token: start serve with --token (or IMHOOK_TOKEN)")
	}
	client := rs.Client
	if client == nil {
		client = simulate.NewClient(nil)
	}
	o := replay.Options{
		Sender:       &simulate.Sender{Target: target, Timeout: rs.Timeout, Client: client, Params: platform.Params{Token: rs.Token}, Words: rs.Words},
		KeepSdkAppID: true, KeepClientIP: true, KeepOptPlatform: true,
		Resign: resign,
		Words:  rs.ReplayWords,
		Read:   stream.Options{Stdin: bytes.NewReader(append(raw[:len(raw):len(raw)], '\n'))},
	}
	if !resign {
		o.Sender.Params.Token = ""
	}
	var out ResendResult
	replay.Run(ctx, []stream.Source{{Name: "inspector", Size: int64(len(raw))}}, o, func(r replay.Result) bool {
		switch {
		case r.Problem != nil:
			out.Problem = r.Problem.Message
		case r.Record != nil:
			out.Record, out.Unreachable = r.Record, r.Unreachable
		}
		return true
	})
	if out.Record == nil && out.Problem == "" {
		out.Problem = "nothing was sent"
	}
	return out, nil
}

func (in *Inspector) resend(w http.ResponseWriter, r *http.Request) {
	if in.cfg.Resend == nil {
		apiError(w, http.StatusNotFound, "resending is off")
		return
	}
	raw, _, ok := in.id(w, r)
	if !ok {
		return
	}
	var req ResendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "expected {\"target\": URL, \"resign\": bool}: %v", err)
		return
	}
	if req.Target == "" || req.Target == record.RedactURL(in.cfg.Resend.DefaultTarget) {
		// The page shows the default without its user:password@.
		req.Target = in.cfg.Resend.DefaultTarget
	}
	res, err := in.cfg.Resend.Resend(r.Context(), raw, req.Target, req.Resign)
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
