#!/usr/bin/env bash
# The peer port holds against strangers (docs/security.md, "Denial of
# service"): while dripping and idle TCP connections from several loopback
# addresses keep coming, a paired device still syncs in seconds, and every
# stranger is dropped by the handshake deadline (5 s), however it paces its bytes.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 0; }
HERE=$(dirname "$0")

cl a init --name dev-a >/dev/null; cl b init --name dev-b >/dev/null
start_serve a
pair a b
for i in $(seq 1 20); do cl b put company name="Door $i" >/dev/null; done
cl b sync "$(cl a id)" >/dev/null || fail "a first sync without strangers"

ms() { date +%s%3N; }
# 10 drippers and 10 idle ones over 5 addresses (127.0.0.1 included, where b
# connects from): each address at its cap, all strangers' slots taken.
python3 "$HERE/strangers.py" --port "$PORT_a" --drip 10 --idle 10 --seconds 14 \
  --sources 127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 >"$WORK/strangers.out" &
SPID=$!; PIDS+=("$SPID")
sleep 2
for i in 1 2 3 4; do
  cl b put contact name="During the flood $i" >/dev/null
  t0=$(ms)
  cl b sync "$(cl a id)" >"$WORK/sync.out" 2>&1 || fail "sync $i during the flood failed: $(cat "$WORK/sync.out")"
  took=$(( $(ms) - t0 ))
  echo "sync $i during the flood: $took ms"
  [ "$took" -lt 4000 ] || fail "sync $i took $took ms with strangers at the door"
  sleep 1.5
done
same_digest a b
pass "a paired device syncs in seconds while 20 strangers drip and idle"

wait "$SPID" || fail "the stranger client failed"
S=$(cat "$WORK/strangers.out"); echo "strangers: $S"
hold=$(sed 's/.*max_hold_ms=\([0-9]*\).*/\1/' <<<"$S")
conns=$(sed 's/.*connections=\([0-9]*\).*/\1/' <<<"$S")
dropped=$(sed "s/.* dropped=\([0-9]*\).*/\1/" <<<"$S")
[ "$dropped" -ge 20 ] || fail "strangers were not dropped ($S)"
[ "$hold" -le 7000 ] || fail "a stranger held a connection $hold ms (deadline 5 s)"
[ "$conns" -gt 20 ] || fail "strangers never reconnected ($S)"
pass "every stranger dropped within the deadline (longest hold $hold ms)"

kill -0 "$PID_a" || fail "serve died"
lines=$(grep -c "refused a connection" "$WORK/a.log" || true)
[ "$lines" -le 40 ] || fail "$lines log lines for refused connections in 14 s (one a second at most)"
pass "refusals logged at most once a second ($lines lines)"

# a stranger alone (no flood) is dropped by the deadline too, idle or dripping
python3 "$HERE/strangers.py" --port "$PORT_a" --drip 1 --idle 1 --seconds 8 --max-conns 1 \
  --sources 127.0.0.9 >"$WORK/one.out"
grep -q "dropped=2 " "$WORK/one.out" || fail "a lone stranger was not dropped: $(cat "$WORK/one.out")"
hold=$(sed 's/.*max_hold_ms=\([0-9]*\).*/\1/' "$WORK/one.out")
[ "$hold" -ge 4000 ] && [ "$hold" -le 7000 ] || fail "a lone stranger held $hold ms, not about 5 s"
pass "a lone dripping or idle stranger is dropped at the deadline ($hold ms)"
stop_serve a
