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

server_pid=
urlfile=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	[ -n "$urlfile" ] && rm -f "$urlfile"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

url=${LAB_URL:-}
if [ -z "$url" ]; then
	server=$BUILD/bin/labserver
	if [ ! -x "$server" ]; then
		echo "lab4-python: $server not found: run make first (or set LAB_URL)" >&2
		exit 1
	fi
	urlfile=$(mktemp) || exit 1
	"$server" --port 0 >"$urlfile" &
	server_pid=$!
	# Its first line on stdout is its URL; give it 5 s to say it.
	tries=0
	while [ -z "$url" ] && [ $tries -lt 50 ]; do
		url=$(head -n 1 "$urlfile")
		[ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
	done
	if [ -z "$url" ]; then
		echo "lab4-python: the lab server did not start" >&2
		exit 1
	fi
fi

"$PYTHON" "$here/gil_lab.py" --url "$url" --out "$out" "$@"
