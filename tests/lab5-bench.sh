#!/bin/sh
# lab5-bench.sh - lab 5's figures for make bench (issue targets, on 2 cores):
#   the balanced workload (40 items, 10 fetchers, /delay/0.5, 100 ms of CPU, 2 workers):
#   phased efficiency >= 0.97 of its ideal, streamed >= 0.95 of its ideal;
#   the streamed/phased speedup; the token knee found vs Little's law; 5.6's copy cost per MiB.
BUILD=${BUILD:-build}
json=${LAB_OUT:-out/lab5}/bench5.json
mkdir -p "$(dirname "$json")"
echo
echo "== lab 5: the hybrid pipeline, 40 items, 10 fetchers, 0.5 s wait, 100 ms CPU (reference solution) =="
timeout -k 5 600 "$BUILD/bin/solution5" --requests 40 --delay 0.5 --task-ms 100 --workers 2 \
	--no-plot --json "$json" || exit 1

# One field of the experiment whose name starts with $1.
field() {
	tr '{' '\n' <"$json" | grep "\"name\":\"$1" | head -n 1 |
		sed -n "s/.*\"$2\":\([-0-9.e]*\).*/\1/p"
}
param() {
	sed -n "s/.*\"$1\":\([-0-9.e]*\).*/\1/p" "$json" | head -n 1
}
pe=$(field "phased, " efficiency)
se=$(field "streamed, " efficiency)
pw=$(field "phased, " wall_s)
sw=$(field "streamed, " wall_s)
echo
echo "lab 5 figures:"
awk -v pe="$pe" -v se="$se" -v pw="$pw" -v sw="$sw" -v kf="$(param knee_found)" \
	-v kp="$(param knee_predicted)" -v pipe="$(param pipe_us_per_mib)" 'BEGIN {
	printf "  phased (5.2):   efficiency %.2f of ideal (goal >= 0.97)\n", pe
	printf "  streamed (5.3): efficiency %.2f of ideal (goal >= 0.95)\n", se
	printf "  streamed / phased speedup: %.2fx (ideal 4.00 / 2.50 = 1.60x)\n", pw / sw
	printf "  token knee: %d found, %.1f predicted by Little'"'"'s law (ratio %.2f)\n", kf, kp, kf / kp
	printf "  5.6 copy through a pipe: %.0f us per MiB\n", pipe
}'
