#!/usr/bin/env bash
# Crash safety with real processes: kill -9 at random instants of
#   (a) an import of a CSV file (all-or-nothing: after the kill the folder
#       holds none of the file's rows or all of them),
#   (b) a burst of local writes (`put` in a loop; every put that reported
#       success must be there, with its value or a later one),
#   (c) both ends of a sync (the client `sync`, and the server `serve`).
# After each kill: the folder opens (`digest` works), what was reported done
# is there, and a following sync converges (equal digests).
#
# CLIENTELE_CRASH_INSTANTS (default 20; 10 in a sanitizer build) instants per kind; CLIENTELE_SEED
# replays the random instants; CLIENTELE_CRASH_ROWS rows in the import
# (default 4000).
source "$(dirname "$0")/lib.sh"
FILL=${CLIENTELE_FILL:?}
SEED=${CLIENTELE_SEED:-$RANDOM}
# the sanitizer build is 3-4 times slower per process: half the instants
# there (the Release build of CI runs the full count)
K_DEFAULT=20
grep -qs '^CLIENTELE_SANITIZE:BOOL=ON' "${CLIENTELE_BUILD:-/nonexistent}/CMakeCache.txt" && K_DEFAULT=10
K=${CLIENTELE_CRASH_INSTANTS:-$K_DEFAULT}
ROWS=${CLIENTELE_CRASH_ROWS:-2500}
RANDOM=$SEED
echo "seed $SEED, $K instants per kind (replay: CLIENTELE_SEED=$SEED CLIENTELE_CRASH_INSTANTS=$K)"

ms_now() { date +%s%3N; }
# sleep_ms N — sleep N milliseconds
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# rand_ms MAX — a random number of milliseconds in [0, MAX]
rand_ms() { echo $(( (RANDOM * 32768 + RANDOM) % ($1 + 1) )); }
# killed PID — wait for PID; true when it died of SIGKILL (killed mid-run)
killed() { local rc=0; wait "$1" 2>/dev/null || rc=$?; [ "$rc" -eq 137 ]; }

count_contacts() { cl "$1" list contact | wc -l; }

PHASE=$(ms_now)
cl hub init --name hub >/dev/null
start_serve hub
HUB=$(cl hub id)

# ---------------------------------------------------------------- (a) import
cl w init --name w >/dev/null
pair w hub
csv() { # csv TAG — ROWS contacts whose names carry TAG
  awk -v n="$ROWS" -v tag="$1" 'BEGIN { print "name,email,phone,notes,tags";
    for (i = 0; i < n; i++)
      printf "%s person %d,p%d.%s@example.ro,+40 721 %06d,\"notes of %d, with a comma\",\"crash,%s\"\n", tag, i, i, tag, i, i, tag }'
}
# how long a whole import takes here, to spread the instants over it
csv ref >"$WORK/ref.csv"
cl ref init >/dev/null
t0=$(ms_now); cl ref import "$WORK/ref.csv" >/dev/null; T_IMPORT=$(( $(ms_now) - t0 ))
echo "an import of $ROWS rows takes ${T_IMPORT} ms"
a_tried=0 a_mid=0 a_done=0
for i in $(seq 1 "$K"); do
  csv "imp$i" >"$WORK/imp.csv"
  before=$(count_contacts w); dig_before=$(cl w digest)
  "$BIN" --data "$WORK/w" import "$WORK/imp.csv" >/dev/null 2>&1 &
  pid=$!
  sleep_ms "$(rand_ms $((T_IMPORT + T_IMPORT / 5)))"
  kill -9 "$pid" 2>/dev/null || true
  if killed "$pid"; then a_mid=$((a_mid + 1)); fi
  a_tried=$((a_tried + 1))
  cl w digest >/dev/null || fail "import instant $i: the folder does not open after kill -9"
  after=$(count_contacts w)
  if [ "$after" -eq "$before" ]; then
    [ "$(cl w digest)" = "$dig_before" ] || fail "import instant $i: nothing imported, yet the digest changed"
  elif [ "$after" -eq $((before + ROWS)) ]; then
    a_done=$((a_done + 1))
  else
    fail "import instant $i: $((after - before)) of $ROWS rows are there (half an import)"
  fi
  cl w sync "$HUB" >/dev/null || fail "import instant $i: the sync after the kill failed"
  same_digest w hub
done
# the folder still takes a whole import
cl w import "$WORK/ref.csv" >/dev/null || fail "import after the crashes failed"
echo "phase took $(( $(ms_now) - PHASE )) ms"; PHASE=$(ms_now)
pass "import killed at $a_tried instants ($a_mid while running, $a_done after the file was in): never half a file, every folder opens and syncs"

# ------------------------------------------------------- (b) burst of writes
FIXED=$(cl w put contact name="Fixed point" phone="+40 0")
cl w sync "$HUB" >/dev/null
# writer TAG — puts in a loop; a line in $WORK/done.TAG after each put that
# reported success: "C ID NAME" for a create, "U N" for phone=+40 N
cat >"$WORK/writer.sh" <<'EOF'
tag=$1 log=$2 fixed=$3; shift 3
k=0
while :; do
  k=$((k + 1))
  id=$("$@" put contact name="burst $tag $k" email="b$k@$tag.example" tags="burst") && echo "C $id burst $tag $k" >>"$log"
  if [ $((k % 3)) = 0 ]; then
    n=$((tag * 100000 + k))
    "$@" put contact "$fixed" phone="+40 $n" notes="update $k of $tag" >/dev/null && echo "U $n" >>"$log"
  fi
