#!/usr/bin/env bash
# grade.sh - every lab's checker, as one Gradescope results.json (make grade).
#
#   scripts/grade.sh [N...]     N: lab N alone (make grade LAB=N, or LAB="1 3")
#
# Environment: BUILD (build), MAKE (make), RESULTS (where results.json goes:
# $BUILD/grade/results.json; on Gradescope, /autograder/results/results.json),
# GRADE_TIMEOUT (seconds one lab's checker may take in all: 600), GRADE_ARGS
# (more options for every checker, e.g. "--hang-after 5").
#
# Each exercise is one test of 1 point: done, or 0 with the checker's verdict
# and message.  A lab whose file does not compile, or whose checker dies,
# scores 0 on every exercise it did not report, with the reason; the run
# always goes on to the next lab.  Prints one line per lab, then one summary.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
BIN=$BUILD/bin
DIR=$BUILD/grade
RESULTS=${RESULTS:-$DIR/results.json}
LIMIT=${GRADE_TIMEOUT:-600}
only=" $* "
mkdir -p "$DIR"

[ -x "$BIN/gradebook" ] || { echo "grade: $BIN/gradebook is missing (make grade builds it)" >&2; exit 2; }

# "id<TAB>function<TAB>title", one line per exercise of the checker's table.
exercises_of() {
	sed -n 's/^[[:space:]]*{ *"\([0-9][0-9.]*\)", *"\([^"]*\)", *"\([^"]*\)".*/\1\t\2\t\3/p' "$1"
}
lab_title() {
	sed -n 's/^[[:space:]]*\.title *= *"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

files=()
found=0
for dir in labs/[0-9][0-9]-*/; do
	dir=${dir%/}
	name=${dir#labs/}
	n=${name%%-*}
	n=${n#0}
	[ "$only" = "  " ] || [[ $only == *" $n "* ]] || continue
	found=1
	src=tests/lab${n}_check.c
	json=$DIR/lab$n.json
	log=$DIR/lab$n.log
	rm -f "$json" "$json.tmp"
	[ -f "$src" ] || { echo "  lab $n: no checker (tests/lab${n}_check.c): not graded"; continue; }
	title=$(lab_title "$src")
	why=""
	if ! $MAKE -s --no-print-directory BUILD="$BUILD" "$BIN/check$n" "$BIN/labserver" >"$log.build" 2>&1; then
		first=$(grep -a -m 1 -E 'error|Error' "$log.build")
		why="did not build (make check$n shows the compiler's messages): ${first:-see $log.build}"
	else
		# shellcheck disable=SC2086  # GRADE_ARGS is a list of options
		timeout -k 5 "$LIMIT" "$BIN/check$n" --json "$json" ${GRADE_ARGS:-} >"$log" 2>&1
		status=$?
		if [ ! -s "$json" ]; then
			why="the checker stopped (exit status $status) before it reported anything"
		elif [ $status -eq 124 ] || [ $status -eq 137 ]; then
			echo "  lab $n: the checker was stopped after $LIMIT s; exercises it had not reached score 0"
		elif [ $status -gt 1 ]; then
			echo "  lab $n: the checker ended with exit status $status; exercises it had not reached score 0"
		fi
	fi
	if [ -n "$why" ]; then
		exercises_of "$src" | "$BIN/gradebook" zero "$json" "$n" "${title:-lab $n}" "$why" ||
			{ echo "grade: cannot write $json" >&2; exit 1; }
	fi
	files+=("$json")
	score=$(grep -a -m 1 -o '"output":[[:space:]]*"Lab [^"]*' "$json" | sed 's/.*"Lab /Lab /')
	printf '  %s   (log: %s)\n' "${score:-lab $n}" "$( [ -n "$why" ] && echo "$log.build" || echo "$log")"
done

if [ "$found" -eq 0 ]; then
	echo "grade: no lab numbered${only% } in labs/" >&2
	exit 2
fi
[ ${#files[@]} -gt 0 ] || { echo "grade: no lab could be graded" >&2; exit 1; }
"$BIN/gradebook" merge "$RESULTS" "${files[@]}"
