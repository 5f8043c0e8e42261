# gnuplot -e "dat='scaling.dat'; png='out.png'" plot.gp — W1 time against N
# (log-log): clientele's four phases, and each library's full and delta sync.
# Columns of dat (js/scaling.mjs): N, then load/full/delta/noop for clientele,
# yjs, automerge, loro, pouchdb, then clientele's small delta (column 22).
set terminal pngcairo size 1100,700 font ",11"
set output png
set logscale xy
set xlabel "records N"
set ylabel "time (ms)"
set title "W1 on this machine: time against N (log-log)"
set key outside right top
set grid
set xrange [7000:1400000]
set xtics ("10k" 10000, "100k" 100000, "1M" 1000000)
set format y "%g"
plot dat u 1:2 w lp lw 3 pt 7 lc rgb "#1f77b4" t "clientele load", \
     dat u 1:3 w lp lw 3 pt 5 lc rgb "#d62728" t "clientele full sync", \
     dat u 1:4 w lp lw 3 pt 9 lc rgb "#2ca02c" t "clientele delta sync", \
     dat u 1:22 w lp lw 3 pt 13 lc rgb "#17becf" t "clientele small delta (100 ops)", \
     dat u 1:5 w lp lw 3 pt 11 lc rgb "#9467bd" t "clientele no-op sync", \
     dat u 1:7 w lp lw 1 dt 2 pt 5 lc rgb "#ff7f0e" t "Yjs full sync", \
     dat u 1:8 w lp lw 1 dt 2 pt 9 lc rgb "#ff7f0e" t "Yjs delta sync", \
     dat u 1:11 w lp lw 1 dt 2 pt 5 lc rgb "#8c564b" t "Automerge full sync", \
     dat u 1:12 w lp lw 1 dt 2 pt 9 lc rgb "#8c564b" t "Automerge delta sync", \
     dat u 1:15 w lp lw 1 dt 2 pt 5 lc rgb "#e377c2" t "Loro full sync", \
     dat u 1:16 w lp lw 1 dt 2 pt 9 lc rgb "#e377c2" t "Loro delta sync", \
     dat u 1:19 w lp lw 1 dt 2 pt 5 lc rgb "#7f7f7f" t "PouchDB full sync", \
     dat u 1:20 w lp lw 1 dt 2 pt 9 lc rgb "#7f7f7f" t "PouchDB delta sync"
