#!/usr/bin/env bash
# The layer table of docs/architecture.md, enforced: a source file or header of
# a layer includes only headers of its own layer or of layers below it (the
# include graph is what a lower layer would need to call a higher one).
set -euo pipefail
cd "$(dirname "$0")/../.."

# rank of a layer, lowest first (docs/architecture.md)
rank() {
  case $1 in
    util) echo 0 ;; clock) echo 1 ;; store) echo 2 ;; model) echo 3 ;; codec) echo 4 ;;
    net) echo 5 ;; sync) echo 6 ;; http) echo 7 ;; cli) echo 8 ;; *) echo "?" ;;
  esac
}
# the layer a project header belongs to
header_layer() {
  case $1 in
    clientele/util.h) echo util ;; clientele/hlc.h) echo clock ;; clientele/store.h) echo store ;;
    clientele/model.h) echo model ;; clientele/codec.h | clientele/wire.h) echo codec ;;
    clientele/net.h) echo net ;; clientele/sync.h) echo sync ;; clientele/http.h) echo http ;;
    */*) echo "${1%%/*}" ;; # store/internal.h, codec/import.h, cli/cli.h …
    *) echo "" ;;
  esac
}
# the layer of a file of the tree
file_layer() {
  case $1 in
    src/hlc.c) echo clock ;; src/main.c) echo cli ;;
    src/*/*) local d=${1#src/}; echo "${d%%/*}" ;;
    include/clientele/*) header_layer "clientele/${1##*/}" ;;
  esac
}

files() { # the tree's sources, from git when this is a checkout
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files 'src/*.c' 'src/*.h' 'include/clientele/*.h'
  else
    find src include/clientele -name '*.[ch]' | sort
  fi
}

bad=0 checked=0
for f in $(files); do
  own=$(file_layer "$f")
  [ -n "$own" ] || { echo "check_layers: $f is in no layer of the table"; bad=1; continue; }
  while read -r inc; do
    case $inc in internal.h | assets.h) continue ;; esac # the file's own folder
    layer=$(header_layer "$inc")
    [ -n "$layer" ] || continue
    if [ "$(rank "$layer")" = "?" ] || [ "$(rank "$layer")" -gt "$(rank "$own")" ]; then
      echo "check_layers: $f ($own) includes $inc ($layer)"
      bad=1
    fi
    checked=$((checked + 1))
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
[ "$checked" -gt 50 ] || { echo "check_layers: only $checked includes seen: is this the tree?"; exit 1; }
[ "$bad" = 0 ] && echo "ok - $checked includes respect the layer table"
exit "$bad"
