#!/usr/bin/env bash
# Load-generator throughput: a bare net/http backend (bench/bare) on 127.0.0.1
# driven by hey, wrk and `imhook simulate --count/--duration` at 64
# connections, in the same run on this machine. imhook generates a fresh
# payload for every request and judges every reply; hey and wrk send one
# fixed body and judge nothing. Rounds alternate between the tools; the
# script prints each round, the medians and the ratios, and the CPU time
# each client and the server spent per exchange (user + system, from /proc):
# on a noisy machine rates move by a third between rounds, CPU per exchange
# by a few percent, and with client and server on the same cores the
# client's CPU per exchange is what decides its rate. A fourth run, imhook
# with --data and wrk's body, shows the engine without generation.
#
#   bench/load.sh [ROUNDS=5] [SECONDS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
secs=${2:-5}
for tool in wrk hey; do
  command -v $tool >/dev/null || { echo "installing $tool"; apt-get install -y $tool >/dev/null; }
done
out=bench/out
mkdir -p "$out"
go build -o "$out/imhook" .
go build -o "$out/bare" ./bench/bare

cp bench/c2c-after-send-msg.json "$out/body.json"   # hey and wrk send this fixed body
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [==[$(cat "$out/body.json")]==]
wrk.headers["Content-Type"] = "application/json"
LUA
target="http://127.0.0.1:9311/"
url="${target}?SdkAppid=1400000000&CallbackCommand=C2C.CallbackAfterSendMsg&contenttype=json&ClientIP=127.0.0.1&OptPlatform=iOS"

"$out/bare" -addr 127.0.0.1:9311 & bare=$!
trap 'kill $bare 2>/dev/null || true' EXIT
sleep 1

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# CPU time, the figure that noise moves least: a process's user+system
# ticks (/proc/PID/stat; CLK_TCK from getconf), the server's over each
# tool's run and each client's own (a subshell's waited children).
tick_us=$(( 1000000 / $(getconf CLK_TCK) ))
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
# timed OUT TICKS CMD...: runs CMD with its stdout in OUT, its CPU ticks in TICKS.
timed() { local o=$1 t=$2; shift 2; ( "$@" > "$o"; awk '{print $16+$17}' "/proc/$BASHPID/stat" > "$t" ); }
us_per() { echo "$1 * $tick_us / $2" | bc -l; }   # ticks, exchanges -> CPU µs per exchange

