#!/usr/bin/env bash
# A team mesh (issue 19): 20 `serve` processes on loopback, each paired with 3
# others (a random ring plus a random perfect matching of chords: 3-regular,
# connected), concurrent edits on all of them while they sync on their own,
# then equal digests within a bounded time. Reports how long that took, the
# syncs it took and the bytes they moved, and checks that every record made
# anywhere is everywhere and that 20 concurrent writes of one field resolve
# to the same winner and the same conflict on every device.
# CLIENTELE_SEED replays a run's graph and edits (timing still varies);
# CLIENTELE_MESH_DEVICES changes the size (default 20).
source "$(dirname "$0")/lib.sh"
SEED=${CLIENTELE_SEED:-$RANDOM}
NDEV=${CLIENTELE_MESH_DEVICES:-20}
INTERVAL=3          # serve --sync-interval, seconds
PER_DEVICE=8        # companies each device creates
NSHARED=5           # contacts every device edits
CONVERGE_S=120      # the bound on convergence after the last edit
RANDOM=$SEED
export CLIENTELE_LOG=info   # the syncs are counted from serve's info lines
echo "seed $SEED, $NDEV devices (replay: CLIENTELE_SEED=$SEED)"

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
human() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MB", b / 1048576;
                                 else if (b >= 1024) printf "%.0f KB", b / 1024; else printf "%d B", b }'; }

# --- bytes: serve reports ops per sync in its log, not bytes (only the `sync`
# command prints bytes on the wire). So each serve runs with a small
# LD_PRELOAD that counts what send() and recv() move, the same bytes
# cl_conn counts, into a 16-byte file per process. Skipped (bytes reported as
# not measured) without a C compiler or under a sanitizer runtime.
BYTES_DIR=$WORK/bytes
mkdir -p "$BYTES_DIR"
cat >"$WORK/count_bytes.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t *counts; /* [0] sent, [1] received; shared with the file */

__attribute__((constructor)) static void open_counts(void)
{
    const char *dir = getenv("MESH_BYTES_DIR");
    char path[4096];
    if (!dir || snprintf(path, sizeof path, "%s/%d", dir, (int)getpid()) >= (int)sizeof path)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    if (ftruncate(fd, 2 * sizeof *counts) == 0) {
        void *p = mmap(NULL, 2 * sizeof *counts, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED)
            counts = p;
    }
    close(fd);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, const void *, size_t, int);
    if (!real)
        real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    ssize_t n = real(fd, buf, len, flags);
    if (n > 0 && counts)
        __atomic_add_fetch(&counts[0], (uint64_t)n, __ATOMIC_RELAXED);
    return n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, void *, size_t, int);
    if (!real)
        real = (ssize_t (*)(int, void *, size_t, int))dlsym(RTLD_NEXT, "recv");
    ssize_t n = real(fd, buf, len, flags);
    if (n > 0 && counts)
        __atomic_add_fetch(&counts[1], (uint64_t)n, __ATOMIC_RELAXED);
    return n;
}
EOF
PRELOAD=
if ldd "$BIN" 2>/dev/null | grep -Eq 'lib(a|t|m|hwa)san'; then
  echo "note: $BIN uses a sanitizer runtime: bytes not measured"
elif ${CC:-cc} -shared -fPIC -O2 -o "$WORK/count_bytes.so" "$WORK/count_bytes.c" -ldl 2>"$WORK/cc.err"; then
  PRELOAD=$WORK/count_bytes.so
else
  echo "note: no C compiler for the byte counter ($(head -1 "$WORK/cc.err")): bytes not measured"
fi
# bytes NAME — "sent received" by NAME's serve so far
bytes() {
  local v="PID_$1" f
  f=$BYTES_DIR/${!v}
  if [ -n "$PRELOAD" ] && [ -s "$f" ]; then od -An -t u8 -N16 "$f" | awk '{ print $1, $2 }'; else echo "0 0"; fi
}

