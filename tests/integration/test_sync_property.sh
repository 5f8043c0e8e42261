#!/usr/bin/env bash
# Property test over real processes: 4 devices, random edits and random
# pairwise syncs for a few hundred rounds, then a final round: equal digests.
# CLIENTELE_SEED replays a run; CLIENTELE_ROUNDS changes its length.
source "$(dirname "$0")/lib.sh"
SEED=${CLIENTELE_SEED:-$RANDOM}
ROUNDS=${CLIENTELE_ROUNDS:-300}
RANDOM=$SEED
echo "seed $SEED, $ROUNDS rounds (replay: CLIENTELE_SEED=$SEED)"
DEVS=(d0 d1 d2 d3)
for d in "${DEVS[@]}"; do cl $d init --name "$d" >/dev/null; start_serve $d; done
for i in 0 1 2 3; do for j in 0 1 2 3; do
  [ $i -lt $j ] && pair "d$i" "d$j"
done; done
IDS=()
for k in 1 2 3; do IDS+=("$(cl d0 put contact name="Client $k")"); done
for d in d1 d2 d3; do cl $d sync "$(cl d0 id)" >/dev/null; done
declare -A ID_OF
for d in "${DEVS[@]}"; do ID_OF[$d]=$(cl $d id); done

FIELDS=(phone email notes title city)
edits=0 syncs=0
for r in $(seq 1 "$ROUNDS"); do
  d=${DEVS[$((RANDOM % 4))]}
  case $((RANDOM % 10)) in
    0) cl $d put contact name="New $r on $d" >/dev/null ;;
    1) cl $d rm "${IDS[$((RANDOM % 3))]}" >/dev/null 2>&1 || true ;;
    *) f=${FIELDS[$((RANDOM % 5))]}
       v="$f-$r-$d"; [ "$f" = email ] && v="x$r@$d.ro"; [ "$f" = phone ] && v="+40 $r"
       cl $d put contact "${IDS[$((RANDOM % 3))]}" "$f=$v" >/dev/null ;;
  esac
  edits=$((edits + 1))
  if [ $((RANDOM % 2)) = 0 ]; then
    a=${DEVS[$((RANDOM % 4))]}; b=${DEVS[$((RANDOM % 4))]}
    if [ "$a" != "$b" ]; then cl $a sync "${ID_OF[$b]}" >/dev/null || fail "round $r: sync $a→$b failed"; syncs=$((syncs + 1)); fi
  fi
done
for pass_ in 1 2; do for a in "${DEVS[@]}"; do for b in "${DEVS[@]}"; do
  [ "$a" != "$b" ] && cl $a sync "${ID_OF[$b]}" >/dev/null
done; done; done
same_digest "${DEVS[@]}"
pass "$edits random edits, $syncs random syncs over 4 processes: equal digests (seed $SEED)"
