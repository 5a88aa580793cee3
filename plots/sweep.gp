# sweep.gp - a measurement against a parameter, with the ideal (or a prediction) beside it.
# Data: x measured ideal.  Set by the caller: xlabel, ylabel, idealtitle, logx (0/1),
# mark (> 0: a dotted vertical line there, e.g. a predicted break-even point),
# hline (> 0: a dotted horizontal line there, e.g. speedup 1).
load plotsdir.'/setup.gp'
set xlabel xlabel
set ylabel ylabel
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
if (logx) { set logscale x 10 }
# A handful of whole numbers (workers, pool sizes): a tick on each, none between.
stats datafile using 1 nooutput
if (!logx && STATS_max <= 16 && STATS_max == int(STATS_max)) { set xtics 1 }
if (mark > 0) { set arrow from mark, graph 0 to mark, graph 1 nohead dt 3 lw 2 }
if (hline > 0) { set arrow from graph 0, first hline to graph 1, first hline nohead dt 3 }
# The ideal goes first, as a wide pale band, and the measurement on top of it
# as a thin line with points: where the two agree exactly, both stay visible.
plot datafile using 1:3 with lines lw 8 lc rgb "#9ec5ee" title idealtitle, \
     '' using 1:2 with linespoints lw 1.5 pt 7 ps 0.9 lc rgb "#b2182b" title "measured"
