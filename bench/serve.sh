#!/usr/bin/env bash
# Throughput of `imhook serve` (recognising, checking and recording every
# request) beside a bare net/http handler (bench/bare), both driven by wrk
# with the same Tencent callback at 64 connections, on this machine, in the
# same run. Rounds alternate between the two; the script prints each round,
# the medians and the ratio. Machines here are noisy: read the ratio.
#
#   bench/serve.sh [ROUNDS=5] [SECONDS=5]
#
# The records go to bench/out/serve.jsonl, or to $RECORD (RECORD=/dev/shm/x
# takes the disk and the kernel's writeback out of the measurement, leaving
# imhook's own cost). The file is removed at the end. The script checks
# that every answer wrk counted was recorded and exits 1 if not.
#
# FRESH=1 starts serve again on an empty record file for every round. On
# the 2-core development VM, appending to a file slows as it grows past
# about a gigabyte (dd appending 1 GB at a time: 614 MB/s for the first,
# about 250 MB/s for each after), and five rounds of serve write about
# 2.5 GB, so without it the later rounds measure the machine's cost of a
# large file as much as imhook's. Records are counted across the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
secs=${2:-5}
conns=64
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
out=bench/out
mkdir -p "$out"
go build -o "$out/imhook" .
go build -o "$out/bare" ./bench/bare

# One fixed body (bench/c2c-after-send-msg.json, a generated
# C2C.CallbackAfterSendMsg), so that runs of different builds check the same
# bytes: a generated body changes whenever generation does.
body=$(cat bench/c2c-after-send-msg.json)
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [==[$body]==]
wrk.headers["Content-Type"] = "application/json"
LUA
query="?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"

rec=${RECORD:-$out/serve.jsonl}
# The file is removed before and after the run: refuse anything else.
if [ -e "$rec" ] && [ ! -f "$rec" ]; then echo "RECORD=$rec: expected a regular file or a new path" >&2; exit 2; fi
"$out/bare" -addr 127.0.0.1:9301 & bare=$!
rm -f "$rec"
start_serve() { "$out/imhook" serve --addr 127.0.0.1:9302 --record "$rec" -q >/dev/null 2>&1 & imh=$!; }
start_serve
trap 'kill $bare $imh 2>/dev/null || true; rm -f "$rec"' EXIT
sleep 1
lines=0 answers=0 errors=0

# rate URL SERVERPID: wrk's rate; the CPU µs per request that the server
# spent over the run (user + system ticks from /proc/PID/stat) go to $cpu,
# the answers wrk counted to $n and its errors (non-2xx answers, socket
# errors) to $errs.
# On a noisy machine rates move by a third between rounds and CPU per
# request by a few percent: the CPU figures say what each request costs.
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
rate() {
  local t0 t1 o
  t0=$(ticks "$2")
  o=$(wrk -t2 -c"$conns" -d"${secs}s" -s "$out/post.lua" "$1")
  t1=$(ticks "$2")
  n=$(awk '/requests in/ {print $1}' <<< "$o")
  errs=$(awk '/Non-2xx/ {e += $NF} /Socket errors/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) e += $i} END {print e + 0}' <<< "$o")
  cpu=$(echo "($t1 - $t0) * $tick_us / $n" | bc -l)
  awk '/Requests\/sec/ {print $2}' <<< "$o"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: > "$out/bare.rates"; : > "$out/serve.rates"; : > "$out/serve.ratios"; : > "$out/bare.cpu"; : > "$out/serve.cpu"
for i in $(seq "$rounds"); do
  rate "http://127.0.0.1:9301/$query" $bare > "$out/rate"; b=$(cat "$out/rate"); echo "$b" >> "$out/bare.rates"
  bc_=$(echo "$cpu" | tee -a "$out/bare.cpu")
  rate "http://127.0.0.1:9302/$query" $imh > "$out/rate"; s=$(cat "$out/rate"); echo "$s" >> "$out/serve.rates"
  sc_=$(echo "$cpu" | tee -a "$out/serve.cpu")
  answers=$((answers + n)) errors=$((errors + errs))
  if [ "${FRESH:-}" = 1 ] && [ "$i" -lt "$rounds" ]; then
    kill "$imh"; wait "$imh" 2>/dev/null || true
    lines=$((lines + $(wc -l < "$rec"))); rm -f "$rec"
    start_serve; sleep 0.7
  fi
  echo "$s / $b" | bc -l >> "$out/serve.ratios"
  printf 'round %d: bare %10.0f req/s   imhook serve --record %10.0f req/s   server CPU µs/request: bare %.1f serve %.1f\n' \
    "$i" "$b" "$s" "$bc_" "$sc_"
done
mb=$(median < "$out/bare.rates"); ms=$(median < "$out/serve.rates")
kill "$imh"; wait "$imh" 2>/dev/null || true
lines=$((lines + $(wc -l < "$rec")))
rm -f "$rec"
printf 'median: bare %.0f req/s, imhook serve --record %.0f req/s, ratio serve/bare %.2f (%d records written)\n' \
  "$mb" "$ms" "$(echo "$ms / $mb" | bc -l)" "$lines"
printf 'median server CPU µs per request: bare %.2f, imhook serve --record %.2f\n' "$(median < "$out/bare.cpu")" "$(median < "$out/serve.cpu")"
printf 'per-round ratio serve/bare, median: %.2f (goal >= 0.8)\n' "$(median < "$out/serve.ratios")"
# Recorded before acknowledged: every answer wrk counted has its record.
# A round's last requests (up to one per connection) may be recorded and
# answered after wrk stopped counting, so records may exceed answers by
# that much, never fall short.
extra=$((lines - answers))
most=$((conns * rounds))
if [ "$errors" -gt 0 ] || [ "$extra" -lt 0 ] || [ "$extra" -gt "$most" ]; then
  printf 'records %d, answers %d, errors %d: expected every answer recorded (records - answers in 0..%d) and no errors\n' \
    "$lines" "$answers" "$errors" "$most" >&2
  exit 1
fi
printf 'records = answers: %d answers, %d records (%d answered after wrk stopped counting), no errors\n' "$answers" "$lines" "$extra"
