#!/bin/sh
# lab7-bench.sh - lab 7's figures for make bench (goals, on 2 cores):
#   10,000 x /delay/1 at once on the event loop (7.2): 0 errors, <= 1.3 s wall
#   1,000 x /delay/1: <= 1.05 s
#   memory per transfer in flight: <= 12 KiB
#   against Python's asyncio (aiohttp) on the same 10,000, measured in this
#   same run: >= 4x faster, <= 0.5 of its memory per transfer.
# The companion runs first (make lab7-python), then the lab, which prints
# its figures beside Python's.  Goals missed are reported; only a failed run
# fails the script.
BUILD=${BUILD:-build}
status=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
out=${LAB_OUT:-$BUILD/bench-out/lab7}
mkdir -p "$out" || exit 1
rm -f "$out/python.dat"

echo
echo "== lab 7: the event loop (reference solution), beside Python's asyncio =="
LAB_OUT=$out BUILD=$BUILD labs/07-event-loop/python/run.sh || status=1
echo
LAB_OUT=$out timeout -k 5 600 "$BUILD/bin/solution7" --no-plot >"$log" 2>&1 || status=1
cat "$log"

row() {   # row NAME: the wall time and the errors of the table's row NAME
	sed -n "s/^  $1  *\([0-9.]*\) .*, \([0-9]*\) errors.*/\1 \2/p" "$log" | head -n 1
}
verdict() {   # verdict WHAT VALUE OP TARGET
	if [ -z "$2" ]; then
		printf '  %-48s %8s   (not measured)\n' "$1" "-"
		return
	fi
	ok=$(awk -v v="$2" -v t="$4" -v op="$3" \
		'BEGIN { print (op == ">=" ? v >= t : op == "<=" ? v <= t : 0) ? "ok" : "MISSED" }')
	printf '  %-48s %8s   goal %s %s: %s\n' "$1" "$2" "$3" "$4" "$ok"
}

set -- $(row 'event loop 10000x1s')
wall10k=${1:-}
err10k=${2:-}
set -- $(row 'event loop 1000x1s')
wall1k=${1:-}
kib=$(sed -n 's/.*in flight per transfer: \([0-9.]*\) KiB.*/\1/p' "$log" | head -n 1)
py=$(awk '$1 == "asyncio" && $2 == 10000 { print $3, $7 }' "$out/python.dat" 2>/dev/null)
set -- $py
pywall=${1:-}
pykib=${2:-}
faster=
ratio=
[ -n "$pywall" ] && [ -n "$wall10k" ] && faster=$(awk -v a="$pywall" -v b="$wall10k" 'BEGIN { printf "%.2f", a / b }')
[ -n "$pykib" ] && [ -n "$kib" ] && ratio=$(awk -v a="$kib" -v b="$pykib" 'BEGIN { printf "%.2f", a / b }')

echo
echo "lab 7 goals:"
verdict "10,000 x /delay/1, errors" "$err10k" "<=" 0
verdict "10,000 x /delay/1, wall s (ideal 1.00)" "$wall10k" "<=" 1.3
verdict "1,000 x /delay/1, wall s (ideal 1.00)" "$wall1k" "<=" 1.05
verdict "memory per transfer in flight, KiB" "$kib" "<=" 12
verdict "asyncio's wall / ours at 10,000 (x faster)" "$faster" ">=" 4
verdict "our memory per transfer / asyncio's" "$ratio" "<=" 0.5
exit $status
