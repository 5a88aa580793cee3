# bars.gp - measured wall time of each experiment beside its ideal time.
# Data (common/results.c): index name wall_s cpu_s ideal_s speedup efficiency label
load plotsdir.'/setup.gp'
set style fill solid 0.6 border -1
set boxwidth 0.38
set ylabel "seconds"
set yrange [0:*]
set xtics noenhanced
plot datafile using ($1-0.2):3:xtic(8) with boxes title "measured", \
     '' using ($1+0.2):($5 > 0 ? $5 : NaN) with boxes title "ideal"
