# timeline.gp - a Gantt chart: one bar per unit of work, one line per worker.
# Data (common/timeline.c): worker task kind start_s end_s
load plotsdir.'/setup.gp'
set xlabel "seconds since the experiment began"
set ylabel "worker"
set yrange [-0.7:*] reverse
set offsets 0, 0, 0.7, 0
set ytics 1
set style arrow 1 nohead lw 8 lc rgb "#3070b0"
if (exists("outfile") && strlen(outfile) > 0) {
    # colour by task, so neighbouring bars can be told apart
    plot datafile using 4:1:($5-$4):(0):($2 % 8) with vectors nohead lw 10 lc variable notitle
} else {
    plot datafile using 4:1:($5-$4):(0) with vectors nohead notitle
}
