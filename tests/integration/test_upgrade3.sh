#!/usr/bin/env bash
# A folder written by schema 3, the 0.1.0 release (tests/fixtures/schema3, made by
# make_schema3.sh with commit 135f4f8) opens in this version: upgraded in
# place to schema 4 (signed logs), it answers every question exactly as 0.1.0 did —
# records, search, conflicts with their devices, history, due tasks, digest —
# and goes on working: writes, conflict resolution and sync with a new device.
source "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/../fixtures/schema3" && pwd)
mkdir "$WORK/a"
cp "$FIX/data.mdb" "$FIX/key.pem" "$FIX/cert.pem" "$WORK/a/"
chmod 700 "$WORK/a"; chmod 600 "$WORK/a"/*
source "$FIX/ids"

same_as_schema3() { # FILE CMD… — the command prints what 0.1.0 printed
  local f=$1; shift
  [ "$("$@")" = "$(cat "$FIX/$f")" ] || fail "$f differs after the upgrade: $("$@" | head -c 400)"
}
same_as_schema3 digest cl a digest
same_as_schema3 list-contact.json cl a list contact --json
same_as_schema3 list-company.json cl a list company --json
same_as_schema3 get-contact.json cl a get "$P" --json
same_as_schema3 get-deal.json cl a get "$D" --json
same_as_schema3 history-contact.json cl a history "$P" --json
same_as_schema3 due.json cl a due --json
same_as_schema3 search.json cl a list contact --query radulescu --json
pass "an upgraded schema 3 (0.1.0) folder answers as before (digest, lists, search, conflict, history, due)"

expect_exit 1 cl a get "$GONE"
cl a get "$P" --json | grep -q '"conflicts":\[{"field":"phone"' || fail "the conflict was lost"
# what the old version wrote is still extended correctly: resolve, edit, add
cl a put contact "$P" phone="+40 268 000 444" >/dev/null
cl a get "$P" --json | grep -q '"conflicts":\[\]' || fail "resolving the old conflict did not clear it"
cl a put company "$CO" notes="upgraded" >/dev/null
N=$(cl a put contact name="New After Upgrade")
[ "$(cl a history "$P" --json | grep -o '"field":"phone"' | wc -l)" = 4 ] || fail "phone history: $(cl a history "$P")"
pass "after the upgrade: a conflict resolves, fields update, records are added, history goes on"

# a new device receives the whole book, old ops and new, and converges
cl n init --name new >/dev/null
start_serve a
pair a n
cl n sync "$(cl a id)" >/dev/null
same_digest a n
cl n get "$N" --json | grep -q "New After Upgrade" || fail "new record missing on the new device"
[ "$(cl n history "$P" --json)" = "$(cl a history "$P" --json)" ] || fail "history differs on the new device"
pass "an upgraded folder syncs its old and new ops to a new device: equal digests and history"

# opening it again changes nothing (the upgrade ran once)
D1=$(cl a digest); D2=$(cl a digest)
[ "$D1" = "$D2" ] || fail "digest moves between opens"
