#!/bin/sh
# bench-server.sh - the lab server under load (make bench-server).
#
# Starts one labserver, then measures it twice:
#   1. bench_server: 10,000 concurrent GET /delay/1 from one client process
#      (wall time, errors, overlap, lateness; goals: <= 1.3 s, 0 errors,
#      p99 lateness <= 10 ms);
#   2. keep-alive GET /get throughput: with wrk if it is installed, else with
#      bench_server's own libcurl loop (goal: >= 60,000 req/s);
#   3. bench_attacks: the server's peak RSS with 200 slow readers, and /get's
#      p99 while 500 slowloris clients trickle and while 2,000 drips run
#      (goal: <= 100 ms; drips within 10 % of their duration).
# The server is stopped however the script ends; nothing else is started.
set -eu

BUILD=${BUILD:-build}
BIN=$BUILD/bin
GOAL_RATE=60000

tmp=$(mktemp -d)
server_pid=

cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start the server and wait (at most 5 s) for its first line: the URL.
"$BIN/labserver" >"$tmp/url" &
server_pid=$!
tries=0
while [ ! -s "$tmp/url" ]; do
	tries=$((tries + 1))
	if [ "$tries" -gt 50 ]; then
		echo "bench-server: $BIN/labserver printed no URL within 5 s" >&2
		exit 1
	fi
	sleep 0.1
done
url=$(head -n 1 "$tmp/url")
echo "bench-server: lab server $url on $(nproc) cores"
echo

"$BIN/bench_server" --url "$url" --requests 10000 --delay 1
echo

if command -v wrk >/dev/null 2>&1; then
	# One wrk thread: wrk on one core, the one-thread server on the other.
	wrk -t1 -c64 -d5s "$url/get" >"$tmp/wrk"
	echo "keep-alive GET /get, 64 connections, 5 s (wrk -t1 -c64 -d5s)"
	awk -v goal="$GOAL_RATE" '
		/^Requests\/sec:/ { rate = $2 }
		/Non-2xx|Socket errors/ { problems = problems "  " $0 "\n" }
		END {
			printf "  throughput  %9.0f req/s  = %.2f of the %d req/s goal\n", rate, rate / goal, goal
			printf "%s", problems
		}' "$tmp/wrk"
else
	"$BIN/bench_server" --url "$url" --requests 0 --throughput 5
fi
echo

# A fresh server for the attacks: the throughput run must not colour them.
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
"$BIN/labserver" >"$tmp/url2" &
server_pid=$!
tries=0
while [ ! -s "$tmp/url2" ] && [ "$tries" -lt 50 ]; do
	tries=$((tries + 1))
	sleep 0.1
done
"$BIN/bench_attacks" --url "$(head -n 1 "$tmp/url2")"
