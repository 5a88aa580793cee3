#!/bin/sh
# lab9-bench.sh - lab 9's figures for make bench: every model of each mystery
# workload measured live to its end (best of two runs), and how far the best
# stands from the second best (the design asks for more than 2x on 2 cores
# between the best and the best model outside the checker's 25 % margin; the
# parallel CPU kind, work that shares nothing, cannot: 2 cores give at most
# 2x).  The seed (LAB9_SEED, else the user name) decides which kind each mK
# is; after its figures, probe --models names it.
BUILD=${BUILD:-build}
seed=${LAB9_SEED:+--seed $LAB9_SEED}
echo
echo "== lab 9: the capstone's six workloads, every model (fresh measurements) =="
status=0
for m in m1 m2 m3 m4 m5 m6; do
	# shellcheck disable=SC2086
	LAB9_FRESH=1 timeout -k 5 300 "$BUILD/bin/probe" $seed --models "$m" || status=1
done
exit $status
