#!/bin/sh
# tsan.sh - run a lab program built with -fsanitize=thread (make tsanN) and
# say plainly whether ThreadSanitizer saw a data race.  Quick settings: a race
# shows up on a short run as well as on a long one, because TSan watches every
# memory access, not the result.
prog=$1
shift
name=$(basename "$prog")
log=$(mktemp)
trap 'rm -f "$log"' EXIT INT TERM
echo "$name under ThreadSanitizer (quick settings; it runs 5-15x slower than usual) ..."
TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
	timeout -k 5 600 "$prog" --quick --no-plot "$@" >"$log" 2>&1
status=$?
reports=$(grep -c 'WARNING: ThreadSanitizer' "$log")
if [ "$reports" -gt 0 ]; then
	# The reports, without the lab's own table around them.
	sed -n '/^==================$/,/^==================$/p' "$log"
	echo
	echo "$name: ThreadSanitizer found $reports problem(s) in your code. Read each report from"
	echo "the top: the two stacks are the two threads that touched the same memory, at least"
	echo "one of them writing, with no lock held in common.  Your file's lines are in them."
	exit 1
fi
if [ $status -ne 0 ]; then
	tail -n 20 "$log"
	echo "$name: the program stopped with status $status (see above); no data race was reported."
	exit $status
fi
echo "$name: no data race found (ThreadSanitizer watched every access of this run)."
