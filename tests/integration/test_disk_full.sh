#!/usr/bin/env bash
# A read-only data folder and a full disk: `put` and `import` fail with one
# clear line (exit 1), nothing is half-written, and once the disk has room
# (or the folder is writable) again the folder works with everything that
# had reported success.
#   read-only: a read-only bind mount as root, chmod when not root;
#   disk full: a small tmpfs (needs permission to mount: exit 77, skipped,
#   when there is none).
source "$(dirname "$0")/lib.sh"
MOUNTS=()
unmount_all() {
  local m
  for m in "${MOUNTS[@]:-}"; do [ -n "$m" ] && umount -l "$m" 2>/dev/null; done
  return 0
}
trap 'unmount_all; cleanup' EXIT

# one_line WHAT — $ERR is a single "clientele: " line
one_line() {
  [ "$(wc -l <<<"$ERR")" -eq 1 ] || fail "$1: more than one line: $ERR"
  grep -q "^clientele: " <<<"$ERR" || fail "$1: not a clientele error line: $ERR"
}

# ------------------------------------------------------------- read-only
cl ro init --name ro >/dev/null
for k in 1 2 3; do cl ro put contact name="Before $k" >/dev/null; done
DIG=$(cl ro digest)
ro_how=""
if [ "$(id -u)" -ne 0 ]; then
  chmod 500 "$WORK/ro"; chmod 400 "$WORK/ro"/*
  ro_how="chmod"
elif mount --bind "$WORK/ro" "$WORK/ro" 2>/dev/null; then
  MOUNTS+=("$WORK/ro")
  if mount -o remount,bind,ro "$WORK/ro" 2>/dev/null; then ro_how="read-only bind mount"; else umount "$WORK/ro"; fi
fi
if [ -n "$ro_how" ]; then
  expect_exit 1 cl ro put contact name="During"
  one_line "put on a read-only folder"
  msg_put=$ERR
  printf 'name\nA\nB\n' >"$WORK/two.csv"
  expect_exit 1 cl ro import "$WORK/two.csv"
  one_line "import on a read-only folder"
  if [ "$ro_how" = chmod ]; then chmod 700 "$WORK/ro"; chmod 600 "$WORK/ro"/*; else umount "$WORK/ro"; MOUNTS=(); fi
  [ "$(cl ro digest)" = "$DIG" ] || fail "the read-only folder changed"
  [ "$(cl ro list contact | wc -l)" -eq 3 ] || fail "records appeared or vanished in the read-only folder"
  cl ro put contact name="After" >/dev/null || fail "put after making the folder writable again failed"
  pass "read-only folder ($ro_how): put and import refused in one line ($msg_put), digest unchanged, writable again afterwards"
else
  echo "note: root without permission to mount: the read-only case is left out"
fi

# ------------------------------------------------------------- disk full
mkdir -p "$WORK/small"
if ! mount -t tmpfs -o size=6m,mode=0700 tmpfs "$WORK/small" 2>/dev/null; then
  echo "SKIP: cannot mount a small tmpfs here (needs root): the disk-full case is not tested"
  exit 77
fi
MOUNTS+=("$WORK/small")
cl small/d init --name small >/dev/null
# room to give back later
head -c 1048576 /dev/zero >"$WORK/small/filler"
NOTES=$(head -c 19000 /dev/zero | tr '\0' 'n')
: >"$WORK/ok-ids"
full=""
for k in $(seq 1 400); do
  set +e
  id=$("$BIN" --data "$WORK/small/d" put contact name="Big $k" notes="$NOTES $k" 2>"$WORK/.err")
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then echo "$id" >>"$WORK/ok-ids"; continue; fi
  [ "$rc" -eq 1 ] || fail "put on a full disk exited $rc: $(cat "$WORK/.err")"
  ERR=$(cat "$WORK/.err"); full=$k
  break
done
[ -n "$full" ] || fail "400 puts of 19 KB fitted in a 6 MB tmpfs?"
one_line "put on a full disk"
grep -qiE "disk full|no space" <<<"$ERR" || fail "put on a full disk: the message does not say the disk is full: $ERR"
msg_full=$ERR
ok=$(wc -l <"$WORK/ok-ids")
# the folder opens and holds exactly what reported success
expect_exit 0 cl small/d digest
DIG=$OUT
[ "$(cl small/d list contact | wc -l)" -eq "$ok" ] || fail "after the disk filled: not the $ok records that reported success"
cl small/d list contact >"$WORK/list"
grep -cF -f "$WORK/ok-ids" "$WORK/list" | grep -qx "$ok" || fail "a record that reported success is missing"
# an import on the full disk: refused whole
awk 'BEGIN { print "name,notes"; for (i = 0; i < 300; i++) printf "Row %d,%0500d\n", i, i }' >"$WORK/rows.csv"
expect_exit 1 cl small/d import "$WORK/rows.csv"
one_line "import on a full disk"
[ "$(cl small/d digest)" = "$DIG" ] || fail "a refused import on a full disk changed the digest"
pass "disk full after $ok puts: '$msg_full'; the folder opens with exactly those $ok records; an import is refused whole"
# room again: writes work, nothing was lost
rm "$WORK/small/filler"
cl small/d put contact name="After the disk had room again" >/dev/null || fail "put after freeing space failed: $ERR"
[ "$(cl small/d list contact | wc -l)" -eq $((ok + 1)) ] || fail "records lost after freeing space"
cl small/d import "$WORK/rows.csv" >/dev/null || fail "import after freeing space failed"
[ "$(cl small/d list contact | wc -l)" -eq $((ok + 301)) ] || fail "import after freeing space: wrong count"
pass "with room again, put and import work and all $ok earlier records are there"
