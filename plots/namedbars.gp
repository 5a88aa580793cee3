# namedbars.gp - named quantities side by side, one horizontal bar each, the
# value written at the end of its bar.
# Data (common/lab.c, wb_lab_bars): index "label" value.  Set by the caller: xlabel, logx.
load plotsdir.'/setup.gp'
stats datafile using 3 nooutput
rows = STATS_records
set style fill solid 0.7 border -1
set xlabel xlabel
set yrange [rows - 0.5 : -0.5]
set ytics noenhanced scale 0
set grid xtics
unset key
if (logx) {
    set logscale x 10
    set xrange [STATS_min / 3 : STATS_max * 6]
    low = STATS_min / 3
} else {
    set xrange [0 : STATS_max * 1.2]
    low = 0
}
plot datafile using 3:1:(low):3:($1-0.3):($1+0.3):ytic(2) \
         with boxxyerror lc rgb "#b2182b", \
     '' using 3:1:($3 >= 100 ? sprintf(" %.0f", $3) : sprintf(" %.3g", $3)) with labels left
