#!/usr/bin/env bash
# Forged LAN announcements pointing at tarpits (docs/security.md, "Forged
# announcements"): "device B is at 127.0.0.1:P", where P drips bytes or never
# answers, sent twice a second for 20 s. Changes on A still reach C in
# normal time, and A connects to the tarpits only a bounded number of times.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
ANNOUNCE=${CLIENTELE_ANNOUNCE:?}
DPORT=$(free_port); TDRIP=$(free_port); TSILENT=$(free_port)

within() { # within SECONDS CMD… — CMD succeeds before SECONDS pass
  local end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
  while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

for d in a b c; do cl $d init --name "dev-$d" >/dev/null; done
start_serve b; start_serve c
port=$(free_port); ui=$(free_port)
"$BIN" --data "$WORK/a" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$port" --discovery-port "$DPORT" \
  --sync-interval 60 >>"$WORK/a.log" 2>&1 &
PID_a=$!; PIDS+=("$PID_a"); PORT_a=$port
wait_port "$PORT_a"
pair a b; pair a c
B_ADDR="127.0.0.1:$PORT_b"

python3 "$HERE/tarpit.py" --port "$TDRIP" --mode drip --seconds 26 >"$WORK/drip.out" & TP1=$!; PIDS+=($TP1)
python3 "$HERE/tarpit.py" --port "$TSILENT" --mode silent --seconds 26 >"$WORK/silent.out" & TP2=$!; PIDS+=($TP2)
wait_port "$TDRIP"; wait_port "$TSILENT"
( for _ in $(seq 1 40); do
    "$ANNOUNCE" "$DPORT" "$(cl b id)" "$TDRIP"; "$ANNOUNCE" "$DPORT" "$(cl c id)" "$TSILENT"; sleep 0.5
  done ) & FORGER=$!; PIDS+=($FORGER)
sleep 1
worst=0
for i in 1 2 3 4; do
  t0=$(date +%s%N)
  X=$(cl a put company name="Made during the forgeries $i")
  within 8 cl c get "$X" || fail "change $i on a did not reach c within 8 s while announcements pointed at tarpits"
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "change $i reached c in $took ms"
  [ "$took" -gt "$worst" ] && worst=$took
  sleep 2
done
# the debounce is 1.5 s; a sync takes tens of ms; the probe deadline is 2 s
[ "$worst" -lt 5500 ] || fail "a change took $worst ms to reach c"
pass "forged announcements at a dripping and a silent tarpit delay no sync (worst $worst ms)"

wait "$FORGER" || true
wait "$TP1" "$TP2" || true
d=$(sed 's/connections=//' "$WORK/drip.out"); s=$(sed 's/connections=//' "$WORK/silent.out")
echo "a connected to the dripping tarpit $d times, to the silent one $s times (80 forged packets in 20 s)"
[ "$d" -le 4 ] && [ "$s" -le 4 ] || fail "forged announcements made a connect $d and $s times (once per 10 s per device at most)"
[ "$d" -ge 1 ] || fail "the forged announcements were never tried: the test proves nothing"
grep -q "discovery: .* announced at 127.0.0.1:$TDRIP, but: .*timed out" "$WORK/a.log" || fail "the tarpit was not cut by the deadline: $(grep discovery "$WORK/a.log" | tail -3)"
cl a peer list --json | grep -q "\"addr\":\"$B_ADDR\"" || fail "a forged announcement changed b's address"
pass "each device's forged address tried at most once per 10 s, cut at 2 s; b's address unchanged"