# --- the graph: a ring over a random order of the devices plus a random
# perfect matching of chords (none doubling a ring edge): every device has
# exactly 3 peers, and the ring keeps it connected whatever the chords are
DEVS=()
for i in $(seq 0 $((NDEV - 1))); do DEVS+=("d$i"); done
shuffle() { # SHUF= a random order of 0 … NDEV-1 (no subshell: bash reseeds RANDOM in one)
  local i j t
  SHUF=($(seq 0 $((NDEV - 1))))
  for ((i = NDEV - 1; i > 0; i--)); do j=$((RANDOM % (i + 1))); t=${SHUF[i]}; SHUF[i]=${SHUF[j]}; SHUF[j]=$t; done
}
declare -A EDGE ADJ
EDGES=()
add_edge() { local a=$1 b=$2; [ "$a" -lt "$b" ] || { a=$2; b=$1; }; EDGE[$a,$b]=1; EDGES+=("$a $b"); ADJ[$a]+=" $b"; ADJ[$b]+=" $a"; }
[ $((NDEV % 2)) = 0 ] && [ "$NDEV" -ge 6 ] || fail "the mesh needs an even number of devices, at least 6"
shuffle; RING=("${SHUF[@]}")
for ((k = 0; k < NDEV; k++)); do add_edge "${RING[k]}" "${RING[(k + 1) % NDEV]}"; done
chords=
for _ in $(seq 1 500); do
  shuffle; M=("${SHUF[@]}"); ok=1
  for ((k = 0; k < NDEV; k += 2)); do
    a=${M[k]} b=${M[k + 1]}; [ "$a" -lt "$b" ] || { a=${M[k + 1]}; b=${M[k]}; }
    [ -n "${EDGE[$a,$b]:-}" ] && { ok=0; break; }
  done
  [ $ok = 1 ] && { chords=1; break; }
