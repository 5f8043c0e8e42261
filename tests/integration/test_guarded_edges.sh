#!/usr/bin/env bash
# Smaller doors of issue 15: exports are owner-only like the folder they come
# from; wrong invitation secrets are limited (10 a minute) and logged.
source "$(dirname "$0")/lib.sh"
cl a init --name dev-a >/dev/null; cl b init --name dev-b >/dev/null
cl a put contact name="Ana Pop" email=ana@pop.ro >/dev/null

# --- exports are 0600 (the folder is 0700), whatever the umask
for f in json csv vcf; do
  fmt=$f; [ $f = vcf ] && fmt=vcard
  (umask 022; cl a export --format "$fmt" --output "$WORK/book.$f" >/dev/null)
  [ "$(stat -c %a "$WORK/book.$f")" = 600 ] || fail "export --format $fmt wrote mode $(stat -c %a "$WORK/book.$f")"
done
touch "$WORK/old.json"; chmod 644 "$WORK/old.json"
cl a export --format json --output "$WORK/old.json" >/dev/null
[ "$(stat -c %a "$WORK/old.json")" = 600 ] || fail "an export over a 0644 file left it $(stat -c %a "$WORK/old.json")"
pass "exports are written 0600"

# --- a mistyped --data: reading commands say so instead of answering for a new, empty book
for args in "digest" "list contact" "due" "get aaaaaaaaaaaaaaaaaaaaaaaaaa" "history aaaaaaaaaaaaaaaaaaaaaaaaaa" "export --format json"; do
  # shellcheck disable=SC2086
  expect_exit 1 "$BIN" --data "$WORK/typo" $args
  grep -q "no data folder at $WORK/typo" <<<"$ERR" || fail "$args on a missing folder: $ERR"
  [ -e "$WORK/typo" ] && fail "$args created the missing folder"
done
cl fresh put company name="First use" >/dev/null || fail "put no longer creates a new folder"
[ "$(cl fresh list company | grep -c 'First use')" = 1 ] || fail "the new folder does not hold the record"
pass "reading commands refuse a missing data folder (nothing created); put still creates one"

# --- invitation guesses
start_serve a
INV=$(cl a peer invite --addr "127.0.0.1:$PORT_a" 2>/dev/null | grep -o "clientele://[^' ]*" | head -1)
[ -n "$INV" ] || fail "no invitation printed"
secret=${INV#clientele://*/}; secret=${secret%@*}
forge() { # a secret of the same length, not the real one
  python3 -c "import random,sys; s=sys.argv[1]; a='ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
while True:
  t=''.join(random.choice(a) for _ in s)
  if t!=s: print(t); break" "$secret"
}
# Guess until the limit answers (at most 30 tries). The bucket refills one
# guess per 6 s, so a slow machine may get a few more checked guesses than
# 10: the bound allows exactly those, no more.
checked=0 t0=$(date +%s.%N)
for i in $(seq 1 30); do
  bad=${INV/$secret/$(forge)}
  expect_exit 1 cl b peer join "$bad"
  grep -q "too many wrong invitations" <<<"$ERR" && break
  checked=$((checked + 1))
done
grep -q "too many wrong invitations" <<<"$ERR" || fail "30 wrong guesses in a row were all checked (limit 10 a minute)"
# Tokens the bucket can hold at most by now: 10 + elapsed/6 - checked.
tokens_bound() { python3 -c "import sys,time; print(10 + (time.time() - float(sys.argv[1])) / 6 - int(sys.argv[2]))" "$t0" "$checked"; }
allowed=$(python3 -c "import sys,time; print(10 + int((time.time() - float(sys.argv[1])) / 6) + 1)" "$t0")
echo "wrong guesses checked before the limit answered: $checked (allowed $allowed)"
[ "$checked" -ge 10 ] || fail "the limit answered after only $checked wrong guesses"
[ "$checked" -le "$allowed" ] || fail "$checked wrong guesses checked: more than 10 a minute"
n=$(grep -c "wrong invitation secret from device $(cl b id)" "$WORK/a.log" || true)
[ "$n" -ge 10 ] || fail "wrong guesses not logged ($n lines)"
is_paired a b && fail "a wrong guess paired b"
# While the limit holds, even the right one waits. A slow run may reach this
# after the bucket has refilled one token; accepting it is only right then.
if cl b peer join "$INV" >/dev/null 2>"$WORK/join.err"; then
  b=$(tokens_bound)
  python3 -c "import sys; sys.exit(float(sys.argv[1]) < 1)" "$b" ||
    fail "the right secret was checked during the lockout (at most $b tokens were back)"
  echo "the bucket had refilled before the right secret came (at most $b tokens)"
else
  grep -q "too many wrong invitations" "$WORK/join.err" ||
    fail "the right secret was refused for another reason: $(cat "$WORK/join.err")"
  sleep 7   # 10 a minute: one guess back after 6 s
  cl b peer join "$INV" >/dev/null || fail "the real invitation does not work after the lockout"
fi
is_paired a b || fail "the real invitation did not pair"
pass "wrong invitation secrets: 10 a minute, then refused unchecked; each logged; the real one works after"
stop_serve a
