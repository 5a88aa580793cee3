#!/bin/sh
# lab3-bench.sh - lab 3's figures for make bench (issue targets, on 2 cores):
#   tasks = 2 x cores, each ~0.25 s: processes efficiency >= 0.97 of the ideal
#   fork + wait per process: median <= 0.3 ms
BUILD=${BUILD:-build}
echo
echo "== lab 3: processes for CPU, 2 x cores tasks of 250 ms (reference solution) =="
timeout -k 5 600 "$BUILD/bin/solution3" --task-ms 250 --no-plot
