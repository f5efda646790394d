#!/usr/bin/env bash
# bench/validate.sh — throughput and peak memory of `imhook validate` on a
# large generated recording, beside `jq empty` on the same file, in the same
# run. Medians of RUNS runs (default 3).
#
#   bench/validate.sh [SIZE_MB]        default 200
#   RUNS=5 KEEP=1 bench/validate.sh 1024
#
# Needs go, jq and GNU time (/usr/bin/time -v). The recording is made by
# imhook itself: `simulate --all --record` against the built-in receiver with
# 25 seeds (100 distinct records), repeated to SIZE_MB.
set -euo pipefail

size_mb=${1:-200}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/imhook-bench.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; fi

command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: GNU time (/usr/bin/time) is needed" >&2; exit 2; }

(cd "$root" && go build -o "$work/imhook" .)
imhook=$work/imhook

for seed in $(seq 1 25); do
	"$imhook" simulate --all --seed "$seed" --record "$work/seed.jsonl" -q >/dev/null 2>&1
done
bytes=$((size_mb * 1024 * 1024))
cp "$work/seed.jsonl" "$work/grow.jsonl"
while (($(stat -c %s "$work/grow.jsonl") < bytes)); do
	cat "$work/grow.jsonl" "$work/grow.jsonl" >"$work/tmp.jsonl"
	mv "$work/tmp.jsonl" "$work/grow.jsonl"
done
head -c "$bytes" "$work/grow.jsonl" | head -n -1 >"$work/big.jsonl"
rm -f "$work/grow.jsonl"
file=$work/big.jsonl
fsize=$(stat -c %s "$file")
lines=$(wc -l <"$file")
mb=$(awk -v b="$fsize" 'BEGIN { printf "%.1f", b / 1048576 }')

# measure NAME CMD... prints "seconds maxrss_kib" of one run.
measure() {
	local out=$work/time.txt
	if ! /usr/bin/time -v "$@" >/dev/null 2>"$out"; then
		echo "bench: $* failed:" >&2
		tail -5 "$out" >&2
		exit 1
	fi
	awk -F': ' '
		/Elapsed \(wall clock\)/ {
			n = split($2, p, ":"); s = 0
			for (i = 1; i <= n; i++) s = s * 60 + p[i]
		}
		/Maximum resident set size/ { rss = $2 }
		END { printf "%.3f %d\n", s, rss }' "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A secs rss
for tool in imhook jq; do
	: >"$work/$tool.s"
	: >"$work/$tool.m"
done
for i in $(seq 1 "$runs"); do
	read -r s m < <(measure "$imhook" validate -q "$file")
	echo "$s" >>"$work/imhook.s"
	echo "$m" >>"$work/imhook.m"
	read -r s m < <(measure jq empty "$file")
	echo "$s" >>"$work/jq.s"
	echo "$m" >>"$work/jq.m"
done
for tool in imhook jq; do
	secs[$tool]=$(median <"$work/$tool.s")
	rss[$tool]=$(median <"$work/$tool.m")
done

echo "recording: $mb MiB, $lines records; $runs runs each, medians; $(nproc) cores; $(go version | cut -d' ' -f3); jq $(jq --version)"
printf '%-28s %10s %10s %14s\n' tool seconds MiB/s "peak RSS MiB"
for tool in imhook jq; do
	name=$tool
	[[ $tool == imhook ]] && name="imhook validate -q" || name="jq empty"
	awk -v n="$name" -v s="${secs[$tool]}" -v m="${rss[$tool]}" -v mb="$mb" \
		'BEGIN { printf "%-28s %10.2f %10.1f %14.1f\n", n, s, mb / s, m / 1024 }'
done
awk -v a="${secs[imhook]}" -v b="${secs[jq]}" -v ra="${rss[imhook]}" -v rb="${rss[jq]}" \
	'BEGIN { printf "ratio imhook/jq: throughput %.2fx, peak RSS %.2fx\n", b / a, ra / rb }'