done
EOF
b_tried=0 b_puts=0
for i in $(seq 1 "$K"); do
  log="$WORK/done.$i"; : >"$log"
  setsid bash "$WORK/writer.sh" "$i" "$log" "$FIXED" "$BIN" --data "$WORK/w" &
  pid=$!
  sleep_ms $((50 + $(rand_ms 700)))
  kill -9 -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  b_tried=$((b_tried + 1))
  cl w digest >/dev/null || fail "write instant $i: the folder does not open after kill -9"
  # every create that reported success is there, with its name
  grep '^C ' "$log" | awk '{print $2}' >"$WORK/ids" || true
  want=$(wc -l <"$WORK/ids"); b_puts=$((b_puts + want))
  if [ "$want" -gt 0 ]; then
    cl w list contact --query "burst $i" >"$WORK/list"
    have=$(grep -cF -f "$WORK/ids" "$WORK/list" || true)
    [ "$have" -eq "$want" ] || fail "write instant $i: $want creates reported success, $have are there"
  fi
  # the fixed record's phone is the last reported update or a later one
  last=$(grep '^U ' "$log" | tail -1 | awk '{print $2}' || true)
  if [ -n "$last" ]; then
    b_puts=$((b_puts + $(grep -c '^U ' "$log")))
    phone=$(cl w get "$FIXED" --json | sed -n 's/.*"phone":"+40 \([0-9]*\)".*/\1/p')
    [ -n "$phone" ] && [ "$phone" -ge "$last" ] || fail "write instant $i: phone is '$phone', the last reported update wrote $last"
  fi
  cl w sync "$HUB" >/dev/null || fail "write instant $i: the sync after the kill failed"
  same_digest w hub
done
echo "phase took $(( $(ms_now) - PHASE )) ms"; PHASE=$(ms_now)
pass "burst of puts killed at $b_tried instants: all $b_puts puts that reported success are there, every folder opens and syncs"

# ------------------------------------------------------- (c) both ends of a sync
stop_serve hub
"$FILL" "$WORK/s0" 3000 >/dev/null
"$FILL" "$WORK/c0" 1000 >/dev/null
cl s0 init --name server >/dev/null; cl c0 init --name client >/dev/null
S=$(cl s0 id); C=$(cl c0 id)
cl s0 peer add "$C" >/dev/null
restore() { rm -rf "${WORK:?}/$1"; cp -a "$WORK/$2" "$WORK/$1"; }
restore s s0; restore c c0
start_serve s
cl c peer add "$S" --addr "127.0.0.1:$PORT_s" >/dev/null
t0=$(ms_now); cl c sync "$S" >/dev/null; T_SYNC=$(( $(ms_now) - t0 ))
same_digest c s
echo "a first sync of 3000 + 1000 records takes ${T_SYNC} ms"

c_tried=0 c_mid=0
for i in $(seq 1 "$K"); do
  restore c c0
  cl c peer add "$S" --addr "127.0.0.1:$PORT_s" >/dev/null
  "$BIN" --data "$WORK/c" sync "$S" >/dev/null 2>&1 &
  pid=$!
  sleep_ms "$(rand_ms $((T_SYNC + T_SYNC / 5)))"
  kill -9 "$pid" 2>/dev/null || true
  if killed "$pid"; then c_mid=$((c_mid + 1)); fi
  c_tried=$((c_tried + 1))
  cl c digest >/dev/null || fail "client instant $i: the client's folder does not open after kill -9"
  cl s digest >/dev/null || fail "client instant $i: the server's folder does not open"
  cl c sync "$S" >/dev/null || fail "client instant $i: the sync after the kill failed"
  same_digest c s
done
echo "phase took $(( $(ms_now) - PHASE )) ms"; PHASE=$(ms_now)
pass "sync client killed at $c_tried instants ($c_mid mid-run): the next sync converges"

s_tried=0 s_mid=0
for i in $(seq 1 "$K"); do
  stop_serve s
  restore s s0; restore c c0
  start_serve s
  cl c peer add "$S" --addr "127.0.0.1:$PORT_s" >/dev/null
  "$BIN" --data "$WORK/c" sync "$S" >/dev/null 2>&1 &
  cpid=$!
  sleep_ms "$(rand_ms $((T_SYNC + T_SYNC / 5)))"
  kill -9 "$PID_s" 2>/dev/null || true
  wait "$PID_s" 2>/dev/null || true
  # mid-sync when the client's sync failed for it
  if ! wait "$cpid" 2>/dev/null; then s_mid=$((s_mid + 1)); fi
  s_tried=$((s_tried + 1))
  cl s digest >/dev/null || fail "server instant $i: the server's folder does not open after kill -9"
  cl c digest >/dev/null || fail "server instant $i: the client's folder does not open"
  start_serve s
  cl c peer add "$S" --addr "127.0.0.1:$PORT_s" >/dev/null
  cl c sync "$S" >/dev/null || fail "server instant $i: the sync after the restart failed"
  same_digest c s
done
stop_serve s
echo "phase took $(( $(ms_now) - PHASE )) ms"; PHASE=$(ms_now)
pass "sync server killed at $s_tried instants ($s_mid in the middle of the sync): after a restart the next sync converges"

total=$((a_tried + b_tried + c_tried + s_tried))
echo "crash instants tried: $total (import $a_tried, writes $b_tried, sync client $c_tried, sync server $s_tried; seed $SEED)"
