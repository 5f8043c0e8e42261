#!/bin/sh
# The simulator's series for docs/scaling.md: clientele-sim at N = 10, 30, 100,
# 300 and 1,000 devices, calm (gossip alone) and stormy (a partition and churn),
# one seed; one CSV line per run, each run's report, and the plot.
#
#   tools/bench/scaling_sim.sh [--build DIR] [--out DIR] [--png FILE] [--sizes "10 30 100"]
#                              [--seed S] [--jobs J]
#
# Default: build dir build, results in build/sim-results, the plot in
# docs/scaling.png (needs gnuplot: apt-get install gnuplot-nox; without it
# the CSV is still written). The whole series takes about an hour on two
# cores, most of it the two 1,000-device runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
out=""
png="$root/docs/scaling.png"
sizes="10 30 100 300 1000"
seed=1
jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --png) png=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--out DIR] [--png FILE] [--sizes LIST] [--seed S] [--jobs J]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/sim-results"
sim="$build/clientele-sim"
[ -x "$sim" ] || { echo "scaling_sim.sh: no $sim: build first (cmake --build $build)" >&2; exit 1; }
mkdir -p "$out"
csv="$out/scaling.csv"
rm -f "$csv"
for n in $sizes; do
  for scenario in calm storm; do
    flag=""
    [ "$scenario" = calm ] && flag="--calm"
    echo "== $n devices, $scenario" >&2
    # shellcheck disable=SC2086 # flag is one word or none
    "$sim" --devices "$n" --seed "$seed" --jobs "$jobs" $flag --csv "$csv" > "$out/sim-$n-$scenario.txt"
    tail -n 10 "$out/sim-$n-$scenario.txt" >&2
  done
done
echo "figures: $csv" >&2
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$csv'; png='$png'" "$here/plot_sim.gp" && echo "plot: $png" >&2
else
  echo "no gnuplot (apt-get install gnuplot-nox): no plot" >&2
fi
