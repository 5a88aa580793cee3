#!/bin/sh
# lab1-bench.sh - lab 1's figures for make bench: the sequential baseline at
# the default settings; its efficiency column is the ratio to the ideal
# (N x delay for requests, T x task time for CPU tasks).
BUILD=${BUILD:-build}
echo
echo "== lab 1: the sequential baseline (reference solution, default settings) =="
timeout -k 5 300 "$BUILD/bin/solution1" --no-plot
