package cmd

import (
	"github.com/spf13/cobra"

	"github.com/imhook/imhook/internal/platform"
)

// helpTopics are the 'imhook help TOPIC' pages: the long explanations that
// the commands' help links to. This file and vendorflags.go are the only
// ones of cmd/ that speak of a vendor by name.
func helpTopics() []*cobra.Command {
	topic := func(use, short, long string) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Long: long}
	}
	return []*cobra.Command{
		topic("environment", "Exit codes and environment variables", topicEnvironment),
		topic("requests", "How each platform builds its requests, and its reply budget", topicRequests),
		topic("outcomes", "What each platform does with a reply: the outcomes, --expect and --respond", topicOutcomes),
		topic("suites", "Suite files: named steps, references and expectations (simulate --suite)", topicSuites),
		topic("probes", "Security and robustness probes (simulate --probe)", topicProbes),
		topic("scenarios", "Generated, consistent sequences of callbacks (simulate --scenario)", topicScenarios),
		topic("load", "Load runs: --count, --duration, --concurrency, --rate, and the summary", topicLoad),
		topic("checks", "What is checked: payloads, replies, requests, records; severities and --strict", topicChecks),
		topic("consistency", "validate --consistency: the story a recording must tell", topicConsistency+platform.ConsistencyDoc()),
		topic("inputs", "What replay, validate and report read: files, JSON Lines, arrays, directories, stdin", topicInputs),
		topic("forward", "serve in front of your backend (--forward-to) and the inspector (--ui)", topicForward),
		topic("tls", "TLS: https targets (--cacert, --insecure, --cert/--key) and serve's certificates", topicTLS),
	}
}

const topicEnvironment = `Exit codes (every command):

  0    every exchange met the contract (warnings allowed); every suite step and probe passed
  1    a contract failure: a reply or payload broke the contract, a reply did not come within
       the platform's budget (--timeout), a suite step's expectation was not met, or a probe
       failed (a forged callback was accepted, bad input got no proper answer)
  2    usage, configuration or input error: a bad flag, an unknown callback, an unreadable
       file, an error in a suite file (the message names the step and the key), a --junit or
       --record file that cannot be written
  3    the target could not be reached at all (connection refused, DNS, TLS): no exchange of
       the run reached it. An exchange that cannot reach the target after others did is a
       failed exchange (1); the run goes on. A run stops at once when its first exchange
       cannot reach the target (the next ones would find the same closed door).
  130  interrupted (SIGINT, SIGTERM or SIGHUP)

What fails, by command: simulate, replay and check fail (1) on an error finding or a missing
reply, and with --strict on warnings too; validate the same for the items it reads. report
and serve take --fail-on error|warning|never: report defaults to error (a recording with a
failed exchange exits 1, as validate would), serve to never (what a platform sends is its
business: the summary and the records say it; --fail-on error makes a CI job that records
traffic exit 1 at the end). A line report cannot read (torn, NUL-filled) is exit 2.

Environment variables:

  IMHOOK_TARGET     the backend's callback URL when --target is not given (simulate, replay):
                    one URL, or VENDOR=URL per vendor separated by commas
                    (tencent=http://127.0.0.1:8080/im,openim=http://127.0.0.1:10006/cb);
                    without either, imhook runs against its built-in receiver
  IMHOOK_SDKAPPID   the Tencent SdkAppid when --sdkappid is not given (simulate, replay; serve
                    refuses callbacks for another app)
  IMHOOK_TOKEN      the Tencent callback authentication token when neither --token nor
                    --token-file is given (simulate and replay sign with it, serve verifies
                    Sign and RequestTime). The token is never printed or written: not in
                    output, records or JUnit reports (only the Sign derived from it travels
                    in the URL)
  IMHOOK_TOKEN_FILE a file holding the token on one line (a trailing newline is dropped), in
                    place of IMHOOK_TOKEN (not both); --token-file FILE is the same as a flag
  IMHOOK_UI_TOKEN   the token serve's inspector (--ui) requires when --ui-token is not given;
                    a non-loopback --ui address needs one. Never printed
  NO_COLOR          any value turns colour off, whatever CLICOLOR_FORCE says (https://no-color.org)
  CLICOLOR_FORCE    a value other than 0 turns colour on, even when the output is not a terminal
  CLICOLOR          0 turns colour off
                    With --color auto (the default) colour is decided per stream: stdout and
                    stderr are coloured only when they are terminals, unless the variables above
                    say otherwise. --color always and --color never override them all.

Suite files (simulate --suite) read the environment too: ${env:VAR|default} in any string of a
step takes VAR's value, or the default when VAR is unset or empty; ${env:VAR} without a default
requires VAR to be set.

Pass the token through the environment (a secret, in CI) or a file rather than with --token,
whose value other processes see in ps:

  IMHOOK_TOKEN=${{ secrets.IM_CALLBACK_TOKEN }} imhook simulate --probe security --target http://127.0.0.1:8080/im
  imhook serve --token-file ~/.config/imhook/token`

