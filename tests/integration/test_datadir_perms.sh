#!/usr/bin/env bash
# Data folder hygiene: the folder is created owner-only (0700) and the key
# 0600; a folder that the group or others may read or write, a key readable
# by others, or a folder owned by another user is refused with a clear
# one-line message naming the fix, and nothing is created or changed in it.
source "$(dirname "$0")/lib.sh"
unset CLIENTELE_DATA XDG_DATA_HOME

mode() { stat -c %a "$1"; }

# created owner-only, through each way of naming the folder
expect_exit 0 cl a init --name a
[ "$(mode "$WORK/a")" = 700 ] || fail "new data folder has mode $(mode "$WORK/a")"
[ "$(mode "$WORK/a/key.pem")" = 600 ] || fail "key.pem has mode $(mode "$WORK/a/key.pem")"
id_a=$OUT
expect_exit 0 env CLIENTELE_DATA="$WORK/env/deep/b" "$BIN" id
[ "$(mode "$WORK/env/deep/b")" = 700 ] || fail "\$CLIENTELE_DATA folder has mode $(mode "$WORK/env/deep/b")"
expect_exit 0 env HOME="$WORK/home" "$BIN" id
[ "$(mode "$WORK/home/.local/share/clientele")" = 700 ] || fail "default folder has mode $(mode "$WORK/home/.local/share/clientele")"
expect_exit 0 env XDG_DATA_HOME="$WORK/xdg" HOME="$WORK/nohome" "$BIN" id
[ "$(mode "$WORK/xdg/clientele")" = 700 ] || fail "XDG folder has mode $(mode "$WORK/xdg/clientele")"
[ -e "$WORK/nohome" ] && fail "HOME used although XDG_DATA_HOME is set"
pass "data folders are created 0700, the key 0600"

# a folder open to the group or others is refused, whatever the command
for m in 755 750 705 770 707 740 720 710 704 702 701; do
  chmod "$m" "$WORK/a"
  for cmd in id digest "list contact"; do
    # shellcheck disable=SC2086
    expect_exit 1 cl a $cmd
    [ "$(wc -l <<<"$ERR")" -eq 1 ] || fail "mode $m: error on more than one line: $ERR"
    grep -q "^clientele: .*$WORK/a" <<<"$ERR" || fail "mode $m: message does not name the folder: $ERR"
    grep -qF "chmod 700 $WORK/a" <<<"$ERR" || fail "mode $m: message does not say 'chmod 700': $ERR"
    [ -z "$OUT" ] || fail "mode $m: '$cmd' printed '$OUT'"
  done
done
pass "folders of mode 755, 750, 705, 770, 707, 740, 720, 710, 704, 702, 701 refused: $ERR"

# following the advice works, and nothing was changed meanwhile
chmod 700 "$WORK/a"
expect_exit 0 cl a id
[ "$OUT" = "$id_a" ] || fail "device id changed: $OUT vs $id_a"

# an existing empty folder with loose permissions: refused before anything is written
mkdir -m 755 "$WORK/loose"
expect_exit 1 cl loose init
grep -qF "chmod 700 $WORK/loose" <<<"$ERR" || fail "loose empty folder: $ERR"
[ -z "$(ls -A "$WORK/loose")" ] || fail "files created in a refused folder: $(ls -A "$WORK/loose")"
[ "$(mode "$WORK/loose")" = 755 ] || fail "clientele changed the mode of a refused folder"
chmod 700 "$WORK/loose"
expect_exit 0 cl loose init
pass "a loose empty folder is refused untouched, accepted after chmod 700"

# a key readable by others is refused too (net/identity.c)
chmod 644 "$WORK/a/key.pem"
expect_exit 1 cl a id
grep -qF "chmod 600 $WORK/a/key.pem" <<<"$ERR" || fail "readable key: $ERR"
msg=$ERR
chmod 600 "$WORK/a/key.pem"
expect_exit 0 cl a id
pass "a key readable by others is refused: $msg"

# a folder owned by another user (needs root to make one)
if [ "$(id -u)" -eq 0 ] && chown 65534 "$WORK/a" 2>/dev/null; then
  expect_exit 1 cl a id
  grep -q "belongs to another user" <<<"$ERR" || fail "foreign folder: $ERR"
  chown 0 "$WORK/a"
  pass "a folder owned by another user is refused: $ERR"
else
  echo "note: not root: the foreign-owner case is left out"
fi

# a data folder path that is a file
: >"$WORK/afile"
expect_exit 1 "$BIN" --data "$WORK/afile" id
grep -q '^clientele: ' <<<"$ERR" || fail "file as folder: $ERR"
pass "a file as the data folder is refused: $ERR"
