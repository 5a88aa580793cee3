#!/usr/bin/env bash
# watch.sh - check a lab again each time its exercises.c is saved (make watch LAB=N).
#
#   scripts/watch.sh NN-name [--runs K] [--poll S]
#   (make watch LAB=N WATCH="--runs K"; ARGS="--only K" reaches the checker, as in make checkN)
#
# The first check shows the whole report; every later one only what changed
# (an exercise that went from "not done" to "done", a new failure and its
# message), or "no change" and what is next.  It waits for the save with
# inotifywait (Debian's inotify-tools) or, where that is missing, by looking
# at the file every S seconds (--poll S, or WB_WATCH_POLL=S: 1).  --runs K
# stops after K checks (tests); Ctrl-C stops it at any time.
set -u
BUILD=${BUILD:-build}
MAKE=${MAKE:-make}
dir=${1:?usage: watch.sh NN-name [--runs K] [--poll S]}
shift
runs=0
poll=${WB_WATCH_POLL:-}
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?--runs K}; shift 2 ;;
	--once) runs=1; shift ;;
	--poll) poll=${2:?--poll S}; shift 2 ;;
	*) echo "watch: unknown option '$1' (--runs K, --once, --poll S)" >&2; exit 2 ;;
	esac
done
n=${dir%%-*}
n=${n#0}
file=labs/$dir/exercises.c
[ -f "$file" ] || { echo "watch: no $file" >&2; exit 2; }
if [ -z "$poll" ] && ! command -v inotifywait >/dev/null 2>&1; then
	poll=1
	echo "watch: inotifywait is missing (apt-get install inotify-tools): looking at the file every second"
fi

tmp=$(mktemp -d)
child=""
stop() {
	[ -n "$child" ] && kill "$child" 2>/dev/null
	rm -rf "$tmp"
	echo
	echo "watch: stopped."
	exit 0
}
trap stop INT TERM
trap 'rm -rf "$tmp"' EXIT

stamp() { stat -c %y "$file" 2>/dev/null; }

# The verdicts of one report, one line per exercise: its verdict line, then
# the lines of its message (indented under it), joined by \036.
verdicts() {
	awk '/^  [0-9]+\.[0-9]+ / { if (block != "") print block; block = $0; next }
	     /^       / && block != "" { block = block "\036" $0; next }
	     /^Score:/ { if (block != "") print block; block = ""; next }
	     END { if (block != "") print block }' "$1"
}

# "done", "not done", "FAILING", ...: columns 8-16 of the checker's verdict line.
verdict_of() { echo "$1" | awk '{ v = substr($0, 8, 9); sub(/ +$/, "", v); print v; exit }'; }

check() {   # check NUMBER
	local out=$tmp/run$1
	echo "[$(date +%H:%M:%S)] checking lab $n ($file) ..."
	$MAKE -s --no-print-directory BUILD="$BUILD" "check$n" </dev/null >"$out" 2>&1 &
	child=$!
	wait "$child"
	local status=$?
	child=""
	if ! grep -q '^Score:' "$out"; then
		# it did not get as far as the checks: a compile error, most often
		echo "  the check did not run (exit status $status):"
		sed 's/^/    /' "$out" | tail -n 30
		return
	fi
	verdicts "$out" >"$tmp/now"
	if [ "$1" -eq 1 ] || [ ! -f "$tmp/last" ]; then
		grep -v -E '^$|^Lab |^make(\[[0-9]+\])?: \*\*\*|^  (CC|LD|AR) ' "$out"
	else
		local changed=0
		while IFS= read -r block; do
			local id
			id=$(echo "$block" | awk '{ print $1 }')
			local before
			before=$(grep -F "  $id " "$tmp/last" | head -n 1)
			if [ "$block" != "$before" ]; then
				changed=$((changed + 1))
				local was
				was=$(verdict_of "$before")
				echo "$block" | tr '\036' '\n' | sed "1s/\$/   (was: ${was:-not checked})/"
			fi
		done <"$tmp/now"
		if [ "$changed" -eq 0 ]; then
			local next
			next=$(grep -v -E '^  [0-9.]+ +done ' "$tmp/now" | head -n 1 | tr '\036' '\n' | head -n 1)
			echo "  no change${next:+; next:}"
			[ -n "$next" ] && echo "$next"
		fi
		grep '^Score:' "$out"
	fi
	cp "$tmp/now" "$tmp/last"
}

wait_for_save() {   # returns once the file's time stamp is not $1
	while [ "$(stamp)" = "$1" ]; do
		if [ -n "$poll" ]; then
			sleep "$poll"
		else
			# a directory watch: editors often save by writing a new file and renaming it
			inotifywait -q -q -t 60 -e close_write -e moved_to -e create "labs/$dir" &
			child=$!
			wait "$child"
			child=""
		fi
	done
}

echo "watch: lab $n - save $file to check it again (Ctrl-C stops)"
k=0
while :; do
	k=$((k + 1))
	seen=$(stamp)
	check "$k"
	[ "$runs" -gt 0 ] && [ "$k" -ge "$runs" ] && break
	echo
	echo "watch: waiting for $file to be saved (Ctrl-C stops) ..."
	wait_for_save "$seen"
done
