#!/bin/sh
# run.sh - lab 4's experiments in real CPython (make lab4-python).
#
# Runs gil_lab.py against a lab server: $LAB_URL if set, else one started
# here (build/bin/labserver on a free port, stopped again however this
# script ends).  Options go to gil_lab.py: make lab4-python ARGS=--quick.
# Without python3 there is nothing to compare with: it says so and exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root" || exit 1
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-python3}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
	echo "lab4-python: $PYTHON not found, so there is no CPython to compare with; skipped."
	exit 0
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 6))' 2>/dev/null; then
	echo "lab4-python: $("$PYTHON" --version 2>&1) is too old (3.6 or later needed); skipped."
	exit 0
fi

out=${LAB_OUT:-$root/out/lab4}
mkdir -p "$out" || exit 1

. "$root/scripts/companion.sh"
companion_server lab4-python

"$PYTHON" "$here/gil_lab.py" --url "$url" --out "$out" "$@"
