#!/usr/bin/env bash
# Load-generator throughput: a bare net/http backend (bench/bare) on 127.0.0.1
# driven by hey, wrk and `imhook simulate --count/--duration` at 64
# connections, in the same run on this machine. imhook generates a fresh
# payload for every request and judges every reply; hey and wrk send one
# fixed body and judge nothing. Rounds alternate between the tools; the
# script prints each round, the medians and the ratios.
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
: > "$out/wrk.rates"; : > "$out/hey.rates"; : > "$out/imhook.rates"; : > "$out/hey.ratios"; : > "$out/wrk.ratios"
for i in $(seq "$rounds"); do
  w=$(wrk -t2 -c64 -d"${secs}s" -s "$out/post.lua" "$url" | awk '/Requests\/sec/ {print $2}')
  h=$(hey -z "${secs}s" -c 64 -m POST -T application/json -D "$out/body.json" "$url" | awk '/Requests\/sec/ {print $2}')
  m=$("$out/imhook" simulate C2C.CallbackAfterSendMsg --target "$target" --duration "${secs}s" --concurrency 64 -o json -q \
      | sed -E 's/.*"rate":([0-9.]+).*/\1/')
  echo "$w" >> "$out/wrk.rates"; echo "$h" >> "$out/hey.rates"; echo "$m" >> "$out/imhook.rates"
  echo "$m / $h" | bc -l >> "$out/hey.ratios"; echo "$m / $w" | bc -l >> "$out/wrk.ratios"
  printf 'round %d: wrk %9.0f   hey %9.0f   imhook %9.0f  req/s\n' "$i" "$w" "$h" "$m"
done
mw=$(median < "$out/wrk.rates"); mh=$(median < "$out/hey.rates"); mi=$(median < "$out/imhook.rates")
printf 'median req/s: wrk %.0f, hey %.0f, imhook %.0f\n' "$mw" "$mh" "$mi"
printf 'ratios of the medians: imhook/hey %.2f, imhook/wrk %.2f\n' "$(echo "$mi / $mh" | bc -l)" "$(echo "$mi / $mw" | bc -l)"
printf 'per-round ratios, median: imhook/hey %.2f (goal >= 1.6), imhook/wrk %.2f (goal >= 0.9)\n' "$(median < "$out/hey.ratios")" "$(median < "$out/wrk.ratios")"
