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

# measure CMD... prints "wall_seconds maxrss_kib cpu_seconds" of one run.
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
		/User time \(seconds\)/ { cpu += $2 }
		/System time \(seconds\)/ { cpu += $2 }
		END { printf "%.3f %d %.3f\n", s, rss, cpu }' "$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A secs rss cpu
for tool in imhook jq; do
	: >"$work/$tool.s"
	: >"$work/$tool.m"
	: >"$work/$tool.c"
done
for i in $(seq 1 "$runs"); do
	for tool in imhook jq; do
		if [[ $tool == imhook ]]; then
			read -r s m c < <(measure "$imhook" validate -q "$file")
		else
			read -r s m c < <(measure jq empty "$file")
		fi
		echo "$s" >>"$work/$tool.s"
		echo "$m" >>"$work/$tool.m"
		echo "$c" >>"$work/$tool.c"
	done
done
for tool in imhook jq; do
	secs[$tool]=$(median <"$work/$tool.s")
	rss[$tool]=$(median <"$work/$tool.m")
	cpu[$tool]=$(median <"$work/$tool.c")
done

echo "recording: $mb MiB, $lines records; $runs runs each, medians; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3); $(jq --version)"
printf '%-22s %9s %9s %9s %12s %13s\n' tool "wall s" "MiB/s" "CPU s" "MiB/CPU-s" "peak RSS MiB"
for tool in imhook jq; do
	[[ $tool == imhook ]] && name="imhook validate -q" || name="jq empty"
	awk -v n="$name" -v s="${secs[$tool]}" -v m="${rss[$tool]}" -v c="${cpu[$tool]}" -v mb="$mb" \
		'BEGIN { printf "%-22s %9.2f %9.1f %9.2f %12.1f %13.1f\n", n, s, mb / s, c, mb / c, m / 1024 }'
done
awk -v a="${secs[imhook]}" -v b="${secs[jq]}" -v ca="${cpu[imhook]}" -v cb="${cpu[jq]}" -v ra="${rss[imhook]}" -v rb="${rss[jq]}" \
	'BEGIN { printf "imhook/jq: wall throughput %.2fx, CPU cost %.2fx, peak RSS %.2fx\n", b / a, ca / cb, ra / rb }'
