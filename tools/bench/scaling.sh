#!/bin/sh
# Scaling runs of W1: clientele at N = 10,000 / 100,000 / 1,000,000, the four
# libraries at 10,000 and 100,000 (and at 1,000,000 those named in LIBS_1M),
# then the side-by-side table of each N, the scaling table and the plot.
#
#   tools/bench/scaling.sh [--build DIR] [--out DIR] [--png FILE] [--libs-1m "yjs loro"]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
out=""
png="$root/docs/performance-scaling.png"
libs_1m=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --png) png=$2; shift 2 ;;
    --libs-1m) libs_1m=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--out DIR] [--png FILE] [--libs-1m LIST]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/bench-results"
for n in 10000 100000; do
  "$here/compare.sh" --records $n --build "$build" --out "$out"
done
"$here/compare.sh" --records 1000000 --build "$build" --out "$out" --libs "$libs_1m"
node "$here/js/scaling.mjs" "$out" "$out/scaling.dat"
if command -v gnuplot >/dev/null; then
  gnuplot -e "dat='$out/scaling.dat'; png='$png'" "$here/plot.gp" && echo "plot: $png"
else
  echo "no gnuplot (apt-get install gnuplot-nox): no plot" >&2
fi