const topicRequests = `Tencent: POST {target}?SdkAppid=..&CallbackCommand=..&contenttype=json&ClientIP=..&OptPlatform=..
(with --token also &Sign=hex(sha256(token+RequestTime))&RequestTime=<Unix seconds>). The reply
must be HTTP 200 with {"ActionStatus":"OK"|"FAIL","ErrorCode":<integer>,"ErrorInfo":<string>}
within 2 s; redirects are not followed. The documents show no Content-Type on the request;
imhook sends application/json. Some callbacks' pages show fewer query parameters
(Push.OfflinePush, Push.AllMemberPush, ContentCallback.ResultNotify: SdkAppid, CallbackCommand,
contenttype; Alert.RequestOverLimit: no ClientIP): imhook sends what the page shows.
Retries: Tencent never retries a before-callback; it retries an after-callback whose reply
missed the 2 s budget only when retry on timeout is switched on in its console
(simulate --retry-on-timeout does the same), and delays and retries push callbacks over
1000 QPS. A backend must take the same callback twice (robustness probe retried_delivery).

OpenIM: POST {target}/{command}?contenttype=json (the documents' form; the v3 server itself
sends no query) with Content-Type: application/json; charset=utf-8 and an operationID header.
--openim-version sends what a server release sends instead: v3.7 and later {target}/{command}
with no query; v3.4.2 to v3.6.x the same with the older command names in URL and body
(callbackGroupMsgReadCommand, ...); v3.0 to v3.4.0 {target}?command={command}; main adds
?key=<base64 of {"sendID","recvID","groupID"}> to afterSendSingleMsg, afterSendGroupMsg and
afterMsgSaveDB. A release's body is written as Go's encoder writes it (<, >, & escaped, a
trailing newline) and carries the values the release really sends (an empty operationID in
the set-group-info callbacks, groupType U+0002, the owner first in initMemberList, ...:
'imhook fixtures show COMMAND --doc' lists them), accepted with a warning where the document
says otherwise. OpenIM Server never retries a callback.
The server ignores the HTTP status and decodes the body into
{actionCode, errCode, errMsg, errDlt, nextCode} with int32 numbers and strings: anything it
cannot decode (an empty body, HTML, "nextCode": "" as in the document's own sample, a float,
an out-of-range integer) fails the call with error 90007.
--openim-version also judges the replies as that release treats them (by default as v3.7
and later, and the findings name the release):
  v3.0 to v3.4.0   stops an operation on actionCode or errCode not 0 (no nextCode; actionCode a
                   64-bit int); no cap on the timeout before v3.4.0
  v3.4.2 to v3.5.x stops on actionCode not 0 or nextCode 1
  v3.6.x           never stops on a reply: it only logs what the reply asks
  v3.7 and later   stops on actionCode 0 with nextCode 1 only
Timeouts: each callback's timeout in webhooks.yml (seconds; 5 in the shipped file) is the
budget, capped at 15 s by the server's HTTP client since v3.4.0. --timeout overrides it;
simulate --webhooks-yml FILE takes each callback's from the file (and runs the callbacks the
file enables). A timeout finding names where its budget came from and what the release does:
failedContinue (a before-callback's setting, true in the shipped file) lets the operation go
on when the callback fails (no reply in time, a network error 90004, a reply it cannot decode
90007) in v3.0 to v3.6.x; since v3.7.0 the server declares it but never reads it, so a failed
before-callback always aborts the operation. An after-callback's failure changes nothing
(since v3.7.0 it is posted from a queue and nobody waits for it).

Targets. A backend serves one vendor on a URL. --target URL sends every callback of the run
there, so a run whose callbacks are of both vendors needs --vendor (tencent or openim) or a
target per vendor: --target tencent=URL --target openim=URL (IMHOOK_TARGET takes the same,
separated by commas). With targets for some vendors only, the run sends those vendors'
callbacks. A run with a bare URL and callbacks of both vendors is a usage error (exit 2)
before anything is sent. replay sends each recording to its vendor's target.

Replays keep what a recording carries: a Tencent recording's SdkAppid, ClientIP and
OptPlatform query values (unless --sdkappid, --client-ip or --platform say otherwise), and its
Sign and RequestTime, sent again as recorded with a warning (replay.stale_sign) that says how
old they are: a receiver that checks them refuses a RequestTime more than 60 s away; --resign
with the token signs afresh. An OpenIM recording keeps its operationID header.`

