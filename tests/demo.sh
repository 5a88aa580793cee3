#!/bin/sh
# demo.sh - every finished lab's reference program in order, quick settings,
# tables and terminal plots (make demo, for a class).
BUILD=${BUILD:-build}
for dir in labs/[0-9][0-9]-*/; do
	dir=${dir%/}
	name=${dir#labs/}
	n=${name%%-*}
	n=${n#0}
	echo
	echo "================================================================"
	echo "  make solution$n ARGS=--quick     ($name)"
	echo "================================================================"
	timeout -k 5 600 "$BUILD/bin/solution$n" --quick || exit 1
done
