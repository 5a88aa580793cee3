# bars.gp - each experiment's measured wall time beside its ideal time, one
# experiment a row, named in full on the left (horizontal bars: long names stay readable).
# Data (common/results.c): index "name" wall_s cpu_s ideal_s speedup efficiency
load plotsdir.'/setup.gp'
stats datafile using 1 nooutput
rows = STATS_records
set style fill solid 0.7 border -1
set xlabel "seconds (shorter is better)"
set xrange [0:*]
set offsets 0, graph 0.05, 0, 0
set yrange [rows - 0.5 : -0.5]
set ytics noenhanced scale 0
set grid xtics
set key outside right top
# y of a bar: the row, moved up (measured) or down (ideal) within it
plot datafile using ($3/2):($1-0.17):($3/2):(0.15):ytic(2) with boxxyerror lc rgb "#b2182b" title "measured", \
     '' using ($5/2):($1+0.17):($5/2):(0.15) with boxxyerror lc rgb "#9ec5ee" title "ideal"
