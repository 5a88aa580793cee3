#!/bin/sh
# lab2-bench.sh - lab 2's figures for make bench (issue targets, on 2 cores):
#   100 x /delay/0.5 with 100 threads:  efficiency >= 0.97 of the ideal 0.5 s
#   100 x /delay/0.5 with a pool of 10: efficiency >= 0.97 of the ideal 5.0 s
#   thread create + join: the median per thread
BUILD=${BUILD:-build}
echo
echo "== lab 2: threads for I/O, 100 x /delay/0.5 (reference solution) =="
timeout -k 5 600 "$BUILD/bin/solution2" --requests 100 --delay 0.5 --workers 10 --no-plot
