#!/usr/bin/env bash
# The hardening round's attacks (issue 22), on 127.0.0.1 only, each bounded in
# count and time: the script stops by itself and prints one figure a line
# (peak RSS from /usr/bin/time -v, wall time, exit codes, records against
# what was answered), so that the next round can rerun it and compare.
#
#   scripts/attacks.sh [SECONDS=20]
#
# SECONDS is how long the load attacks run (the issue's figures are at 20).
# IMHOOK=/path/to/imhook runs another build (an older one, for the figures
# before); by default the tree is built. The hostile backends are
# scripts/hostile. Needs /usr/bin/time (Debian: time) and jq.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
out=$(mktemp -d /tmp/imhook-attacks.XXXXXX)
if [ -z "${IMHOOK:-}" ]; then
  go build -o "$out/imhook" . || exit 2
  IMHOOK=$out/imhook
fi
go build -o "$out/hostile" ./scripts/hostile || exit 2
H=$out/hostile
for tool in /usr/bin/time jq; do
  [ -x "$tool" ] || command -v "$tool" >/dev/null || { echo "attacks.sh: $tool is needed (apt-get install -y time jq)" >&2; exit 2; }
done

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT

# bg NAME CMD...: starts CMD with stderr in $out/NAME.err and sets $url to
# the http://127.0.0.1:PORT it announces ("listening on ...").
bg() {
  local name=$1
  shift
  "$@" >"$out/$name.out" 2>"$out/$name.err" &
  last=$!
  pids+=("$last")
  url=""
  for _ in $(seq 200); do
    url=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$out/$name.err" | head -1 | sed 's/listening on //')
    [ -n "$url" ] && return 0
    sleep 0.05
  done
  echo "attacks.sh: $name did not start: $(head -3 "$out/$name.err")" >&2
  return 1
}

# measured NAME CMD...: runs CMD under /usr/bin/time -v (stderr in
# $out/NAME.err) and sets rss_mib, wall and code.
measured() {
  local name=$1
  shift
  /usr/bin/time -v -o "$out/$name.time" "$@" >"$out/$name.out" 2>"$out/$name.err"
  code=$?
  rss_mib=$(( $(awk -F': ' '/Maximum resident/ {print $2}' "$out/$name.time") / 1024 ))
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/$name.time")
}

summary_line() { grep -m1 -E 'callback\(s\):' "$1" | sed 's/^ *//'; }

echo "imhook attacks, $(date -u +%FT%TZ), $("$IMHOOK" version 2>/dev/null | head -1), load attacks ${secs}s"
echo

echo "== 1. set paths that ask for huge payloads (bounded here: 2 GiB of address space, 20 s)"
for args in "simulate C2C.CallbackAfterSendMsg --set MsgBody.99999999.MsgContent.Text=x --dry-run" \
            "fixtures show C2C.CallbackAfterSendMsg --set MsgBody.99999999.MsgContent.Text=x"; do
  measured set bash -c "ulimit -v 2097152; exec timeout 20 $IMHOOK $args"
  echo "$args: exit $code, ${wall}, peak ${rss_mib} MiB, stdout $(wc -c <"$out/set.out") bytes; $(head -c 160 "$out/set.err" | head -1)"
done
echo

echo "== 2. the record file deleted, then moved, while serve runs (about 6 s)"
rec=$out/calls.jsonl
bg serve "$IMHOOK" serve --addr 127.0.0.1:0 --record "$rec"
serve_pid=$last
"$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$url" --duration 6s --rate 500 --concurrency 8 -q --record "$out/caller.jsonl" 2>/dev/null &
caller=$!
sleep 2
t_del=$(date +%s%N)
rm -f "$rec"
notice=none
for _ in $(seq 300); do
  if grep -q 'was deleted' "$out/serve.err"; then notice="$(( ($(date +%s%N) - t_del) / 1000000 )) ms"; break; fi
  sleep 0.01
done
sleep 1.5
t_mv=$(date +%s%N)
mv "$rec" "$rec.1"
moved=none
for _ in $(seq 300); do
  if grep -q 'was moved away' "$out/serve.err"; then moved="$(( ($(date +%s%N) - t_mv) / 1000000 )) ms"; break; fi
  sleep 0.01
done
wait "$caller"
kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_code=$?
after=$("$H" since "$out/caller.jsonl" "$t_del")
ondisk=$(cat "$rec" "$rec.1" 2>/dev/null | wc -l)
echo "deleted: stderr said so after $notice; moved: after $moved; serve exit $serve_code"
echo "answered 200 after the deletion: $after; records on disk (the moved file and the new one): $ondisk"
echo

