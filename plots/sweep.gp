# sweep.gp - a measurement against a parameter, with the ideal beside it.
# Data: x measured ideal.  Set by the caller: xlabel, ylabel, logx (0/1),
# mark (> 0: a dotted vertical line there, e.g. a predicted break-even point).
load plotsdir.'/setup.gp'
set xlabel xlabel
set ylabel ylabel
set yrange [0:*]
if (logx) { set logscale x 10 }
if (mark > 0) { set arrow from mark, graph 0 to mark, graph 1 nohead dt 3 lw 2 }
plot datafile using 1:2 with linespoints pt 7 title "measured", \
     '' using 1:3 with linespoints dt 2 pt 6 title "ideal"