const topicOutcomes = `Outcomes. Each record carries the outcome the platform would act on, read from the
catalogue's reply section of the callback (imhook fixtures show COMMAND --doc):
  Tencent  ok       ActionStatus OK, ErrorCode 0 (after-callbacks: any OK reply)
           fail     ActionStatus FAIL
           reject   ErrorCode 1, or a code of the callback's custom range (C2C 120001-130000,
                    groups 10100-10200) that is passed to the client
           discard  ErrorCode 2 (dropped silently; the sender sees success)
           modify   ErrorCode 0 with a reply field the platform applies that changes something:
                    MsgBody, CloudCustomData, RefusedMembers_Account, a refusing ResultItem, RspData
  OpenIM   continue the operation goes on (after-callbacks: always)
           stop     actionCode 0 with nextCode 1 (errCode and errMsg reach the caller)
           modify   continue, with a reply field the server applies (nickName, userIDList, ...)
Applied reply fields are checked for type: a wrong type is an error (OpenIM: error 90007).
A reply that breaks the contract has no outcome.

By default a valid callback must be accepted: a FAIL, reject, discard or stop reply to it
fails the check (response.refused). --expect OUTCOME asks for that outcome instead: any other
outcome fails (expect.outcome, with expected and found), and the refusal is not an error.
Without --target, the built-in receiver answers with the expected outcome.

serve --respond answers a valid callback with a reply whose outcome is (a vendor's outcome
name is taken too: OpenIM continue is ok, stop is reject):
  ok       accept (default)
  fail     Tencent ActionStatus FAIL / ErrorCode 1; OpenIM actionCode 1 (the server carries on)
  reject   Tencent OK / ErrorCode 1; OpenIM actionCode 0, nextCode 1 (stops a before-callback)
  discard  Tencent OK / ErrorCode 2 (silently drop); OpenIM as reject
  modify   a before-callback's allowing reply with the fields the platform applies, changed,
           built from the catalogue's reply section: Tencent ErrorCode 0 with MsgBody (one
           TIMTextElem "[modified by imhook]"), CloudCustomData, RefusedMembers_Account, ...;
           OpenIM actionCode 0, nextCode 0 with nickName, userIDList, ...
ok and fail answers carry what the platform needs besides: OpenIM's set-group-info callbacks
echo the fields the server always copies back (a reply that lets the operation go on without
them is an error, response.echo: the server blanks the group's ID and name);
Sns.CallbackPrev* allow every target in ResultItem.`

