# scaling.gp: a figure over a size parameter (n, N), one panel per variant or metric, one line per runtime, log-log.
#
# rtbench (bench/harness/rb_plot.c) writes one data file per panel and calls, once per format:
#   gnuplot -e "files='a.dat b.dat'; titles='timeouts=0 timeouts=1'; npanels=2; outfile='...'; \
#               fmt='svg'; ncols=N; colors='#rrggbb ...'; chart_title='...'; \
#               xlabel_text='...'; ylabel_text='...'" bench/tools/scaling.gp
# Each data file's first line is "x <runtime> <runtime> ..."; each further line is an x value
# and one figure per runtime, "-" where the runtime has none (the line then skips the point).
# Panel titles are single words (gnuplot's word() splits on blanks).

if (fmt eq "svg") {
    set terminal svg size 1100,480 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal pngcairo size 1100,480 enhanced font "DejaVu Sans,10" background rgb "white"
}
set output outfile
set datafile missing "-"
set logscale x 10
set logscale y 10
set format x "%.0s%c"
set format y "%g"
set grid lc rgb "#dddddd"
set xlabel xlabel_text noenhanced
set ylabel ylabel_text noenhanced
set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05
set multiplot layout 1, npanels title chart_title noenhanced
do for [k=1:npanels] {
    set title word(titles, k) noenhanced
    if (k == npanels) {
        set key outside right top vertical noenhanced
    } else {
        unset key
    }
    plot for [i=2:ncols+1] word(files, k) using 1:i with linespoints lw 2 pt 7 ps 0.8 \
         lc rgb word(colors, i-1) title columnheader(i)
}
unset multiplot
