#!/bin/sh
# The contacts list of a big book, from the API as the page asks it: a book of
# N contacts (tests/tools/fill.c), a real `clientele serve` on loopback, then
#   first page  GET /api/records?type=contact&sort=name&names=1&limit=200,
#               RUNS times: the median and the slowest, in ms (curl's total time);
#   filtered    the same with q=a name near the end of the alphabet;
#   to the end  every page of 1,000 by name, following "next": pages, records,
#               the API's time summed over the pages and the slowest page.
#
#   tools/bench/list_pages.sh [--build DIR] [--records N] [--runs R]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build"
n=100000
runs=21
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --records) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--records N] [--runs R]" >&2; exit 2 ;;
  esac
done
bin="$build/clientele"; fill="$build/tests/clientele-fill"
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$bin" --data "$work/d" init --name bench >/dev/null
"$fill" "$work/d" "$n" >/dev/null
ui=$(free_port); peers=$(free_port)
"$bin" --data "$work/d" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$peers" --no-discovery >"$work/serve.log" 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$ui/" ; do i=$((i + 1)); [ $i -lt 100 ] || { echo "serve did not start" >&2; exit 1; }; sleep 0.1; done
curl -s -o /dev/null -c "$work/cookies" "$("$bin" --data "$work/d" open --print-url)"
get() { curl -s -b "$work/cookies" -o "$work/body" -w '%{time_total}\n' "http://127.0.0.1:$ui/api/records?$1"; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "median %.1f ms, slowest %.1f ms", v[int((NR + 1) / 2)] * 1000, v[NR] * 1000 }'; }
get "type=contact&sort=name&names=1&limit=200" >/dev/null # warm the page cache once
first=$(for _ in $(seq "$runs"); do get "type=contact&sort=name&names=1&limit=200"; done | median)
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$work/body")" = 200 ] ||
  { echo "the first page does not hold 200 contacts" >&2; exit 1; }
filtered=$(for _ in $(seq "$runs"); do get "type=contact&sort=name&names=1&limit=200&q=zz"; done | median)
pages=0; total=0; cursor=""; : >"$work/times"
while :; do
  get "type=contact&sort=name&limit=1000${cursor:+&cursor=$cursor}" >>"$work/times"
  set -- $(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(len(b["items"]), b["next"] or "")' "$work/body")
  pages=$((pages + 1)); total=$((total + $1)); cursor=${2:-}
  [ -n "$cursor" ] && [ $pages -lt 10000 ] || break
done
echo "contacts list of $n contacts, from the API (serve on loopback, $runs runs each):"
echo "  first page by name (200, with company names): $first"
echo "  filtered, no match (q=zz: every name walked): $filtered"
echo "  to the end by name: $pages pages of 1,000, $total contacts, $(awk '{ s += $1; if ($1 > m) m = $1 } END { printf "%.2f s of API time in all, the slowest page %.1f ms", s, m * 1000 }' "$work/times")"
[ "$total" -ge "$n" ] || { echo "the pages did not reach every contact ($total of $n)" >&2; exit 1; }