echo "== 3. SIGHUP to serve"
bg hup "$IMHOOK" serve --addr 127.0.0.1:0
hup_pid=$last
"$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$url" --count 20 -q >/dev/null 2>&1
kill -HUP "$hup_pid"; wait "$hup_pid" 2>/dev/null; hup_code=$?
echo "exit $hup_code after SIGHUP; summary on stderr: $(summary_line "$out/hup.err")"
echo

echo "== 4. secrets: a target's user:password@ and received Authorization values"
pass=Att4ck-Pa55word
bg sec "$IMHOOK" serve --addr 127.0.0.1:0 --record "$out/sec-serve.jsonl" --ui 127.0.0.1:0 -o json
sec_pid=$last
ui=$(grep -oE 'inspector: http://127\.0\.0\.1:[0-9]+/' "$out/sec.err" | head -1 | sed 's/inspector: //')
for _ in $(seq 100); do [ -n "$ui" ] && break; sleep 0.05; ui=$(grep -oE 'inspector: http://127\.0\.0\.1:[0-9]+/' "$out/sec.err" | head -1 | sed 's/inspector: //'); done
target=${url/http:\/\//http:\/\/hookuser:$pass@}
"$IMHOOK" simulate callbackBeforeSendSingleMsgCommand --target "$target" -o json --record "$out/sec.jsonl" --junit "$out/sec.xml" >"$out/sec1.out" 2>&1
"$IMHOOK" simulate --probe security --vendor openim --target "$target" -o json --junit "$out/sec2.xml" >"$out/sec2.out" 2>&1
"$IMHOOK" simulate callbackBeforeSendSingleMsgCommand --target "$target" --count 50 -o json >"$out/sec3.out" 2>&1
"$IMHOOK" simulate callbackBeforeSendSingleMsgCommand --target "http://hookuser:$pass@127.0.0.1:notaport/" >"$out/sec4.out" 2>&1
"$IMHOOK" replay "$out/sec.jsonl" --target "$target" -o json >"$out/sec5.out" 2>&1
auth=QXR0YWNrOlNlY3JldEF1dGg=
curl -s -o /dev/null -H "Authorization: Basic $auth" -H "Cookie: sid=$auth" -H 'Content-Type: application/json' \
  --data-binary @bench/c2c-after-send-msg.json "$url/?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"
sleep 0.3
inspector=""
[ -n "$ui" ] && inspector=$(curl -s "${ui}api/exchanges/1"; curl -s "${ui}api/recording.jsonl"; curl -s "${ui}api/info")
kill -TERM "$sec_pid"; wait "$sec_pid" 2>/dev/null
pw=$(cat "$out"/sec*.out "$out/sec.jsonl" "$out"/sec*.xml "$out/sec.err" 2>/dev/null | grep -o "$pass" | wc -l)
au=$( (cat "$out/sec-serve.jsonl" "$out/sec.out"; echo "$inspector") | grep -o "$auth" | wc -l)
echo "the password in the outputs of simulate, probe, load, an unusable target, replay (stdout, stderr, records, JUnit): $pw time(s)"
echo "the received Authorization/Cookie value in serve's record, -o json and the inspector: $au time(s)"
echo

echo "== 5. hostile replies to a load run (${secs}s, --timeout 30s)"
bg eh "$H" endless-header 127.0.0.1:0
eh_url=$url
for c in 64 128; do
  measured load "$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$eh_url/" --duration "${secs}s" --timeout 30s --concurrency "$c" -q
  echo "endless header, $c connections: peak ${rss_mib} MiB, ${wall}, exit $code; $(summary_line "$out/load.err")"
done
bg ec "$H" endless-chunked 127.0.0.1:0
measured load "$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$url/" --duration "${secs}s" --timeout 30s --concurrency 64 -q
echo "endless chunked body, 64 connections: peak ${rss_mib} MiB, ${wall} for a ${secs}s run, exit $code; $(summary_line "$out/load.err")"
bg fast "$H" slow 127.0.0.1:0 1ms
measured load bash -c "ulimit -n 20000; exec $IMHOOK simulate C2C.CallbackAfterSendMsg --target $url/ --duration 5s --concurrency 100000 -q"
echo "--concurrency 100000 with ulimit -n 20000 (5 s): peak ${rss_mib} MiB, ${wall}, exit $code; $(grep -m1 -o 'warning: --concurrency.*workers' "$out/load.err" || echo 'no warning'); cannot connect: $(grep -c 'cannot connect' "$out/load.err"); $(summary_line "$out/load.err")"
echo

echo "== 6. 3000 forwards at concurrency 1000 to a backend answering in 1.5 s (Connection: close, X-Hop)"
bg slow "$H" slow 127.0.0.1:0 1.5s
bg fwd "$IMHOOK" serve --addr 127.0.0.1:0 --forward-to "$url/cb" --record "$out/fw-serve.jsonl"
fwd_pid=$last
timeout 120 "$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$url/" --count 3000 --concurrency 1000 --record "$out/fw-caller.jsonl" -q 2>"$out/fw-caller.err"
kill -TERM "$fwd_pid"; wait "$fwd_pid" 2>/dev/null
echo "$("$H" compare "$out/fw-caller.jsonl" "$out/fw-serve.jsonl")"
echo "replies the callers got with the backend's X-Hop header: $(grep -c '"X-Hop"' "$out/fw-caller.jsonl")"
echo

echo "== 7. the inspector's resend from another page"
bg ui "$IMHOOK" serve --addr 127.0.0.1:0 --ui 127.0.0.1:0
ui_pid=$last
ui=""
for _ in $(seq 100); do ui=$(grep -oE 'inspector: http://127\.0\.0\.1:[0-9]+/' "$out/ui.err" | head -1 | sed 's/inspector: //'); [ -n "$ui" ] && break; sleep 0.05; done
"$IMHOOK" simulate C2C.CallbackAfterSendMsg --target "$url" -q >/dev/null 2>&1
sleep 0.3
st() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
echo "POST resend with Origin http://evil.example: $(st -X POST -H 'Origin: http://evil.example' -H 'Content-Type: application/json' --data '{}' "${ui}api/exchanges/1/resend")"
echo "POST resend as application/jsonfoo: $(st -X POST -H 'Content-Type: application/jsonfoo' --data '{}' "${ui}api/exchanges/1/resend")"
echo "POST resend from the page itself (same Origin): $(st -X POST -H "Origin: ${ui%/}" -H 'Content-Type: application/json' --data '{}' "${ui}api/exchanges/1/resend")"
kill -TERM "$ui_pid"; wait "$ui_pid" 2>/dev/null
bg uit env IMHOOK_UI_TOKEN=t0ken "$IMHOOK" serve --addr 127.0.0.1:0 --ui 127.0.0.1:0
uit_pid=$last
for _ in $(seq 100); do ui=$(grep -oE 'inspector: http://127\.0\.0\.1:[0-9]+/' "$out/uit.err" | head -1 | sed 's/inspector: //'); [ -n "$ui" ] && break; sleep 0.05; done
echo "with --ui-token, GET with the token and Host: rebound.example: $(st -H 'Host: rebound.example' -H 'Authorization: Bearer t0ken' "${ui}api/exchanges")"
kill -TERM "$uit_pid"; wait "$uit_pid" 2>/dev/null
echo

echo "== 8. token files, a torn recording, a suite nested 100k deep"
for t in "crlf:s3cret\r\n" "bom:\xef\xbb\xbfs3cret\n" "space:s3cret \n" "nul:s3\x00cret\n"; do
  name=${t%%:*}
  printf "${t#*:}" >"$out/token-$name"
  "$IMHOOK" simulate C2C.CallbackAfterSendMsg --dry-run --token-file "$out/token-$name" >/dev/null 2>"$out/token.err"
  echo "token file with $name: exit $?; $(head -1 "$out/token.err" | sed "s|$out/||")"
done
printf '{"time":"2026-01-02T03:04:05Z","vendor":"tencent","comm' >"$out/torn.jsonl"
"$IMHOOK" report "$out/torn.jsonl" >/dev/null 2>&1
echo "report of a torn recording: exit $?"
head -c 10000 /dev/zero >"$out/nul.jsonl"
"$IMHOOK" report "$out/nul.jsonl" >/dev/null 2>&1
echo "report of a NUL-filled recording: exit $?"
{ printf '{"version": 1, "steps": '; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } >"$out/deep.json"
"$IMHOOK" simulate --suite "$out/deep.json" --target http://127.0.0.1:1/ >/dev/null 2>"$out/deep.err"
echo "suite nested 100000 deep: exit $?; $(head -c 200 "$out/deep.err" | head -1 | sed "s|$out/||")"
echo
echo "(files of this run: $out)"
