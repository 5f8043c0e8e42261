#!/bin/sh
# W1 side by side: clientele-bench, then Yjs, Automerge, Loro and PouchDB (npm,
# each device in its own Node process), same machine, same run; prints one table
# with ratios to clientele and keeps every JSON in OUT.
#
#   tools/bench/compare.sh [--records N] [--build DIR] [--out DIR] [--libs "yjs automerge loro pouchdb"]
#
# Needs node and npm; installs the pinned packages itself (npm ci in
# tools/bench/js, node_modules never committed). Default: N = 100000, build dir
# build, results in build/bench-results.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
records=100000
build="$root/build"
libs="yjs automerge loro pouchdb"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --libs) libs=$2; shift 2 ;;
    *) echo "usage: $0 [--records N] [--build DIR] [--out DIR] [--libs LIST]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/bench-results"
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x "$build/clientele-bench" ] || { echo "compare.sh: no $build/clientele-bench: build first (cmake --build $build)" >&2; exit 1; }

if [ ! -d "$here/js/node_modules" ] || [ "$here/js/package-lock.json" -nt "$here/js/node_modules/.package-lock.json" ]; then
  (cd "$here/js" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== clientele, N = $records"
"$build/clientele-bench" w1 --records "$records" --json "$out/clientele-$records.json" || echo "clientele-bench failed"
for lib in $libs; do
  echo "== $lib, N = $records"
  node "$here/js/w1.mjs" --lib "$lib" --records "$records" --json "$out/$lib-$records.json" || echo "$lib failed"
done
echo
node "$here/js/table.mjs" "$out" "$records"