const topicSuites = `--suite FILE runs the steps of a suite file in order:

  {"version": 1,
   "steps": [
     {"name": "send", "command": "C2C.CallbackAfterSendMsg",
      "set": {"From_Account": "${env:SENDER|alice}"},
      "expect": {"max_latency": "500ms", "reply": {"ActionStatus": "OK"}, "verdict": "pass"}},
     {"name": "answer", "command": "C2C.CallbackAfterSendMsg",
      "set": {"To_Account": "${step:send.request.body.From_Account}"}},
     {"name": "raw", "data": "payload.json", "expect": {"verdict": "fail"}}]}

A step sends one callback: a generated body (or "data": a file, relative to the suite file,
or an inline object) with "set" overrides (gjson/sjson path: JSON value). "expect" holds
max_latency (a duration), reply (gjson path into the reply body: the JSON value it must
equal), verdict (pass, the default, fail or error: the exchange's verdict) and outcome (the
platform's outcome, as with --expect: Tencent ok, fail, reject, discard, modify; OpenIM
continue, stop, modify). Strings may use
${env:VAR|default} and ${step:NAME.PATH}, a gjson path into an earlier step's record (its
request, response and findings, as -o json prints them); a string that is just one reference
takes the value with its JSON type (${env:IMHOOK_TOKEN} is refused: the token is never
written, and bodies are). Errors in the file name the step and the key (exit 2).
--max-failures N stops after N failed steps or probes.

With --vendor, or targets for some vendors only, steps of other vendors are skipped with a
note. Each step goes to its vendor's target.`

const topicProbes = `--probe security sends a valid, signed callback (baseline.valid: it must be accepted)
and then otherwise valid forgeries a careful backend must refuse: for Tencent a wrong
SdkAppid and, with --token, no Sign, a bad Sign and a RequestTime ten minutes old. A probe
fails (probe.accepted: forged callbacks accepted) when the backend answers OK; HTTP 4xx,
FAIL or a non-zero ErrorCode pass. Default callback: C2C.CallbackAfterSendMsg, or the
COMMAND given.

Each callback's probes follow its baseline. When the baseline fails (a wrong --sdkappid or
--token, a wrong URL), they are not sent: a refusal would say nothing when a valid callback
is refused too. Each is reported NOT JUDGED (a skipped case in the JUnit report), and the run
fails with the baseline's reason, first in the summary.

--probe robustness sends malformed JSON, missing required fields, wrong types, an unknown
command, a body over 1 MiB, unicode, emoji and control characters in strings, the same message
twice, a retried delivery (Tencent after-callbacks: the same body again after a gap as long as
the budget, as Tencent resends after a timeout when retry is switched on in its console; OpenIM
never retries) and messages out of order (Tencent C2C.CallbackAfterSendMsg and OpenIM
callbackAfterSendSingleMsgCommand, or the COMMANDs given). Each must get an answer within the
budget in the vendor's reply shape (a refusal is fine: Tencent FAIL, OpenIM stop; so is a
4xx); a 5xx, HTML, a reset or a hang fails the probe (probe.robustness). And for every
callback with nullable fields, robustness.null_fields sends a valid callback with them all
null, as the platform sends a nil list (an OpenIM message without @-mentions has a null
atUserIDList): it must be accepted. Each record's probe.* finding names the probe in its path.
Each probe sends a message of its own (a fresh MsgKey, clientMsgID, operationID); only the
duplicate and the retried delivery repeat one, and a finding on their request 2 says so. The
strange text of unicode_strings goes inside a string the platform always sends as JSON text
(OpenIM's content), which stays JSON text.

Without COMMANDs, each vendor of the run probes its usual callback (with --vendor, or
per-vendor targets, only those vendors'): C2C.CallbackAfterSendMsg for Tencent and
callbackAfterSendSingleMsgCommand for OpenIM, and robustness.null_fields every callback of
theirs with nullable fields.

OpenIM callbacks carry nothing that authenticates them: no signature, token or app ID, only
an operationID header. A backend relies on the network instead: a private network that only
the OpenIM server reaches, or an allow-list of the server's addresses (a secret path segment
in webhooks.yml's url, or user:password@ in it, adds a shared secret). --probe security for
OpenIM (--vendor openim, an openim= target, or an OpenIM COMMAND) says so, sends the
baseline, and when the target carries user:password@ (the server's Go client then sends Basic
authentication) checks that a request without it, or with another password, is refused.`

