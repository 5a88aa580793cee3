#!/usr/bin/env bash
# lab9-extra.sh - lab 9's checks beyond the checker (make test runs it):
#   1. the probe on any command: a program that only sleeps reads cpu/wall ~0;
#   2. the probe of a mystery workload against a server without /stats still
#      prints its signature, with "-" for the server's figures;
#   3. Ctrl-C in the middle of the lab's measurements leaves no process behind
#      (every run's process group, and the processes inside it, go with it);
#   4. the seed shuffles which kind of work each mK is: the lab on the
#      handout (nothing accepted) names no kind, only m1 ... m6.
# (The reference solution under seed 1, the mutants' seed, is checked by
# tests/run.sh just before the mutants, when no other lab runs.)
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bin
fail=0
say() { printf '  %s: %s\n' "$1" "$2"; }

out=$(timeout 30 "$BIN/probe" sleep 0.3 2>&1)
cpu=$(echo "$out" | sed -n 's/.*1 worker .*cpu\/wall \([0-9.]*\).*/\1/p')
wall=$(echo "$out" | sed -n 's/.*1 worker *wall \([0-9.]*\) s.*/\1/p')
if [ -n "$cpu" ] && [ -n "$wall" ] && awk "BEGIN{exit !($cpu < 0.2 && $wall >= 0.3)}"; then
	say PASS "probe sleep 0.3: wall $wall s, cpu/wall $cpu"
else
	say FAIL "probe sleep 0.3 gave: $out"; fail=1
fi

# the kinds' names (wl_kind_name, measure.c): the handout's run shows none
out=$(timeout 120 "$BIN/lab9" --quick --no-plot 2>&1)
st=$?
named=$(echo "$out" | grep -E -i 'accepted:|waiting-bound|one global lock|tiny tasks|idle connections|shares nothing|waiting, then computing')
if [ $st -eq 0 ] && [ -z "$named" ] && echo "$out" | grep -q 'seed [0-9]'; then
	say PASS "lab9 --quick on the handout: the seed printed, every workload by its neutral name only"
else
	say FAIL "lab9 --quick on the handout (exit $st) names a kind: ${named:-$out}"; fail=1
fi

# a fresh cache, so that the probe really measures against this server
export LAB9_CACHE=$(mktemp -u "${TMPDIR:-/tmp}/lab9-extra.XXXXXX")
# the probe reads LAB_URL (it takes no --url)
out=$(timeout 60 sh -c '
	url=$(mktemp); "$1" --port 0 --no-stats >"$url" & pid=$!
	for i in $(seq 50); do [ -s "$url" ] && break; sleep 0.1; done
	LAB_URL=$(head -n 1 "$url") "$2" m1; st=$?
	kill $pid; wait $pid 2>/dev/null; rm -f "$url"; exit $st' _ "$BIN/labserver" "$BIN/probe" 2>&1)
st=$?
if [ $st -eq 0 ] && echo "$out" | grep -q 'requests  *-$' && echo "$out" | grep -q 'scaling 1->2'; then
	say PASS "probe m1 against a server without /stats: signature printed, requests \"-\""
else
	say FAIL "probe m1 against a server without /stats (exit $st): $out"; fail=1
fi

# Ctrl-C (SIGINT) while the lab measures every model of every workload
# (a background job of a script starts with SIGINT ignored: env gives it back its default)
LAB9_FRESH=1 LAB_OUT=$BUILD/test-out env --default-signal=INT "$BIN/solution9" --no-plot \
	>/dev/null 2>&1 &
lab=$!
sleep 2
servers=$(pgrep -P $lab -x labserver)   # its own server: other labs' may run beside it
kill -INT $lab
wait $lab 2>/dev/null
status=$?
sleep 0.5
left=$(pgrep -f "^$BIN/solution9" | wc -l)
# its runs are forks of it (the same command line); its server was its child
kids=0
for pid in $servers; do
	kill -0 "$pid" 2>/dev/null && kids=$((kids + 1))
done
if [ $status -ne 0 ] && [ "$left" -eq 0 ] && [ "$kids" -eq 0 ]; then
	say PASS "Ctrl-C in the middle of the measurements: the lab stopped (status $status), nothing left running"
else
	say FAIL "Ctrl-C: status $status; $left lab process(es) and $kids orphaned server(s) left running"
	fail=1
fi
rm -f "$LAB9_CACHE" "$LAB9_CACHE.lock"
exit $fail
