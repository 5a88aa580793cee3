#!/bin/sh
# lab4-bench.sh - lab 4's figures for make bench (targets, on 2 cores):
#   2 CPU-bound threads under the simulated GIL: time >= 1.0 x sequential
#   2 threads with no GIL (free-threaded, in spirit): speedup >= 1.9
#   the convoy at 5 ms: median round trip about one interval (3 to 10 ms),
#   and how many times fewer round trips than alone
# with real CPython's figures beside them (make lab4-python) when python3 is
# there: the companion runs first, and the lab prints its figures next to
# its own.  Targets missed are reported; only a failed run fails the script.
BUILD=${BUILD:-build}
status=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

echo
echo "== lab 4: a GIL, simulated (reference solution, 5 ms interval), beside CPython =="
BUILD=$BUILD labs/04-gil/python/run.sh || status=1
echo
timeout -k 5 600 "$BUILD/bin/solution4" --interval 5 --no-plot >"$log" 2>&1 || status=1
cat "$log"

# The lab's summary lines, e.g. "  CPU, 2 threads under the GIL:    1.02x the sequential time".
figure() {   # figure PATTERN: the first number after PATTERN on its summary line
	sed -n "s/.*$1[^0-9]*\([0-9][0-9.]*\).*/\1/p" "$log" | head -n 1
}
verdict() {   # verdict WHAT VALUE OP TARGET
	if [ -z "$2" ]; then
		printf '  %-44s %8s   (not measured)\n' "$1" "-"
		return
	fi
	ok=$(awk -v v="$2" -v t="$4" -v op="$3" \
		'BEGIN { print (op == ">=" ? v >= t : op == "<=" ? v <= t : 0) ? "ok" : "MISSED" }')
	printf '  %-44s %8s   target %s %s: %s\n' "$1" "$2" "$3" "$4" "$ok"
}

echo
echo "lab 4 targets:"
verdict "2 threads under the GIL, x sequential time" "$(figure '2 threads under the GIL:')" ">=" 1.0
verdict "2 threads without a GIL, speedup" "$(figure '2 threads without a GIL:')" ">=" 1.9
median=$(figure 'convoy at 5 ms: median')
verdict "convoy at 5 ms, median round trip (ms)" "$median" ">=" 3
verdict "convoy at 5 ms, median round trip (ms)" "$median" "<=" 10
fewer=$(sed -n 's/.*beside a CPU thread (\([0-9.]*\)x fewer).*/\1/p' "$log" | head -n 1)
printf '  %-44s %8s   (the same echo in CPython: see its figures above)\n' \
	"convoy: round trips alone / beside a CPU thread" "${fewer:--}"
exit $status
