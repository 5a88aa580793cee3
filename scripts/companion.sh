# companion.sh - what the Python companions (labs/NN-name/python/run.sh) share:
# a lab server to talk to, started and stopped here.  Sourced, not run:
#
#     . "$root/scripts/companion.sh"
#     companion_server lab7-python      # sets $url: $LAB_URL, or a server of our own
#
# A server started here listens on a free port of 127.0.0.1 and is stopped
# however the script ends (its EXIT trap is set here).
companion_server_pid=
companion_urlfile=
companion_cleanup() {
	if [ -n "$companion_server_pid" ]; then
		kill "$companion_server_pid" 2>/dev/null
		wait "$companion_server_pid" 2>/dev/null
	fi
	[ -n "$companion_urlfile" ] && rm -f "$companion_urlfile"
}

companion_server() {   # companion_server NAME: sets url, or exits 1 saying why
	trap companion_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	url=${LAB_URL:-}
	[ -n "$url" ] && return 0
	server=${BUILD:-build}/bin/labserver
	if [ ! -x "$server" ]; then
		echo "$1: $server not found: run make first (or set LAB_URL)" >&2
		exit 1
	fi
	companion_urlfile=$(mktemp) || exit 1
	"$server" --port 0 >"$companion_urlfile" &
	companion_server_pid=$!
	# Its first line on stdout is its URL; give it 5 s to say it.
	tries=0
	while [ -z "$url" ] && [ $tries -lt 50 ]; do
		url=$(head -n 1 "$companion_urlfile")
		[ -n "$url" ] || { sleep 0.1; tries=$((tries + 1)); }
	done
	if [ -z "$url" ]; then
		echo "$1: the lab server did not start" >&2
		exit 1
	fi
}
