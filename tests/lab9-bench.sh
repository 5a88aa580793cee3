#!/bin/sh
# lab9-bench.sh - lab 9's figures for make bench: every model of each mystery
# workload measured live to its end (best of two runs), and how far the best
# stands from the second best (the design asks for more than 2x on 2 cores
# between the best and the best model outside the checker's 15 % margin;
# m2, CPU work that shares nothing, cannot: 2 cores give at most 2x).
BUILD=${BUILD:-build}
echo
echo "== lab 9: the capstone's six workloads, every model (fresh measurements) =="
status=0
for m in m1 m2 m3 m4 m5 m6; do
	LAB9_FRESH=1 timeout -k 5 300 "$BUILD/bin/probe" --models "$m" || status=1
done
exit $status
