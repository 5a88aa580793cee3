#!/usr/bin/env bash
# mutants.sh - prove the checkers against wrong solutions (make mutants; make test runs it).
#
#   tests/mutants.sh BUILD/mutants/labN/NAME/check ...
#
# Each tests/mutants/labN/NAME.patch is a change to the lab's reference
# exercises.c, with a header saying what it is:
#     exercise: 2.2     a plausible mistake; the checker must fail exercise 2.2,
#                       report those that need 2.2 as skipped, pass every other
#     valid: ...        an unusual but correct design; the checker must pass it all
# Every run must also end within its time limit and leave no process behind.
# Prints one PASS/FAIL line per mutant, then
#     mutants: K of K caught, V of V valid designs accepted
# and exits 1 unless every mutant was caught and every valid design accepted.
set -u
BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs/mutants
mkdir -p "$LOGS"
# Four at a time: most of a mutant's run is waiting (on the server, a child,
# a deadline), and every check is built to hold on a busy 2-core machine.
JOBS=${MUTANT_JOBS:-4}

# One mutant: prints "PASS|FAIL kind name detail".
one() {
	local check=$1 rel name patch log kind target status
	rel=${check#"$BUILD"/mutants/}
	rel=${rel%/check}
	name=$rel
	patch=tests/mutants/$rel.patch
	log=$LOGS/${rel//\//-}.log
	target=$(sed -n 's/^exercise: *\([0-9.]*\).*/\1/p' "$patch" | head -n 1)
	local started=$SECONDS
	if [ -n "$target" ]; then
		kind=wrong
		timeout -k 5 120 "$check" --expect-failing "$target" >"$log" 2>&1
	else
		kind=valid
		timeout -k 5 180 "$check" >"$log" 2>&1
	fi
	status=$?
	local took=$((SECONDS - started))
	# Nothing of this mutant's may outlive its run.
	sleep 0.2
	local left
	left=$(pgrep -f "^$check( |$)" | wc -l)
	local detail
	if [ "$kind" = wrong ]; then
		detail=$(grep -a -E '^  (caught|NOT CAUGHT)' "$log" | head -n 1 | sed 's/^  //')
	else
		detail=$(grep -a '^Score:' "$log" | head -n 1)
	fi
	[ -n "$detail" ] || detail="no verdict (exit $status): see $log"
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		detail="ran past its time limit ($took s): see $log"
		status=1
	fi
	if [ "$left" -gt 0 ]; then
		detail="$detail; $left process(es) left running"
		pkill -KILL -f "^$check( |$)"
		status=1
	fi
	local verdict=PASS
	[ "$status" -eq 0 ] || verdict=FAIL
	printf '%s %s %s [%ss] %s\n' "$verdict" "$kind" "$name${target:+ ($target)}" "$took" "$detail"
}
export -f one
# The checkers start the lab server from beside themselves; these are elsewhere.
LABSERVER=$(cd "$BUILD/bin" && pwd)/labserver
export BUILD LOGS LABSERVER

[ $# -gt 0 ] || { echo "mutants.sh: no mutant checkers given" >&2; exit 2; }
results=$(printf '%s\n' "$@" | xargs -P "$JOBS" -I{} bash -c 'one "$@"' _ {} | sort -k3)

caught=0 wrong=0 accepted=0 valid=0
while read -r verdict kind rest; do
	[ -n "$verdict" ] || continue
	if [ "$kind" = wrong ]; then
		wrong=$((wrong + 1))
		[ "$verdict" = PASS ] && caught=$((caught + 1))
		what="wrong solution"
	else
		valid=$((valid + 1))
		[ "$verdict" = PASS ] && accepted=$((accepted + 1))
		what="valid design"
	fi
	printf '  %s  %s %s\n' "$verdict" "$what" "$rest"
done <<<"$results"
echo "mutants: $caught of $wrong caught, $accepted of $valid valid designs accepted"
[ "$caught" -eq "$wrong" ] && [ "$accepted" -eq "$valid" ]
