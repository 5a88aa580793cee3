# setup.gp - loaded by every plot script: picks the output.
# outfile set and non-empty: a PNG (pngcairo); otherwise: text in the terminal.
if (exists("outfile") && strlen(outfile) > 0) {
    set terminal pngcairo size 960,540 font "DejaVu Sans,11"
    set output outfile
    set grid
} else {
    set terminal dumb size 100,24
}
set title plottitle noenhanced
set key outside right top noenhanced
