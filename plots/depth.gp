# depth.gp - items waiting for a worker and items alive over time (lab 5), as steps.
# "Waiting" counts the queue AND the fetchers blocked on a full queue, item in hand.
# Data: blocks separated by two blank lines, one per run: t_s depth alive.
# Set by the caller: run0, run1 (the runs' names), limit (> 0: a dotted line at the token limit).
load plotsdir.'/setup.gp'
set xlabel "seconds since the run began"
set ylabel "items"
set yrange [0:*]
set xrange [0:*]
if (limit > 0) { set arrow from graph 0, first limit to graph 1, first limit nohead dt 3 lw 2 }
plot datafile index 0 using 1:3 with steps lw 2 lc rgb "#b2182b" title run0.": alive", \
     '' index 0 using 1:2 with steps lw 1 lc rgb "#ef8a62" title run0.": waiting", \
     '' index 1 using 1:3 with steps lw 2 lc rgb "#2166ac" title run1.": alive", \
     '' index 1 using 1:2 with steps lw 1 lc rgb "#67a9cf" title run1.": waiting"
