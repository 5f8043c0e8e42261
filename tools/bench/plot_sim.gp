# gnuplot -e "csv='scaling.csv'; png='out.png'" plot_sim.gp — clientele-sim's
# series (tools/bench/scaling_sim.sh; header row of the CSV: tools/sim/report.c):
# rounds to converge, bytes per device, the hello and a no-op sync, time per
# sync, each against the number of devices N (log scale), calm and stormy runs.
set terminal pngcairo size 1200,860 font ",11"
set output png
set datafile separator ","
set logscale x
set xrange [7:1400]
set xtics ("10" 10, "30" 30, "100" 100, "300" 300, "1000" 1000)
set xlabel "devices N (at the start)"
set grid
# one scenario's rows (without the header), so that lines join its points
calm = "< grep ',calm,' ".csv
storm = "< grep ',storm,' ".csv
set multiplot layout 2,2 title "clientele-sim: the real sync sessions in memory, one seed"
set title "rounds until every device has the same digest"
set ylabel "rounds"
set yrange [0:*]
set key top left
plot calm u 1:6 w lp lw 3 pt 7 lc rgb "#1f77b4" t "calm (gossip only)", \
     storm u 1:6 w lp lw 3 pt 5 lc rgb "#d62728" t "partition + churn: from round 1", \
     storm u 1:7 w lp lw 2 dt 2 pt 5 lc rgb "#d62728" t "partition + churn: after the last disturbance", \
     log(x)/log(2) w l lw 1 dt 3 lc rgb "#555555" t "log2 N", \
     2.25*log(x)/log(2) w l lw 1 dt 2 lc rgb "#1f77b4" t "2.25 log2 N"
set title "frame bytes sent + received per device, until converged"
set ylabel "bytes"
set logscale y
set yrange [*:*]
set format y "%.0s%c"
plot calm u 1:12 w lp lw 3 pt 7 lc rgb "#1f77b4" t "calm", \
     storm u 1:12 w lp lw 3 pt 5 lc rgb "#d62728" t "partition + churn"
set title "one sync when nothing is new, at convergence (origins = N)"
set ylabel "bytes"
plot calm u 1:16 w lp lw 3 pt 7 lc rgb "#2ca02c" t "HELLO frame (one way)", \
     calm u 1:17 w lp lw 3 pt 9 lc rgb "#9467bd" t "no-op sync, frames both ways"
set title "time per sync (both sides, this machine), and wall time"
set ylabel "ms per sync / s in all"
set format y "%g"
plot calm u 1:24 w lp lw 3 pt 7 lc rgb "#1f77b4" t "ms per sync, calm", \
     storm u 1:24 w lp lw 3 pt 5 lc rgb "#d62728" t "ms per sync, partition + churn", \
     storm u 1:20 w lp lw 2 dt 2 pt 5 lc rgb "#7f7f7f" t "wall s, partition + churn"
unset multiplot