const topicScenarios = `Scenarios: --scenario conversation sends a realistic, consistent sequence of Tencent
callbacks by default (--count N of them, default 24, at least 4; --seed N makes it repeatable). Two or
three users exchange one-to-one messages and read them (C2C.CallbackAfterSendMsg,
C2C.CallbackAfterMsgReport; about the first 3/5 of the callbacks), then a group of M = 4 to 6
members (those users and others) exchanges messages and read receipts
(Group.CallbackAfterSendMsg, Group.CallbackAfterReadReceipt). Each payload is generated from
the catalogue, its state fields are then set, and it passes validate with no errors:
  - a message raises the receiver's UnreadMsgNum (its total over all one-to-one
    conversations, as the document says) by one;
  - a read report sets the reporter's unread messages from that peer to 0 and reports the
    new total; its LastReadTime is not before the MsgTime of the messages read;
  - the group's MsgSeq increases by one a message; a read receipt gives, for each MsgSeq,
    ReadNum + UnreadNum = M - 1 (the members other than the sender) and ReadNum never
    falls; ReadReceiptMembers lists the members who have read it;
  - MsgTime, EventTime and LastReadTime move forward (1 to 20 s a callback, the last at or
    before --now); MsgKey stays MsgSeq_MsgRandom_MsgTime.
With --vendor openim (or an openim= target) it tells OpenIM's story, as the server fills
each callback: 3 to 5 users register (callbackAfterUserRegisterCommand), friends apply and
agree (callbackAfterAddFriendCommand, callbackAfterAddFriendAgreeCommand), the first creates a
group of them all (callbackAfterCreateGroupCommand, the owner first); messages are sent
(callbackAfterSendSingleMsgCommand, callbackAfterSendGroupMsgCommand, seq 0: the server
numbers a message afterwards) and saved (callbackAfterMsgSaveDBCommand, the same IDs and the
conversation's next seq; notifications take seqs too), and read
(callbackAfterSingleMsgReadCommand with the seqs read, callbackAfterGroupMsgReadCommand with
the seq read up to); times in ms move forward.
Record it (--record run.jsonl) and 'imhook validate --consistency run.jsonl' checks that a
recording keeps these invariants ('imhook validate --help' lists both vendors' rules).`

const topicLoad = `--count N or --duration D turns simulate (and replay) into a load run: a paced scheduler
(--rate R, requests a second in all) feeds a fixed pool of --concurrency workers (default 64),
each on its own keep-alive connection; every request carries a freshly generated payload
(distinct MsgSeq, MsgRandom, MsgKey, fresh timestamps) unless --data gives one, and every reply
is judged. A slow target lowers the achieved rate rather than piling up connections.

The summary (the same in every mode): exchanges, the achieved rate (and the target rate),
verdicts, outcomes, statuses, latency p50/p90/p99/p99.9/max from an HDR histogram, budget
misses by callback, findings by callback and rule, and the first error; text on stderr, or with
-o json one {"summary": ...} line on stdout. An exchange that got no reply counts in the
latencies at the time waited for it (its timeout), and the summary says how many did. Nothing
per request is kept in memory unless --record FILE asks for every exchange.

replay FILE... --count N | --duration D is the same load run over recorded traffic: the input
is read once (at most 100 000 callbacks and 256 MiB; a larger one is a usage error), then its
callbacks are sent round-robin, each request built as a plain replay builds it.

A run too large for one machine: run N copies with --rate R/N (a CI matrix, a Kubernetes
Indexed Job), each with -o json, and merge their summary lines with 'imhook report': the
histograms merge exactly.`

