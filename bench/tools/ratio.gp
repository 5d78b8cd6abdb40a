# ratio.gp: one workload's ratio chart -- a cluster per parameter set (and metric), a bar per runtime, log scale, a dashed line at 1.
#
# rtbench (bench/harness/rb_plot.c) writes the data file and calls, once per format:
#   gnuplot -e "datafile='...'; outfile='...'; fmt='png'; ncols=N; colors='#rrggbb ...'; \
#               chart_title='...'; ylabel_text='...'" bench/tools/ratio.gp
# The data file's first line is "cluster <runtime> <runtime> ..."; each further line is a
# quoted cluster label (a \n in it breaks the line) and one ratio per runtime, "-" where the
# runtime has none.
# The y axis is logarithmic so that 0.5x and 2x sit at the same distance from the line at 1.

if (fmt eq "svg") {
    set terminal svg size 1100,520 dynamic enhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal pngcairo size 1100,520 enhanced font "DejaVu Sans,10" background rgb "white"
}
set output outfile
set title chart_title noenhanced
set ylabel ylabel_text noenhanced
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.95
set logscale y 10
set format y "%g"
set ytics (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 30, 50, 100, 200, 500, 1000)
set grid ytics lc rgb "#dddddd"
set xtics noenhanced nomirror
set key outside right top vertical noenhanced
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "black" front
set lmargin 10
# room for cluster labels of up to three lines ("n=1000\ntimeouts=1", "timers=10000\ninit")
set bmargin 6
plot for [i=2:ncols+1] datafile using i:xtic(1) title columnheader(i) lc rgb word(colors, i-1)
