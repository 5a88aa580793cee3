# deadlines.gp - lab 6: each bounded operation as a bar from its start to its
# end, and its deadline as a mark: a bar that stops at its mark kept its deadline.
# Data (labs/06-timeouts/main.c): row start_s end_s deadline_s "label".  Set by the caller: rows.
load plotsdir.'/setup.gp'
set xlabel "seconds since the first operation"
set yrange [rows - 0.5 : -0.5]
set ytics noenhanced scale 0
set grid xtics
set style fill solid 0.6 border -1
plot datafile using (($2+$3)/2):1:2:3:($1-0.3):($1+0.3):ytic(5) \
         with boxxyerror lc rgb "#4393c3" title "operation", \
     '' using 4:1 with points pt 5 ps 1.2 lc rgb "#b2182b" title "deadline"
