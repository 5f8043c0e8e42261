#!/usr/bin/env bash
# serve syncs on its own: discovery on loopback, sync soon after a change,
# catching up after a kill -9, and announcements that grant no trust.
source "$(dirname "$0")/lib.sh"
ANNOUNCE=${CLIENTELE_ANNOUNCE:?}
DPORT=$(free_port)

# serve_auto NAME — serve with discovery on $DPORT (loopback only, as it listens on 127.0.0.1)
serve_auto() {
  local d=$1 port ui
  port=$(free_port); ui=$(free_port)
  "$BIN" --data "$WORK/$d" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$port" \
    --discovery-port "$DPORT" --sync-interval 60 >>"$WORK/$d.log" 2>&1 &
  PIDS+=("$!"); printf -v "PID_$d" '%s' "$!"; printf -v "PORT_$d" '%s' "$port"
  wait_port "$port"
}

# within SECONDS CMD… — CMD succeeds before SECONDS pass
within() {
  local limit=$1; shift
  local end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

cl a init --name office >/dev/null; cl b init --name laptop >/dev/null
# paired, but neither knows where the other is
cl a peer add "$(cl b id)" >/dev/null; cl b peer add "$(cl a id)" >/dev/null
serve_auto a; serve_auto b

START=$(date +%s%N)
X=$(cl a put company name="Made on the office desktop")
within 10 cl b get "$X" || fail "a change on a did not reach b by itself within 10 s"
echo "  a → b in $(( ($(date +%s%N) - START) / 1000000 )) ms"
Y=$(cl b put contact name="Made on the laptop")
within 10 cl a get "$Y" || fail "a change on b did not reach a within 10 s"
pass "paired without addresses, found by discovery, changes arrive within seconds both ways"

# b dies; edits made meanwhile reach it after a restart
kill -9 "$PID_b"; wait "$PID_b" 2>/dev/null || true
Z=$(cl a put company name="Made while the laptop was off")
sleep 1
serve_auto b
within 15 cl b get "$Z" || fail "b did not catch up after kill -9 and restart"
pass "a peer killed with -9 and restarted receives the edits made while it was down"

# announcements never grant trust; garbage crashes nothing
for i in $(seq 1 20); do "$ANNOUNCE" "$DPORT" garbage 0; done
"$ANNOUNCE" "$DPORT" "$(cl b id)" 1          # a paired id, pointing at a port nobody serves
cl x init >/dev/null
"$ANNOUNCE" "$DPORT" "$(cl x id)" "$PORT_a"  # an unpaired device
sleep 2
kill -0 "$PID_a" && kill -0 "$PID_b" || fail "datagrams crashed a serve"
cl a peer list --json | grep -q "$(cl x id)" && fail "an announcement paired or listed an unknown device"
cl a peer list | grep "$(cl b id)" | grep -q "127.0.0.1:1 " && fail "a forged announcement changed b's address"
W=$(cl a put company name="After the forgeries")
within 10 cl b get "$W" || fail "sync stopped working after forged announcements"
pass "garbage and forged announcements change no trust, no address, crash nothing"
