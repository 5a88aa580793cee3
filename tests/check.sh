#!/bin/sh
# check.sh - run one lab's checker for a student (make checkN).
# The checker kills any single hung check after its own timeout; this outer
# limit is the last line of defence, so `make` can never hang.
bin=$1
shift
timeout -k 5 900 "$bin" "$@"
status=$?
if [ $status -eq 124 ] || [ $status -eq 137 ]; then
	echo "$(basename "$bin"): the checker itself was stopped after 15 minutes" >&2
fi
exit $status
