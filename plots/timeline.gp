# timeline.gp - a Gantt chart: one bar per unit of work, one row per worker.
# Data (common/timeline.c): worker task kind start_s end_s
# Set by the caller: kinds (e.g. 'fetch cpu'), maxworker (the highest worker number).
load plotsdir.'/setup.gp'
set xlabel "seconds since the experiment began"
set ylabel "worker"
set yrange [maxworker + 0.6 : -0.6]
set ytics 1
set xrange [0:*]
set style fill solid 0.7 border -1
# One series per kind of work, so each kind gets its own colour (or character).
plot for [k in kinds] datafile \
     using (($4+$5)/2):(strcol(3) eq k ? $1 : NaN):4:5:($1-0.3):($1+0.3) \
     with boxxyerror title k