: > "$out/wrk.rates"; : > "$out/hey.rates"; : > "$out/imhook.rates"; : > "$out/hey.ratios"; : > "$out/wrk.ratios"
: > "$out/fixed.rates"; : > "$out/fixed.ratios"
for f in wrk hey imhook fixed; do : > "$out/$f.client_us"; : > "$out/$f.server_us"; done
for i in $(seq "$rounds"); do
  s0=$(ticks $bare)
  timed "$out/wrk.out" "$out/wrk.ticks" wrk -t2 -c64 -d"${secs}s" -s "$out/post.lua" "$url"
  s1=$(ticks $bare)
  timed "$out/hey.out" "$out/hey.ticks" hey -z "${secs}s" -c 64 -m POST -T application/json -D "$out/body.json" "$url"
  s2=$(ticks $bare)
  timed "$out/imhook.out" "$out/imhook.ticks" "$out/imhook" simulate C2C.CallbackAfterSendMsg --target "$target" \
      --duration "${secs}s" --concurrency 64 -o json -q
  s3=$(ticks $bare)
  # The same engine with wrk's one fixed body (--data): every reply still
  # judged, nothing generated. Beside the generated run it says what
  # generation costs and what the engine alone reaches.
  timed "$out/fixed.out" "$out/fixed.ticks" "$out/imhook" simulate C2C.CallbackAfterSendMsg --data "$out/body.json" \
      --target "$target" --duration "${secs}s" --concurrency 64 -o json -q
  s4=$(ticks $bare)
  w=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.out"); wn=$(awk '/requests in/ {print $1}' "$out/wrk.out")
  h=$(awk '/Requests\/sec/ {print $2}' "$out/hey.out"); hn=$(awk '/responses/ {n += $2} END {print n}' "$out/hey.out")
  m=$(tail -1 "$out/imhook.out" | sed -E 's/.*"rate":([0-9.]+).*/\1/'); mn=$(tail -1 "$out/imhook.out" | sed -E 's/.*"exchanges":([0-9]+).*/\1/')
  f=$(tail -1 "$out/fixed.out" | sed -E 's/.*"rate":([0-9.]+).*/\1/'); fn=$(tail -1 "$out/fixed.out" | sed -E 's/.*"exchanges":([0-9]+).*/\1/')
  echo "$w" >> "$out/wrk.rates"; echo "$h" >> "$out/hey.rates"; echo "$m" >> "$out/imhook.rates"; echo "$f" >> "$out/fixed.rates"
  echo "$f / $w" | bc -l >> "$out/fixed.ratios"
  us_per "$(cat "$out/fixed.ticks")" "$fn" >> "$out/fixed.client_us"; us_per $((s4 - s3)) "$fn" >> "$out/fixed.server_us"
  echo "$m / $h" | bc -l >> "$out/hey.ratios"; echo "$m / $w" | bc -l >> "$out/wrk.ratios"
  us_per "$(cat "$out/wrk.ticks")" "$wn" >> "$out/wrk.client_us"; us_per $((s1 - s0)) "$wn" >> "$out/wrk.server_us"
  us_per "$(cat "$out/hey.ticks")" "$hn" >> "$out/hey.client_us"; us_per $((s2 - s1)) "$hn" >> "$out/hey.server_us"
  us_per "$(cat "$out/imhook.ticks")" "$mn" >> "$out/imhook.client_us"; us_per $((s3 - s2)) "$mn" >> "$out/imhook.server_us"
  printf 'round %d: wrk %7.0f  hey %7.0f  imhook %7.0f  imhook --data %7.0f req/s;  client CPU µs/exchange: wrk %.1f hey %.1f imhook %.1f --data %.1f\n' \
    "$i" "$w" "$h" "$m" "$f" "$(tail -1 "$out/wrk.client_us")" "$(tail -1 "$out/hey.client_us")" "$(tail -1 "$out/imhook.client_us")" "$(tail -1 "$out/fixed.client_us")"
done
mw=$(median < "$out/wrk.rates"); mh=$(median < "$out/hey.rates"); mi=$(median < "$out/imhook.rates"); mf=$(median < "$out/fixed.rates")
printf 'median req/s: wrk %.0f, hey %.0f, imhook %.0f, imhook --data %.0f\n' "$mw" "$mh" "$mi" "$mf"
printf 'median CPU µs per exchange, client (server bench/bare): wrk %.2f (%.2f), hey %.2f (%.2f), imhook %.2f (%.2f), imhook --data %.2f (%.2f)\n' \
  "$(median < "$out/wrk.client_us")" "$(median < "$out/wrk.server_us")" "$(median < "$out/hey.client_us")" "$(median < "$out/hey.server_us")" \
  "$(median < "$out/imhook.client_us")" "$(median < "$out/imhook.server_us")" "$(median < "$out/fixed.client_us")" "$(median < "$out/fixed.server_us")"
printf 'per-round ratio imhook --data (one fixed body, as wrk) / wrk, median: %.2f\n' "$(median < "$out/fixed.ratios")"
printf 'ratios of the medians: imhook/hey %.2f, imhook/wrk %.2f\n' "$(echo "$mi / $mh" | bc -l)" "$(echo "$mi / $mw" | bc -l)"
printf 'per-round ratios, median: imhook/hey %.2f (goal >= 1.6), imhook/wrk %.2f (goal >= 0.9)\n' "$(median < "$out/hey.ratios")" "$(median < "$out/wrk.ratios")"
