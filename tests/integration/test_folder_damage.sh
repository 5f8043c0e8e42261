#!/usr/bin/env bash
# A damaged data folder gets one clear line (exit 1, never a crash) and is
# left as it was: data.mdb cut short at several lengths or emptied, random
# bytes, another program's LMDB file, another device's book, a newer schema,
# a missing or unreadable key or certificate. A damaged lock.mdb is rebuilt
# by LMDB (it holds no data). Then the undamaged folder still works.
source "$(dirname "$0")/lib.sh"
FILL=${CLIENTELE_FILL:?}

"$FILL" "$WORK/good" 2000 >/dev/null
cl good init --name good >/dev/null
DIGEST=$(cl good digest)
SIZE=$(stat -c %s "$WORK/good/data.mdb")

fresh() { rm -rf "${WORK:?}/t"; cp -a "$WORK/good" "$WORK/t"; }
# refused WHAT PATTERN — every command on folder t exits 1 with one line
# matching PATTERN, and no file of t changes
refused() {
  local what=$1 pat=$2 cmd
  (cd "$WORK/t" && md5sum ./* 2>/dev/null) >"$WORK/sums"
  for cmd in digest "list contact" "put contact name=Nobody" id; do
    # shellcheck disable=SC2086
    expect_exit 1 cl t $cmd
    [ "$(wc -l <<<"$ERR")" -eq 1 ] || fail "$what: '$cmd' said more than one line: $ERR"
    grep -q "^clientele: " <<<"$ERR" || fail "$what: '$cmd': not a clientele error line: $ERR"
    grep -qE "$pat" <<<"$ERR" || fail "$what: '$cmd' said '$ERR', expected /$pat/"
  done
  (cd "$WORK/t" && md5sum ./* 2>/dev/null) | grep -v lock.mdb >"$WORK/sums2" || true
  grep -v lock.mdb "$WORK/sums" | diff - "$WORK/sums2" >/dev/null || fail "$what: the folder was changed"
  pass "$what: $ERR"
}

for cut in 0 4096 8192 65536 $((SIZE / 2)) $((SIZE - 4096)); do
  fresh; truncate -s "$cut" "$WORK/t/data.mdb"
  refused "data.mdb cut to $cut of $SIZE bytes" "damaged|empty|not hold a clientele database"
done

fresh; head -c 262144 /dev/urandom >"$WORK/t/data.mdb"
refused "data.mdb of random bytes" "not hold a clientele database|damaged"

# every data page zero-filled, the two meta pages intact (was "MDB_BAD_TXN: Transaction must abort")
fresh; dd if=/dev/zero of="$WORK/t/data.mdb" bs=4096 seek=2 count=$((SIZE / 4096 - 2)) conv=notrunc 2>/dev/null
refused "data.mdb with its data pages zero-filled" "the database is damaged.*restore the folder from a backup"

fresh; head -c 8192 /dev/zero >>"$WORK/t/data.mdb"; dd if=/dev/urandom of="$WORK/t/data.mdb" bs=4096 seek=0 count=2 conv=notrunc 2>/dev/null
refused "data.mdb with both meta pages overwritten" "not hold a clientele database|damaged"

if command -v mdb_load >/dev/null; then
  fresh; rm "$WORK/t/data.mdb" "$WORK/t/lock.mdb"
  printf 'hello\nworld\n' | mdb_load -T "$WORK/t"
  refused "another program's LMDB file" "another program"
  fresh; printf 'schema\n\\00\\00\\00\\00\\00\\00\\00\\63\n' | mdb_load -T -s meta "$WORK/t"
  refused "a book of a newer schema (99)" "newer clientele.*upgrade"
else
  echo "note: no mdb_load (lmdb-utils): foreign LMDB file and newer schema left to unit.test_store"
fi

cl other init >/dev/null
fresh; cp "$WORK/other/data.mdb" "$WORK/t/data.mdb"
refused "another device's data.mdb" "another device"

fresh; rm "$WORK/t/key.pem"
refused "missing key.pem" "key.pem is missing"
[ ! -e "$WORK/t/key.pem" ] || fail "a new key was made next to an existing book"
fresh; rm "$WORK/t/data.mdb" "$WORK/t/lock.mdb"
refused "data.mdb deleted next to the key" "data.mdb is missing next to this device's key"
[ ! -e "$WORK/t/data.mdb" ] || fail "a new book was started under the old key"

fresh; rm "$WORK/t/cert.pem"
refused "missing cert.pem" "certificate"

fresh; echo "-----BEGIN EC PRIVATE KEY----- garbage" >"$WORK/t/key.pem"
refused "garbage key.pem" "key"

fresh; chmod 644 "$WORK/t/key.pem"
refused "key.pem readable by others" "chmod 600"

fresh; head -c 8192 /dev/urandom >"$WORK/t/lock.mdb"
expect_exit 0 cl t digest
[ "$OUT" = "$DIGEST" ] || fail "a damaged lock.mdb changed the digest"
pass "a damaged lock.mdb is rebuilt (it holds no data): digest unchanged"

expect_exit 0 cl good digest
[ "$OUT" = "$DIGEST" ] || fail "the undamaged folder changed"
cl good put contact name="Still works" >/dev/null
pass "the undamaged folder still works"
