// Package testbackend is a backend for both platforms' callbacks with
// faults that can be planted one at a time, the kinds real teams make: the
// test of imhook check (internal/check, cmd) runs the check against it,
// correct and with each fault, and holds the check to finding each in the
// part that should. It is a backend like any other: it uses the standard
// library only and knows nothing of imhook.
//
// Tencent Cloud Chat callbacks arrive at /im (the command in the
// CallbackCommand query value, the app in SdkAppid, Sign and RequestTime
// when a token is set); OpenIM callbacks at /openim/{command}.
package testbackend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is a planted fault.
type Fault string

// The faults.
const (
	// Correct: no fault.
	Correct Fault = ""
	// Starvation: the one-to-one after-send handler holds a connection
	// from a pool of 5 (a database's) for 20 ms for each callback; one
	// that finds none free within 5 ms is answered 500 (pool exhausted).
	// One callback at a time never notices; six at once always do, on a
	// machine too busy to start sixty within a few milliseconds too.
	Starvation Fault = "starvation"
	// ConversationState: a read report of a conversation the backend has
	// seen messages of crashes its unread counter (500).
	ConversationState Fault = "conversation-state"
	// NonText: the one-to-one after-send handler takes every message
	// element for a text and crashes (500) on any other type.
	NonText Fault = "non-text-element"
	// SecondDelivery: the one-to-one after-send handler stores each
	// message under its MsgKey and fails (500, a unique key violation) on
	// a second delivery of the same message.
	SecondDelivery Fault = "second-delivery"
	// BOM: the one-to-one before-send reply starts with a UTF-8 byte-order
	// mark (a serializer's), which the platform cannot parse.
	BOM Fault = "bom"
	// AppID: the app ID is checked only when the signature is not valid,
	// so a validly signed callback for another app is accepted.
	AppID Fault = "app-id"
)

// Faults lists the faults.
var Faults = []Fault{Starvation, ConversationState, NonText, SecondDelivery, BOM, AppID}

// Config is what the backend checks, and its fault.
type Config struct {
	// SdkAppID is the app the backend serves; Token the callback token
	// ("" checks no signature).
	SdkAppID, Token string
	Fault           Fault
}

// New returns the backend's handler.
func New(c Config) http.Handler {
	b := &backend{Config: c, pool: make(chan struct{}, 5), seen: map[string]bool{}, talks: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /im", b.recovered(b.cloudChat))
	mux.HandleFunc("POST /openim/{command}", b.recovered(b.openServer))
	return mux
}

type backend struct {
	Config
	pool chan struct{}
	mu   sync.Mutex
	seen map[string]bool // MsgKeys stored
	// talks are the conversations with messages, by "a|b" of the two
	// accounts in order.
	talks map[string]bool
}

// recovered answers 500 when a handler crashes, as a web framework does.
func (b *backend) recovered(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				http.Error(w, fmt.Sprintf("internal server error: %v", v), http.StatusInternalServerError)
			}
		}()
		h(w, r)
	}
}

func chatAnswer(w http.ResponseWriter, bom bool, status string, code int, info string) {
	w.Header().Set("Content-Type", "application/json")
	if bom {
		io.WriteString(w, "\ufeff")
	}
	json.NewEncoder(w).Encode(map[string]any{"ActionStatus": status, "ErrorCode": code, "ErrorInfo": info})
}

// signed reports a valid Sign for RequestTime within a minute of now.
func (b *backend) signed(q map[string][]string) bool {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	t, err := strconv.ParseInt(get("RequestTime"), 10, 64)
	if err != nil || time.Since(time.Unix(t, 0)).Abs() > time.Minute {
		return false
	}
	sum := sha256.Sum256([]byte(b.Token + get("RequestTime")))
	return hex.EncodeToString(sum[:]) == get("Sign")
}

func (b *backend) cloudChat(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	signed := b.Token == "" || b.signed(q)
	app := b.SdkAppID == "" || q.Get("SdkAppid") == b.SdkAppID
	if b.Fault == AppID && b.Token != "" && signed {
		app = true // the fault: a valid signature is taken as enough
	}
	if !signed || !app {
		chatAnswer(w, false, "FAIL", 1, "not for this app, or not signed")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		chatAnswer(w, false, "FAIL", 1, "the body is not a JSON object")
		return
	}
	cmd := q.Get("CallbackCommand")
	switch cmd {
	case "C2C.CallbackAfterSendMsg":
		if err := b.afterSend(body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	case "C2C.CallbackAfterMsgReport":
		if b.Fault == ConversationState {
			from, _ := body["Report_Account"].(string)
			to, _ := body["Peer_Account"].(string)
			b.mu.Lock()
			known := b.talks[pair(from, to)]
			b.mu.Unlock()
			if known {
				var unread []int
				_ = unread[len(from)] // the counter of a conversation it knows: out of range
			}
		}
	}
	chatAnswer(w, b.Fault == BOM && cmd == "C2C.CallbackBeforeSendMsg", "OK", 0, "")
}

func pair(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

// afterSend stores a one-to-one message.
func (b *backend) afterSend(body map[string]any) error {
	if b.Fault == Starvation {
		select {
		case b.pool <- struct{}{}:
			defer func() { <-b.pool }()
		case <-time.After(5 * time.Millisecond):
			return fmt.Errorf("connection pool exhausted (5 of 5 in use)")
		}
		time.Sleep(20 * time.Millisecond) // the query
	}
	if b.Fault == NonText {
		els, _ := body["MsgBody"].([]any)
		for _, el := range els {
			_ = el.(map[string]any)["MsgContent"].(map[string]any)["Text"].(string)
		}
	}
	from, _ := body["From_Account"].(string)
	to, _ := body["To_Account"].(string)
	key, _ := body["MsgKey"].(string)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.talks[pair(from, to)] = true
	if b.Fault == SecondDelivery && key != "" && b.seen[key] {
		return fmt.Errorf("duplicate key value violates unique constraint \"messages_msg_key\": %s", key)
	}
	if len(b.seen) < 100_000 {
		b.seen[key] = true
	}
	return nil
}

// openServer answers every OpenIM callback: continue, or a refusal of a body
// that is not a JSON object.
func (b *backend) openServer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var body map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		io.WriteString(w, `{"actionCode":1,"errCode":1001,"errMsg":"the body is not a JSON object","errDlt":"","nextCode":0}`)
		return
	}
	if !strings.HasPrefix(r.PathValue("command"), "callback") {
		http.NotFound(w, r)
		return
	}
	switch r.PathValue("command") {
	case "callbackBeforeSetGroupInfoCommand", "callbackBeforeSetGroupInfoExCommand":
		// The server copies the group's fields back from the reply: echo
		// them, or the update loses them.
		reply := map[string]any{}
		for k, v := range body {
			if k != "callbackCommand" && k != "operationID" {
				reply[k] = v
			}
		}
		for k, v := range map[string]any{"actionCode": 0, "errCode": 0, "errMsg": "", "errDlt": "", "nextCode": 0} {
			reply[k] = v
		}
		json.NewEncoder(w).Encode(reply)
		return
	}
	io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
}