const topicChecks = `Payloads (every callback simulate sends, every payload validate reads, every request serve
receives) are checked against the catalogue entry of their command (imhook fixtures show
COMMAND --doc lists it): JSON types, required fields, bounds (32-bit MsgSeq and MsgRandom,
timestamps in their unit), lengths, const and enum values, and the entry's cross-field rules
(MsgKey is MsgSeq_MsgRandom_MsgTime; UnreadMsgNum is -1 exactly when SendMsgResult is not
0). Where a document contradicts itself imhook follows its field table and says so with a
warning (quirk.*). A field the document does not list is an info finding
(payload.unknown_field).

Replies are held to the vendor's reply contract ('imhook help requests'): its status, the
body's fields and their types, the budget. A before-callback's reply has an outcome, and a
valid callback must be accepted unless --expect says otherwise ('imhook help outcomes').

Requests (serve): the vendor's query (Tencent SdkAppid, CallbackCommand, contenttype,
ClientIP, OptPlatform) and, with --token, Sign and RequestTime within 60 s. A careful
backend refuses what it cannot trust: another app's ID, a missing, bad or stale signature
(with --reject-replays, one that came before), a body that is not JSON; serve answers those
with the vendor's failure reply.

Severities: error (the platform would fail the exchange, or the payload breaks the
document: the verdict is fail and the run exits 1), warning (legal but suspicious), info
(worth knowing; shown with -o json, in validate's output and in --dry-run).

--set PATH=VALUE edits a generated payload. A PATH that is not a field of the callback is
a warning on stderr that names the closest fields (--set UnreadMsgNm=3: did you mean
UnreadMsgNum?). A field inside a message element (MsgBody.0.MsgContent.Text) makes that
element of the type that has the field (TIMTextElem), generated to match. --text TEXT
sets the text of a message callback's first text element, whatever the vendor. Set paths
are bounded, a usage error (exit 2) before anything is built: an array index goes up to
the array's max_items in the catalogue (one more item than it allows) or else 1000; at
most 1000 paths of at most 64 keys; sets grow a payload to 8 MiB at most.

--strict (simulate, replay, validate, serve) makes warnings and unknown fields fail too
(payload.unknown_field: a payload field the document does not list; response.unread_field:
a reply field the platform does not read, which changes nothing): the exchange's verdict
is fail and the run exits 1; a --set path that is not a field of
the callback is a usage error (exit 2) before anything is sent. serve --strict marks such
exchanges failed in its records and summary (it still answers them as told).

validate tells each item apart by its fields (--as auto): a record has request and
time/vendor/command; a payload names its callback (CallbackCommand, callbackCommand); a
reply's fields are mostly those of a reply contract. --as request|response|record takes
every item for one kind; --command checks every payload as that callback. A record is
re-judged as if the exchange happened now (its request body against the catalogue, its
reply against the contract); the findings it carries are not repeated. Output: one line per
finding, "file:line: severity rule path: message"; with -o json one object a line with
file, line, severity, rule, path, message.

replay --compare also compares each reply of a record with the recorded one: the HTTP
status, the reply contract's fields, the fields the platform applies or copies back, and the
outcome; each difference is an error (replay.diff) whose path names the field, and an error
of the reply's judgement that the recording had too is a warning (unchanged since the
recording).`

const topicConsistency = `validate --consistency also checks that the records and payloads, read in order across
all the inputs (one recording may span files), tell one consistent story, as simulate
--scenario conversation makes it ('imhook help scenarios'):

  imhook simulate --scenario conversation --seed 7 --count 40 --record conversation.jsonl
  imhook validate --consistency conversation.jsonl

Only the callbacks that tell the story take part; the others are checked as usual and left
out of it. Its findings are errors, at the line of the item that breaks the story. Its state
is per user, conversation and group (a group remembers its last 4096 messages), so memory
does not grow with the recording. The rules:
`

