// Command backend is a small backend for Tencent Cloud Chat third-party
// callbacks, for imhook's "first five minutes" (README.md): it answers every
// callback, and refuses a message that contains a banned word. It uses the
// standard library only. It has one bug; imhook finds it.
//
//	go run ./examples/backend            # listens on http://127.0.0.1:8080/im
//	go run ./examples/backend -addr 127.0.0.1:9090
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log.Printf("listening on http://%s/im", *addr)
	log.Fatal(http.ListenAndServe(*addr, handler()))
}

// bannedWords are refused in messages (before-send callbacks).
var bannedWords = []string{"spam", "scam"}

// message is what the backend reads of a callback: its message elements.
type message struct {
	MsgBody []struct {
		MsgType    string `json:"MsgType"`
		MsgContent struct {
			Text string `json:"Text"`
		} `json:"MsgContent"`
	} `json:"MsgBody"`
}

// handler answers the callbacks Tencent Cloud Chat sends to /im: the
// command is in the query (CallbackCommand), the body is JSON.
func handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /im", func(w http.ResponseWriter, r *http.Request) {
		var msg message
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			answer(w, "FAIL", 1, "the body is not JSON")
			return
		}
		switch r.URL.Query().Get("CallbackCommand") {
		case "C2C.CallbackBeforeSendMsg", "Group.CallbackBeforeSendMsg":
			for _, el := range msg.MsgBody {
				if el.MsgType == "TIMTextElem" && banned(el.MsgContent.Text) {
					answer(w, "OK", 1, "the message contains a banned word")
					return
				}
			}
		}
		answer(w, "OK", 0, "")
	})
	return mux
}

func banned(text string) bool {
	text = strings.ToLower(text)
	for _, w := range bannedWords {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// answer writes the reply Tencent Cloud Chat expects: ActionStatus,
// ErrorCode and ErrorInfo.
func answer(w http.ResponseWriter, status string, code int, info string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"ActionStatus": status,
		"ErrorCode":    errorCode(code),
		"ErrorInfo":    info,
	})
}

// errorCode is the reply's ErrorCode.
var errorCode = func(code int) any {
	return strconv.Itoa(code)
}