done
[ -n "$chords" ] || fail "no matching of chords found (seed $SEED)"
for ((k = 0; k < NDEV; k += 2)); do add_edge "${M[k]}" "${M[k + 1]}"; done
# breadth-first from every device: all reached (connected), and the diameter
DIAMETER=0
for s in $(seq 0 $((NDEV - 1))); do
  declare -A dist=([$s]=0); q=("$s"); h=0
  while [ $h -lt ${#q[@]} ]; do
    u=${q[h]}; h=$((h + 1))
    for v in ${ADJ[$u]}; do
      [ -n "${dist[$v]:-}" ] && continue
      dist[$v]=$((dist[$u] + 1)); q+=("$v")
      [ "${dist[$v]}" -gt $DIAMETER ] && DIAMETER=${dist[$v]}
    done
  done
  [ ${#q[@]} = "$NDEV" ] || fail "the pairing graph is not connected from d$s (seed $SEED)"
  unset dist
done
for i in $(seq 0 $((NDEV - 1))); do
  [ "$(wc -w <<<"${ADJ[$i]}")" = 3 ] || fail "d$i has peers ${ADJ[$i]}, not 3"
done
echo "graph: ${#EDGES[@]} pairs, every device has 3 peers, diameter $DIAMETER"
echo "  edges: $(printf 'd%s-d%s ' ${EDGES[@]})"

# --- devices, serves, pairing
declare -A ID_OF
for d in "${DEVS[@]}"; do ID_OF[$d]=$(cl $d init --name "mesh-$d"); done
for d in "${DEVS[@]}"; do
  if [ -n "$PRELOAD" ]; then
    LD_PRELOAD=$PRELOAD MESH_BYTES_DIR=$BYTES_DIR start_serve $d --sync-interval $INTERVAL
  else
    start_serve $d --sync-interval $INTERVAL
  fi
done
for e in "${EDGES[@]}"; do set -- $e; pair "d$1" "d$2"; done
for e in "${EDGES[@]}"; do
  set -- $e
  is_paired "d$1" "d$2" && is_paired "d$2" "d$1" || fail "d$1 and d$2 are not paired both ways"
done
pass "$NDEV serves on loopback, ${#EDGES[@]} mutual pairs, every device with 3 peers, connected"

# digests_equal — every device holds the same data (deleted records too)
digests_equal() {
  local first d
  first=$(cl d0 digest --all)
  for d in "${DEVS[@]}"; do [ "$(cl $d digest --all)" = "$first" ] || return 1; done
}
# converge SECONDS — poll until digests_equal, at most SECONDS (bounded)
converge() {
  local end=$(( $(now_ms) + $1 * 1000 ))
  while [ "$(now_ms)" -lt $end ]; do digests_equal && return 0; sleep 0.5; done
  digests_equal
}
# diagnose — which devices hold what, and what their serves said, for a failure
diagnose() {
  local d
  for d in "${DEVS[@]}"; do
    echo "  $d: digest $(cl $d digest --all | cut -c1-12), $(cl $d list company | wc -l) companies," \
         "serve $(kill -0 "$(eval echo \$PID_$d)" 2>/dev/null && echo up || echo DEAD)," \
         "errors: $(cl $d peer list --json | grep -o '"last_error":"[^"]\+"' | sort | uniq -c | tr -s ' ' | head -3 | tr '\n' ';')"
  done >&2
  grep -h "warn\|failed" "$WORK"/d*.log | sed 's/^clientele\[[0-9]*\] //; s/[A-Z2-7]\{5\}\(-[A-Z2-7]\{5\}\)\{6\}/DEVICE/g' |
    sort | uniq -c | sort -rn | head -10 >&2 || true
}

# --- the shared records: made on d0, spread to everyone by the serves alone
T=$(now_ms)
SHARED=()
for k in $(seq 1 $NSHARED); do SHARED+=("$(cl d0 put contact name="Shared client $k" title="Buyer $k")"); done
converge 60 || { diagnose; fail "$NSHARED records made on d0 did not reach all $NDEV devices within 60 s"; }
SPREAD_MS=$(( $(now_ms) - T ))
echo "mesh: $NSHARED records from d0 reached all $NDEV devices in $(secs $SPREAD_MS) s"
# applied ops logged ("received N ops") — each device but d0 logs the 2 ops
# of each shared contact exactly once (waited for: a serve logs a sync just
# after it commits it, and the edits' count starts from here)
applied_by() { sed -n 's/.*info: synced.*: sent [0-9]*, received \([0-9]*\) ops.*/\1/p' | awk '{ a += $1 } END { print a + 0 }'; }
phase1_logged() {
  local d
  for d in "${DEVS[@]:1}"; do [ "$(applied_by <"$WORK/$d.log")" = $((2 * NSHARED)) ] || return 1; done
}
for _ in $(seq 1 50); do phase1_logged && break; sleep 0.2; done
phase1_logged || fail "the shared contacts' ops were not applied exactly once on every device:" \
  "$(for d in "${DEVS[@]:1}"; do printf '%s %s; ' $d "$(applied_by <"$WORK/$d.log")"; done)"

# --- concurrent edits on every device while the serves sync
FIELDS=(title notes address)
# edit_device I — device dI's edits: at the go signal it writes the city of
# the first shared contact (all devices at once: one field, 20 concurrent
# writers), then makes PER_DEVICE companies with an edit of a random field of
# a random shared contact every other one, deletes its first company, and
# one in four devices writes the notes of that contact at the end (having
# seen some of the others' by then, or not: a write that saw the city
# conflict does not resolve it, as that is another field). Then it counts
# the ops it made into ops.dI: 3 per company and 1 for its delete, and what
# its own history of the shared contacts says it wrote there (an edit of a
# contact deleted on this device writes its un-deletion too), less the name
# and title d0 gave them before.
edit_device() {
  local i=$1 d=d$1 k id s f n
  RANDOM=$(( SEED * 131 + i ))
  for _ in $(seq 1 200); do [ -e "$WORK/go" ] && break; sleep 0.05; done
  cl $d put contact "${SHARED[0]}" city="City of $d" >/dev/null
  for k in $(seq 1 $PER_DEVICE); do
    id=$(cl $d put company name="Company $k of $d" industry="Mesh" phone="+40 7$(printf %02d "$i") 000 $(printf %03d "$k")")
    echo "$id" >>"$WORK/ids.$d"
    if [ $((k % 2)) = 0 ]; then
      s=${SHARED[$((1 + RANDOM % (NSHARED - 1)))]}; f=${FIELDS[$((RANDOM % ${#FIELDS[@]}))]}
      cl $d put contact "$s" "$f=$f by $d #$k" >/dev/null
    fi
    # the last shared contact is deleted by one device amid the others' edits
    if [ "$i" = 1 ] && [ "$k" = $((PER_DEVICE / 2)) ]; then cl $d rm "${SHARED[NSHARED - 1]}" >/dev/null; fi
    sleep 0.$((2 + RANDOM % 8))  # edits spread over some sync intervals
  done
  cl $d rm "$(head -1 "$WORK/ids.$d")" >/dev/null
  if [ $((i % 4)) = 0 ]; then cl $d put contact "${SHARED[0]}" notes="Last word of $d" >/dev/null; fi
  n=$((PER_DEVICE * 3 + 1))
  [ "$i" = 0 ] && n=$((n - 2 * NSHARED))
  for s in "${SHARED[@]}"; do
    n=$((n + $(cl $d history "$s" --json | grep -o '"device":"[^"]*"' | grep -c "\"${ID_OF[$d]}\"" || true)))
  done
  echo $n >"$WORK/ops.$d"
}

# where each serve's log and byte counters stand before the edits
declare -A LOG0 SENT0 RECV0 LOG1 SENT1 RECV1
for d in "${DEVS[@]}"; do
  LOG0[$d]=$(wc -l <"$WORK/$d.log"); read -r SENT0[$d] RECV0[$d] < <(bytes $d)
done
EDITORS=() SERVES=("${PIDS[@]}")
for i in $(seq 0 $((NDEV - 1))); do
  ( edit_device "$i" ) >"$WORK/edit.d$i.out" 2>&1 &
  EDITORS+=("$!"); PIDS+=("$!")   # stopped by lib.sh's cleanup if the test fails first
done
T0=$(now_ms)
touch "$WORK/go"
for i in $(seq 0 $((NDEV - 1))); do
  wait "${EDITORS[i]}" || fail "an edit on d$i failed: $(tail -3 "$WORK/edit.d$i.out")"
done
PIDS=("${SERVES[@]}")   # the editors are gone: their ids may be reused
T_EDITS=$(now_ms)
echo "edits: $NDEV devices edited concurrently for $(secs $((T_EDITS - T0))) s"
converge $CONVERGE_S || { diagnose; fail "digests still differ $CONVERGE_S s after the last edit (seed $SEED)"; }
T1=$(now_ms)
pass "all $NDEV digests equal $(secs $((T1 - T_EDITS))) s after the last edit"

# every op made is applied exactly once on each other device: the serves'
# lines since the edits began count the ops applied ("received") on both
# sides. Equal digests can come a little before: an op that a later write
# saw and superseded changes no state where it arrives last.
declare -A MADE_BY
MADE=0
for d in "${DEVS[@]}"; do MADE_BY[$d]=$(cat "$WORK/ops.$d"); MADE=$((MADE + MADE_BY[$d])); done
WANT_APPLIED=$((MADE * (NDEV - 1)))
since_edits() { local d; for d in "${DEVS[@]}"; do tail -n +$((LOG0[$d] + 1)) "$WORK/$d.log"; done; }
for _ in $(seq 1 150); do
  APPLIED=$(since_edits | applied_by)
  [ "$APPLIED" -ge $WANT_APPLIED ] && break
  sleep 0.2
done
T_OPS=$(now_ms)
# the syncs and bytes it took: from the first edit until every op is everywhere
for d in "${DEVS[@]}"; do
  LOG1[$d]=$(wc -l <"$WORK/$d.log"); read -r SENT1[$d] RECV1[$d] < <(bytes $d)
done
if [ "$APPLIED" != $WANT_APPLIED ]; then
  for d in "${DEVS[@]}"; do # what each device applied against what the others made
    echo "  $d applied $(tail -n +$((LOG0[$d] + 1)) "$WORK/$d.log" | applied_by), want $((MADE - MADE_BY[$d]))"
  done >&2
  fail "every op should be applied once on every other device: $APPLIED applied, $WANT_APPLIED expected"
fi
pass "each of the $MADE ops made applied exactly once on each of the other $((NDEV - 1)) devices" \
     "($(secs $((T_OPS - T_EDITS))) s after the last edit)"

# --- what converged is right
# every company made anywhere (but the deleted ones) is on every device
cat "$WORK"/ids.d* | sort >"$WORK/all.ids"
for d in "${DEVS[@]}"; do head -1 "$WORK/ids.$d"; done | sort >"$WORK/rm.ids"
comm -23 "$WORK/all.ids" "$WORK/rm.ids" >"$WORK/live.ids"
WANT=$(( NDEV * (PER_DEVICE - 1) ))
[ "$(wc -l <"$WORK/live.ids")" = $WANT ] || fail "expected $WANT live companies, made $(wc -l <"$WORK/live.ids")"
for d in "${DEVS[@]}"; do
  cl $d list company | awk '{ print $1 }' | sort >"$WORK/has.ids"
  cmp -s "$WORK/has.ids" "$WORK/live.ids" ||
    fail "$d holds other companies than were made: $(diff "$WORK/live.ids" "$WORK/has.ids" | head -5 | tr '\n' ' ')"
done
pass "each of the $WANT companies made on $NDEV devices (and none of the $NDEV deleted) is on every device"

# the shared contacts read the same everywhere: fields, conflicts, deletion
for s in "${SHARED[@]}"; do
  cl d0 get "$s" --json >"$WORK/want.json" 2>&1 || true
  for d in "${DEVS[@]}"; do
    cl $d get "$s" --json >"$WORK/got.json" 2>&1 || true
    cmp -s "$WORK/want.json" "$WORK/got.json" || fail "$s reads differently on $d: $(cat "$WORK/got.json") vs d0: $(cat "$WORK/want.json")"
  done
done
cl d0 get "${SHARED[0]}" --json >"$WORK/s0.json"
CITY=$(sed -n 's/.*"fields":{[^}]*"city":"\([^"]*\)".*/\1/p' "$WORK/s0.json")
[[ "$CITY" =~ ^City\ of\ d[0-9]+$ ]] || fail "the shared city is '$CITY', none of the values written: $(cat "$WORK/s0.json")"
grep -q '"conflicts":\[{[^]]*"field":"city"' "$WORK/s0.json" ||
  fail "$NDEV concurrent writes of one field left no conflict: $(cat "$WORK/s0.json")"
LOSERS=$(grep -o '"conflicts":\[.*\]' "$WORK/s0.json" | grep -o '"field":"city"' | wc -l)
for d in "${DEVS[@]}"; do
  WRITES=$(cl $d history "${SHARED[0]}" --json | grep -o '"to":"City of d[0-9]*"' | sort -u | wc -l)
  [ "$WRITES" = "$NDEV" ] || fail "$d's history of the shared contact has $WRITES of the $NDEV devices' city writes"
done
pass "$NDEV concurrent writes of one field: '$CITY' wins on every device, the same $LOSERS conflicting value(s) listed everywhere, every write in every history"

# --- the figures
SYNCS=0 WITH_OPS=0 FAILED=0 WARNED=0 SENT=0 RECEIVED=0 MAXDEV=0 MAXDEV_NAME=
for d in "${DEVS[@]}"; do
  win=$(sed -n "$((LOG0[$d] + 1)),${LOG1[$d]}p" "$WORK/$d.log")
  n=$(grep -c "info: synced with " <<<"$win" || true)
  SYNCS=$((SYNCS + n))
  WITH_OPS=$((WITH_OPS + $(grep "info: synced with " <<<"$win" | grep -vc "sent 0, received 0 ops" || true)))
  FAILED=$((FAILED + $(grep -c "sync failed\|warn: sync with .* failed" <<<"$win" || true)))
  WARNED=$((WARNED + $(grep -c "] warn: \|] error: " <<<"$win" || true)))
  grep "] warn: \|] error: " <<<"$win" >>"$WORK/warnings" || true
  s=$((SENT1[$d] - SENT0[$d])) r=$((RECV1[$d] - RECV0[$d]))
  SENT=$((SENT + s)) RECEIVED=$((RECEIVED + r))
  [ $((s + r)) -gt $MAXDEV ] && { MAXDEV=$((s + r)); MAXDEV_NAME=$d; }
done
# ops on the wire: may be more than applied (two peers offering the same ops
# at once); "sent" on both sides (the client side logs only syncs that moved
# something)
WIRE=$(since_edits | sed -n 's/.*info: synced.*: sent \([0-9]*\), received [0-9]* ops.*/\1/p' | awk '{ w += $1 } END { print w + 0 }')
CONVERGE_MS=$((T1 - T_EDITS))
if [ -n "$PRELOAD" ]; then
  BYTES_LINE="$(human $SENT) sent ($(human $((SENT / NDEV))) per device)"
else
  BYTES_LINE="bytes not measured"
fi
echo "mesh: $NDEV devices, ${#EDGES[@]} pairs, converged in $(secs $CONVERGE_MS) s, $SYNCS syncs, $BYTES_LINE"
echo "mesh: seed $SEED, diameter $DIAMETER, sync interval $INTERVAL s; edits for $(secs $((T_EDITS - T0))) s," \
     "converged $(secs $((T1 - T0))) s after the first edit, $(secs $CONVERGE_MS) s after the last"
# a round: every device syncs once with each of its peers (2 syncs a pair)
echo "mesh: $SYNCS syncs, $(awk -v s=$SYNCS -v n=$NDEV 'BEGIN { printf "%.1f", s / n }') per device," \
     "$(awk -v s=$SYNCS -v p=${#EDGES[@]} 'BEGIN { printf "%.1f", s / (2 * p) }') rounds; $WITH_OPS moved ops, $FAILED failed, $WARNED warnings"
[ ! -s "$WORK/warnings" ] || sed 's/^clientele\[[0-9]*\] //; s/[A-Z2-7]\{5\}\(-[A-Z2-7]\{5\}\)\{6\}/DEVICE/g' "$WORK/warnings" |
  sort | uniq -c | sort -rn | head -5
echo "mesh: $MADE ops made, $APPLIED applied ($MADE x $((NDEV - 1))), $WIRE sent" \
     "($(awk -v w=$WIRE -v m=$WANT_APPLIED 'BEGIN { printf "%.2f", m ? w / m : 0 }') x the least)," \
     "every op everywhere $(secs $((T_OPS - T_EDITS))) s after the last edit"
if [ -n "$PRELOAD" ]; then
  echo "mesh: bytes sent $SENT, received $RECEIVED; per device $(human $(((SENT + RECEIVED) / NDEV))) in+out," \
       "most $(human $MAXDEV) ($MAXDEV_NAME); $(human $((SENT / (SYNCS ? SYNCS : 1)))) per sync (both ways)," \
       "$(awk -v b=$SENT -v a=$APPLIED 'BEGIN { printf "%.0f", a ? b / a : 0 }') B per op applied"
  for d in "${DEVS[@]}"; do
    printf '  %s: %s sent, %s received\n' $d "$(human $((SENT1[$d] - SENT0[$d])))" "$(human $((RECV1[$d] - RECV0[$d])))"
  done | paste -d ' ' - - - -
fi

# --- idle: the serves go on syncing every interval; with nothing new those
# syncs move no op and cost a resumed handshake and two hellos each
declare -A LOG2 SENT2 RECV2 SENT3 RECV3
for d in "${DEVS[@]}"; do LOG2[$d]=$(wc -l <"$WORK/$d.log"); read -r SENT2[$d] RECV2[$d] < <(bytes $d); done
sleep $((2 * INTERVAL))
IDLE=0 IDLE_MOVED=0 IDLE_BYTES=0
for d in "${DEVS[@]}"; do
  read -r SENT3[$d] RECV3[$d] < <(bytes $d)
  win=$(tail -n +$((LOG2[$d] + 1)) "$WORK/$d.log")
  IDLE=$((IDLE + $(grep -c "info: synced with " <<<"$win" || true)))
  IDLE_MOVED=$((IDLE_MOVED + $(grep "info: synced" <<<"$win" | grep -vc "sent 0, received 0 ops" || true)))
  IDLE_BYTES=$((IDLE_BYTES + SENT3[$d] - SENT2[$d]))
done
if [ -n "$PRELOAD" ]; then IDLE_LINE="$((IDLE_BYTES / (IDLE ? IDLE : 1))) B per sync"; else IDLE_LINE="bytes not measured"; fi
echo "mesh: idle for $((2 * INTERVAL)) s: $IDLE syncs, $IDLE_LINE (hello of $NDEV writers)"
[ "$IDLE" -gt 0 ] || fail "no sync in $((2 * INTERVAL)) s with a sync interval of $INTERVAL s"
[ "$IDLE_MOVED" = 0 ] || fail "$IDLE_MOVED syncs moved ops after every op had arrived everywhere"
pass "after convergence the serves' syncs move nothing"

for d in "${DEVS[@]}"; do
  v="PID_$d"; kill -0 "${!v}" 2>/dev/null || fail "the serve of $d died: $(tail -3 "$WORK/$d.log")"
done
pass "all $NDEV serves still run"
