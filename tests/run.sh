#!/usr/bin/env bash
# run.sh - the whole test suite (make test).  Prints one line per step and
# ends with the plain summary line "N passed, N failed"; exits 1 on any failure.
#
# Steps: the toolkit's and the server's Criterion suites; then, for every lab,
# the checker on the reference solutions (every exercise must pass), the
# checker on the untouched handout (every check must FAIL: no vacuous check),
# and both builds of the lab program end to end in --quick mode.
set -u
BUILD=${BUILD:-build}
BIN=$BUILD/bin
LOGS=$BUILD/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export LAB_OUT=$BUILD/test-out   # plots and data from test runs stay in build/
unset LAB_URL                    # every program starts its own server

command -v pgrep >/dev/null || { echo "run.sh: pgrep is missing (scripts/deps.sh installs procps)" >&2; exit 1; }

# Programs of ours already running (a `make server` in another terminal) are not ours to judge.
# (The lab server runs as plain "labserver", without its path.)
# A lab server is ours when its program is one of $BUILD's (the tests of another
# build directory, even one inside $BUILD, may be running beside us).
build_dir=$(cd "$BUILD" 2>/dev/null && pwd -P)
our_servers() {
	for pid in $(pgrep -x labserver); do
		case $(readlink "/proc/$pid/exe" 2>/dev/null) in
		"$build_dir"/bin/* | "$build_dir"/thread/bin/* | "$build_dir"/address/bin/*) echo "$pid" ;;
		esac
	done
}
ours() { { pgrep -f "$BUILD/([a-z]+/)?bin/"; our_servers; } | sort -u; }
running_before=$(ours)

passed=0
failed=0
failures=()

# A student's handout (make handout) has no solutions/: the steps that need
# them are skipped, each one said, and counted at the end.
have_solutions=1
[ -d solutions ] || have_solutions=0
skipped=0
with_solutions() {   # with_solutions STEP: 0 when solutions/ is here; else says it skips STEP
	[ "$have_solutions" -eq 1 ] && return 0
	skipped=$((skipped + 1))
	printf '  SKIP  %s (no solutions/ here: a student handout)\n' "$1"
	return 1
}

# Every step runs under a hard time limit, so no hang can stall make test.
limit() { timeout -k 5 "$@"; }

record() {   # record NAME STATUS(0=pass) LOG [COUNT]
	local name=$1 status=$2 log=$3 count=${4:-1}
	if [ "$status" -eq 0 ]; then
		passed=$((passed + count))
		printf '  PASS  %s\n' "$name"
	else
		failed=$((failed + count))
		failures+=("$name")
		printf '  FAIL  %s   (log: %s)\n' "$name" "$log"
		sed 's/^/        | /' "$log" | tail -n 25
	fi
}

# A Criterion suite counts each of its tests.
criterion_suite() {   # criterion_suite BINARY
	local bin=$1 name log
	name=$(basename "$bin")
	log=$LOGS/$name.log
	limit 600 "$bin" --jobs 2 >"$log" 2>&1
	local status=$?
	local line tested passing
	line=$(grep -a 'Synthesis:' "$log" | tail -n 1)
	tested=$(echo "$line" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
	passing=$(echo "$line" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	if [ -z "$tested" ]; then   # crashed or killed before its synthesis
		record "$name (no summary: exit $status)" 1 "$log"
		return
	fi
	if [ "$passing" -gt 0 ]; then
		passed=$((passed + passing))
	fi
	if [ "$status" -eq 0 ] && [ "$tested" -eq "$passing" ]; then
		printf '  PASS  %s (%s tests)\n' "$name" "$tested"
	else
		failed=$((failed + tested - passing))
		failures+=("$name")
		printf '  FAIL  %s (%s of %s tests failed)   (log: %s)\n' "$name" \
			$((tested - passing)) "$tested" "$log"
		grep -a -E '^\[----\]|FAIL|CRASH|TIMEOUT' "$log" | sed 's/^/        | /' | head -n 40
	fi
}

echo "Toolkit and server suites:"
for t in "$BIN"/test_*; do
	[ -x "$t" ] && criterion_suite "$t"
done

# Clients nobody here wrote (curl, Python's urllib) against the lab server.
if [ -x tests/test_compat.sh ]; then
	log=$LOGS/test_compat.log
	BUILD=$BUILD limit 300 tests/test_compat.sh >"$log" 2>&1
	status=$?
	line=$(grep -a -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	cp=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	cf=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -n "$cp" ] && [ "$status" -eq 0 ] && [ "$cf" -eq 0 ]; then
		passed=$((passed + cp))
		printf '  PASS  test_compat (%s checks: curl and urllib against the lab server)\n' "$cp"
	else
		record "test_compat (curl and urllib against the lab server)" 1 "$log" "${cf:-1}"
		[ -n "$cp" ] && passed=$((passed + cp))
	fi
fi

# The instructor's toolkit: handout, grade, watch, reset, report, present.
if [ -x tests/test_toolkit.sh ]; then
	log=$LOGS/test_toolkit.log
	BUILD=$BUILD MAKE=${MAKE:-make} limit 300 tests/test_toolkit.sh >"$log" 2>&1
	record "the instructor's toolkit: handout, grade, watch, reset, report, present (tests/test_toolkit.sh)" $? "$log"
fi

# The reference programs again, built with each sanitizer: a data race or a
# memory error in the solutions (or the toolkit) fails the suite.
for san in thread address; do
	with_solutions "the reference programs build with -fsanitize=$san" || continue
	log=$LOGS/build-$san.log
	limit 600 ${MAKE:-make} -s -j2 BUILD="$BUILD/$san" SANITIZE=$san solutions >"$log" 2>&1
	record "the reference programs build with -fsanitize=$san" $? "$log"
done

# ThreadSanitizer for students: make tsanN runs the lab program under it; a
# checker built with it (Criterion's runner cannot run under TSan) refuses in one line.
log=$LOGS/tsan2.log
limit 600 ${MAKE:-make} -s --no-print-directory BUILD="$BUILD" tsan2 >"$log" 2>&1 &&
	grep -q 'no data race found' "$log"
record "make tsan2 runs the lab under ThreadSanitizer and says what it found" $? "$log"
log=$LOGS/tsan-checker.log
limit 600 ${MAKE:-make} -s BUILD="$BUILD/thread" SANITIZE=thread "$BUILD/thread/bin/check2" >"$log.build" 2>&1 &&
	{ limit 30 "$BUILD/thread/bin/check2" >"$log" 2>&1; [ $? -eq 2 ]; } &&
	grep -q 'cannot run under ThreadSanitizer' "$log" && [ "$(grep -c . "$log")" -eq 1 ]
record "a checker built with -fsanitize=thread refuses in one line" $? "$log"

# One lab's steps.  Runs in a subshell with counters of its own: its output
# goes to $LOGS/labs/N.out and its counts to $LOGS/labs/N.counts.
lab_steps() {   # lab_steps DIR
	local dir=$1 name n log json status san
	passed=0
	failed=0
	failures=()
	dir=${dir%/}
	name=${dir#labs/}
	n=${name%%-*}
	n=${n#0}
	echo "Lab $n ($name):"

	# A lab on an engine this machine could not install (lab 8's Open MPI)
	# must say so and exit 0; its other steps are skipped, and said.
	if grep -q 'HAVE_MPI' "$dir/lab.mk" 2>/dev/null && ! grep -q '^HAVE_MPI := 1' "$BUILD/deps.mk"; then
		log=$LOGS/lab$n-no-mpi.log
		limit 60 "$BIN/lab$n" --quick --no-plot >"$log" 2>&1 && grep -q 'Open MPI is not installed' "$log"
		record "lab $n: without Open MPI the lab says so and exits 0" $? "$log"
		skipped=$((skipped + 1))
		printf '  SKIP  lab %s: its other steps (Open MPI is not installed here)\n' "$n"
		printf '%s\n' "${failures[@]}" >"$LOGS/labs/$n.failures"
		echo "$passed $failed" >"$LOGS/labs/$n.counts"
		return
	fi

	if with_solutions "lab $n: checker passes on solutions/$name"; then
		log=$LOGS/check$n-solution.log
		limit 600 "$BIN/check$n-solution" >"$log" 2>&1
		record "lab $n: checker passes on solutions/$name" $? "$log"
	fi

	log=$LOGS/check$n-handout.log
	limit 600 "$BIN/check$n" --expect-not-done >"$log" 2>&1
	record "lab $n: checker fails every check on the untouched handout" $? "$log"

	log=$LOGS/lab$n-handout.log
	limit 300 "$BIN/lab$n" --quick --no-plot >"$log" 2>&1 &&
		grep -q 'not done yet' "$log"
	record "lab $n: handout program runs in --quick mode and names what is not done" $? "$log"

	if with_solutions "lab $n: the reference program, in --quick mode and under both sanitizers"; then
	log=$LOGS/solution$n.log
	json=$BUILD/test-out/lab$n.json
	rm -f "$json"
	limit 300 "$BIN/solution$n" --quick --no-plot --json "$json" >"$log" 2>&1 &&
		grep -q '"experiments"' "$json" && ! grep -q '"measured":false' "$json" &&
		! grep -q 'not done yet' "$log"
	record "lab $n: reference program runs in --quick mode, every experiment measured" $? "$log"

	for san in thread address; do
		log=$LOGS/solution$n-$san.log
		limit 600 "$BUILD/$san/bin/solution$n" --quick --no-plot >"$log" 2>&1 &&
			! grep -q -E 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$log"
		record "lab $n: reference program clean under -fsanitize=$san" $? "$log"
	done
	fi

	log=$LOGS/lab$n-badopt.log
	limit 30 "$BIN/lab$n" --no-such-option >"$log" 2>&1
	status=$?
	[ $status -eq 2 ] && grep -q 'usage:' "$log"
	record "lab $n: a bad option gets a one-line error, the usage and exit 2" $? "$log"

	# Any httpbin-compatible server will do: one without /stats, to the end.
	if "$BIN/lab$n" --help 2>&1 | grep -q -- '--url'; then
		if with_solutions "lab $n: reference program runs to its end against a server without /stats"; then
		log=$LOGS/solution$n-no-stats.log
		limit 300 tests/with-server.sh "$BIN/labserver" --no-stats -- \
			"$BIN/solution$n" --quick --no-plot >"$log" 2>&1 &&
			! grep -q 'not done yet' "$log"
		record "lab $n: reference program runs to its end against a server without /stats" $? "$log"
		fi

		log=$LOGS/lab$n-unreachable.log
		limit 30 "$BIN/lab$n" --quick --no-plot --url http://127.0.0.1:1 >"$log" 2>&1
		status=$?
		[ $status -eq 1 ] && grep -q 'cannot use the server http://127.0.0.1:1' "$log"
		record "lab $n: a server that does not answer is named at once, with the reason, exit 1" $? "$log"
	fi

	if [ -x "tests/lab$n-extra.sh" ]; then
		log=$LOGS/lab$n-extra.log
		BUILD=$BUILD MAKE=${MAKE:-make} limit 900 "tests/lab$n-extra.sh" >"$log" 2>&1
		record "lab $n: extra checks (tests/lab$n-extra.sh)" $? "$log"
	fi
	printf '%s\n' "${failures[@]}" >"$LOGS/labs/$n.failures"
	echo "$passed $failed" >"$LOGS/labs/$n.counts"
}

# Three labs at a time (LAB_JOBS): on 2 cores a lab spends most of its time
# waiting on the server or on its children, and its checks are built to hold
# on a busy machine.  Each lab's block is printed whole,
# in lab order, as soon as it and the labs before it are done.
LAB_JOBS=${LAB_JOBS:-3}
mkdir -p "$LOGS/labs"
lab_dirs=(labs/[0-9][0-9]-*/)
next_to_print=0
print_finished_labs() {
	while [ "$next_to_print" -lt "${#lab_dirs[@]}" ]; do
		local d=${lab_dirs[$next_to_print]%/} k
		k=${d#labs/}
		k=${k%%-*}
		k=${k#0}
		[ -f "$LOGS/labs/$k.counts" ] || return 0
		cat "$LOGS/labs/$k.out"
		local p f name
		read -r p f <"$LOGS/labs/$k.counts"
		passed=$((passed + p))
		failed=$((failed + f))
		while IFS= read -r name; do
			[ -n "$name" ] && failures+=("$name")
		done <"$LOGS/labs/$k.failures"
		next_to_print=$((next_to_print + 1))
	done
}
for dir in "${lab_dirs[@]}"; do
	dir=${dir%/}
	n=${dir#labs/}
	n=${n%%-*}
	n=${n#0}
	while [ "$(jobs -rp | wc -l)" -ge "$LAB_JOBS" ]; do
		wait -n
		print_finished_labs
	done
	(lab_steps "$dir") >"$LOGS/labs/$n.out" 2>&1 &
done
wait
print_finished_labs

# Lab 9's mutants are judged against every model's figures for seed 1 (the
# mutants' seed, tests/lab9_check.c).  They are measured here, by the
# reference solution's check, now that no other lab runs: a parallel model
# measured while other labs had the cores would let a wrong pick in.
if [ $# -gt 0 ] && [ -x "$BIN/check9-solution" ] && printf '%s\n' "$@" | grep -q '/mutants/lab9/'; then
	export LAB9_CACHE=$BUILD/lab9-seed1.measured
	rm -f "$LAB9_CACHE"
	log=$LOGS/check9-solution-seed1.log
	LAB9_SEED=1 limit 300 "$BIN/check9-solution" >"$log" 2>&1 && grep -q '^Score: 6/6' "$log"
	record "lab 9: the reference solution passes under seed 1 too (the mutants' seed, measured alone)" $? "$log"
fi

# The checkers against wrong solutions (tests/mutants): each mutant is one test.
if [ $# -gt 0 ]; then
	echo "Mutants (wrong solutions each checker must catch, valid designs it must accept):"
	log=$LOGS/mutants.log
	limit 900 tests/mutants.sh "$@" >"$log" 2>&1
	mstatus=$?
	grep -a -E '^  (PASS|FAIL) ' "$log" | grep -a '^  FAIL' | sed 's/^/  /'
	mpass=$(grep -a -c '^  PASS ' "$log")
	mfail=$(grep -a -c '^  FAIL ' "$log")
	passed=$((passed + mpass))
	failed=$((failed + mfail))
	summary=$(grep -a '^mutants:' "$log")
	if [ -z "$summary" ] || { [ $mstatus -ne 0 ] && [ "$mfail" -eq 0 ]; }; then
		failed=$((failed + 1))
		summary="mutants: the run did not finish (exit $mstatus, log: $log)"
	fi
	[ "$mfail" -eq 0 ] && [ $mstatus -eq 0 ] || failures+=("mutants")
	echo "  $summary"
elif [ "$have_solutions" -eq 0 ]; then
	echo "Mutants:"
	with_solutions "the checkers against the wrong solutions (tests/mutants: not in a handout)"
fi

# Nothing may be left running: no server, no lab child.
log=$LOGS/leftovers.log
sleep 0.5
comm -13 <(echo "$running_before") <(ours) | while read -r pid; do
	ps -o pid=,args= -p "$pid"
done >"$log" 2>&1
[ ! -s "$log" ]
record "no process from $BUILD left running after the suite" $? "$log"

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed: ${failures[*]}"
fi
if [ "$have_solutions" -eq 0 ]; then   # the labs' skips were counted in their own subshells
	skipped=$((skipped + $(cat "$LOGS"/labs/*.out 2>/dev/null | grep -c '^  SKIP ')))
	echo "$skipped steps skipped: this copy has no solutions/ (a student handout, from make handout)"
fi
if grep -q -s 'Open MPI is not installed here' "$LOGS"/labs/*.out; then
	echo "lab 8's steps were skipped: Open MPI is not installed here (scripts/deps.sh installs it unless WB_NO_MPI=1)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
