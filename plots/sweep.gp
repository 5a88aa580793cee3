# sweep.gp - a measurement against a parameter, with the ideal beside it.
# Data: x measured ideal   (set xlabel/ylabel with -e "xlabel='...'; ylabel='...'")
load plotsdir.'/setup.gp'
set xlabel (exists("xlabel") ? xlabel : "x")
set ylabel (exists("ylabel") ? ylabel : "seconds")
set yrange [0:*]
if (exists("logx") && logx) { set logscale x 2 }
plot datafile using 1:2 with linespoints pt 7 title "measured", \
     '' using 1:3 with linespoints dt 2 pt 6 title "ideal"
