# compare.gp - lab 4: round trips per second of a thread doing I/O beside one
# CPU-bound thread, by switch interval: the simulation, real CPython (make
# lab4-python), and 1 / interval, the rate if every round trip waited one
# interval for the GIL.
# Data (labs/04-gil/main.c): interval_ms simulated_per_s cpython_per_s one_per_interval
load plotsdir.'/setup.gp'
set logscale xy 10
set xlabel "switch interval, ms (log scale)"
set ylabel "round trips per second (log scale)"
plot datafile using 1:2 with linespoints pt 7 title "simulation", \
     '' using 1:3 with linespoints pt 5 title "CPython", \
     '' using 1:4 with lines dt 2 title "1 / interval"