const topicInputs = `replay, validate and report read records (JSON Lines, as simulate --record, replay --record
and serve --record write them, or -o json prints them), payload files (one JSON value, a
JSON array of values, JSON Lines, or pretty-printed values one after another), directories
of them (*.json, *.jsonl, *.ndjson, recursively, hidden ones skipped) and - for stdin.

Inputs are read as streams: a recording of any size replays and validates in bounded memory
(validate checks on every core; findings come out in input order). A value (or line) is at
most 64 MiB.

Bad inputs, one finding each:
  - a corrupt line or value (not JSON, truncated, binary bytes in a line) is reported with
    its file and line and the rest is read: validate and replay exit 1, report exits 2 (its
    summary would leave the line's exchange out);
  - JSON with comments, trailing commas or single quotes (as in several documents' samples)
    is reported at its position, with what JSON allows;
  - a file that is not JSON text (an executable, an archive, gzip-compressed data, UTF-16
    text), an empty input (nothing, only blanks, an empty array) and a file that cannot be
    read are one error each (input.binary, input.empty, input.read), and the run exits 2:
    nothing of that input is used, and replay sends nothing.

replay takes each callback's command from the record, else from the payload's own command
field (CallbackCommand, callbackCommand), else from --command; a record of a request the
receiver did not recognise as a callback is skipped with a warning. Replies and run
summaries in the input are passed over. replay sends one callback after another in input
order (--concurrency 1); with --concurrency C up to C are in flight and the output stays in
input order; --rate R caps them at R a second. --count N or --duration D make it a load run
('imhook help load').`

const topicForward = `Your backend in the loop. --forward-to URL passes every callback on to your backend once
it is checked, as the platform sent it (method, headers, the body's exact bytes; Tencent's
query appended to URL's query, OpenIM's /{command} appended to URL's path), judges the
backend's reply against the contract within the platform's budget (Tencent 2 s, OpenIM
5 s) and relays it unchanged. A backend that is down gets the caller a 502, one that is
late a 504; the record's "forward" object says what the backend did and the verdict what
the platform would have seen. A refusal (FAIL, reject, stop) is the backend's decision:
info, not an error. --respond, --respond-file, --delay, --fail-rate and --reject-replays
(imhook's own answers) do not go with it.

The inspector. --ui ADDR serves a web page on its own address (never the callback port,
which is what a tunnel exposes): the exchanges live as they arrive, filters by vendor,
callback, verdict and outcome, one exchange in full with its findings and the callback's
documentation, the recording as JSON Lines, and resending an exchange as replay does. It
keeps the last --ui-keep exchanges (the download streams the --record file when there is
one). A non-loopback ADDR needs --ui-token (or IMHOOK_UI_TOKEN): open /?token=TOKEN once.`

const topicTLS = `Sending (simulate, replay, suites, probes): an https:// target's certificate is checked
against the system's authorities; --cacert FILE trusts the authorities of a PEM file instead
(for a private CA, or the certificate that imhook serve --tls --tls-out DIR writes),
--insecure skips the check. Under mutual TLS (a backend that verifies the platform's client
certificate, as Tencent Cloud Chat offers) --cert FILE --key FILE present a client
certificate. A handshake that fails is exit 3, and the message says what failed (unknown
authority, name mismatch, expired, no client certificate) and which flag helps.

serve: --tls makes a self-signed certificate for 127.0.0.1 and localhost at start and prints
its SHA-256 fingerprint; --tls-out DIR writes it (cert.pem, key.pem) for clients to trust
(imhook simulate --cacert DIR/cert.pem). --tls-cert FILE --tls-key FILE serve a certificate
of your own. --client-ca FILE requires a client certificate signed by one of its
authorities, as a backend that uses Tencent's mutual TLS does. For an https --forward-to
backend, --cacert, --insecure and --cert/--key work as they do for simulate.`
