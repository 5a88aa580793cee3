#!/bin/sh
# bench.sh - the benchmark figures the issues ask for (make bench), as ratios
# to the ideal.  Benchmarks measure speed; tests never do.  Run it on a quiet
# machine: anything else running shows up in the figures.
BUILD=${BUILD:-build}
BIN=$BUILD/bin
export LAB_OUT=$BUILD/bench-out
status=0

section() {
	echo
	echo "== $* =="
}

section "the lab server (make bench-server)"
BUILD=$BUILD tests/bench-server.sh || status=1

for script in tests/lab[0-9]*-bench.sh; do
	[ -x "$script" ] || continue
	BUILD=$BUILD "$script" || status=1
done
exit $status
