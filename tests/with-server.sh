#!/bin/sh
# with-server.sh - run a program against a lab server of its own options.
#
#   tests/with-server.sh LABSERVER [server options] -- PROGRAM [args]
#
# Starts LABSERVER on a free port of 127.0.0.1 with the given options, runs
# PROGRAM with --url pointing at it, and stops the server however PROGRAM
# ends.  Exits with PROGRAM's status.
server=$1
shift
opts=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	opts="$opts $1"
	shift
done
[ "${1:-}" = "--" ] && shift
urlfile=$(mktemp) || exit 1
# shellcheck disable=SC2086  # the options are words
"$server" --port 0 $opts >"$urlfile" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$urlfile"' EXIT INT TERM
url=
tries=0
while [ -z "$url" ] && [ $tries -lt 50 ]; do
	url=$(head -n 1 "$urlfile")
	[ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
done
[ -n "$url" ] || { echo "with-server.sh: $server did not start" >&2; exit 1; }
prog=$1
shift
"$prog" "$@" --url "$url"
