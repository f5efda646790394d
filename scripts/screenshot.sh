#!/usr/bin/env bash
# Makes docs/inspector.png, the README's picture of the inspector, from a
# real run: a backend (imhook serve answering OpenIM's
# callbackAfterGroupMsgReadCommand with the document's own sample reply,
# "nextCode": "", which the server cannot decode), imhook serve forwarding
# to it with the inspector on, and imhook simulate --all sending every
# callback. Chromium (Debian: apt-get install -y chromium) takes the
# picture at 1280x800, with the broken exchange open.
#
#   scripts/screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/inspector.png}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "scripts/screenshot.sh: no chromium on PATH (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/imhook" .
imhook=$work/imhook

# wait_for FILE REGEX: the first match of REGEX's group in FILE, once it is there.
wait_for() {
  for _ in $(seq 100); do
    if v=$(sed -nE "s#$2#\\1#p" "$1" | head -1) && [ -n "$v" ]; then echo "$v"; return; fi
    sleep 0.1
  done
  echo "scripts/screenshot.sh: nothing matched $2 in $1:" >&2; cat "$1" >&2; exit 1
}

printf '%s\n' '{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":""}' > "$work/broken.json"
"$imhook" serve --addr 127.0.0.1:0 --respond-file "callbackAfterGroupMsgReadCommand=$work/broken.json" \
  >/dev/null 2>"$work/backend.err" &
pids+=($!)
backend=$(wait_for "$work/backend.err" '.*listening on (http://[0-9.:]+);.*')

"$imhook" serve --addr 127.0.0.1:0 --forward-to "$backend/im/callback" --ui 127.0.0.1:0 --record "$work/calls.jsonl" \
  >/dev/null 2>"$work/serve.err" &
pids+=($!)
callbacks=$(wait_for "$work/serve.err" '.*listening on (http://[0-9.:]+);.*')
ui=$(wait_for "$work/serve.err" '.*inspector: (http://[0-9.:]+/)$')

"$imhook" simulate --all --target "tencent=$callbacks" --target "openim=$callbacks" -q >/dev/null 2>&1 || true  # one exchange fails: that is the point

id=$(curl -fsS "${ui}api/exchanges?verdict=fail" | grep -oE '"id":[0-9]+' | head -1 | cut -d: -f2)
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --hide-scrollbars \
  --window-size=1280,800 --virtual-time-budget=5000 --screenshot="$work/shot.png" "${ui}?live=0#${id}" \
  >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cp "$work/shot.png" "$out"
echo "scripts/screenshot.sh: wrote $out ($(wc -c <"$out") bytes): exchange #$id of $(wc -l <"$work/calls.jsonl") recorded" >&2
