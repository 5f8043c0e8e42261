#!/usr/bin/env bash
# Revocation that travels (docs/revocation.md). A, B, C in a line; a laptop T
# paired with A and C is stolen and A revokes it. The thief edits and syncs
# with C before the revocation has reached C; then the revocation goes
# A → B → C (relayed: A and C never sync directly) and C → D, a device paired
# with C alone. After that: T is refused by every device, its edits written
# after the revocation point are on none (C took out the ones T brought it),
# its earlier edits are everywhere, and the digests agree.
source "$(dirname "$0")/lib.sh"

for d in a b c d t; do cl $d init --name "dev-$d" >/dev/null; done
start_serve a; start_serve b; start_serve c; start_serve d
pair a b; pair b c; pair c d; pair t a; pair t c
A=$(cl a id); B=$(cl b id); C=$(cl c id); D=$(cl d id); T=$(cl t id)

EARLY=$(cl t put company name="Early Work SRL")
cl t put company "$EARLY" city="Iasi" >/dev/null
cl t sync "$A" >/dev/null; cl t sync "$C" >/dev/null
cl a sync "$B" >/dev/null; cl c sync "$B" >/dev/null; cl c sync "$D" >/dev/null
pass "before the theft: T's edits reach everyone"

# the laptop is stolen; A revokes it (a second time is refused, so is itself).
# A's serve is stopped meanwhile, or its sync soon after a change would carry
# the revocation on before the thief has reached C.
stop_serve a
cl a peer revoke "$T" | grep -q "^revoked $T" || fail "peer revoke says nothing"
expect_exit 1 cl a peer revoke "$T"
grep -q "already" <<<"$ERR" || fail "a second revocation is not refused: $ERR"
expect_exit 1 cl a peer revoke "$A"
is_paired a t && fail "the revoked device is still A's peer"
expect_exit 1 cl a peer add "$T"
grep -q "revoked" <<<"$ERR" || fail "a revoked device can be paired again: $ERR"

# the thief edits, and reaches C, which has not heard yet
LATE=$(cl t put company name="Planted By Thief")
cl t put company "$EARLY" city="Changed By Thief" notes="thief" >/dev/null
cl t sync "$C" >/dev/null || fail "C refused T before it could know"
cl c get "$LATE" >/dev/null || fail "setup: T's late company did not reach C"
start_serve a
for d in b t; do cl $d peer add "$A" --addr "127.0.0.1:$PORT_a" >/dev/null; done
expect_exit 1 cl t sync "$A"
grep -q "revoked" <<<"$ERR" || fail "A refused T without saying it is revoked: $ERR"
pass "A refuses the revoked device at once; C, not told yet, still syncs with it"

# the revocation travels as data: A → B → C → D
cl a sync "$B" >/dev/null; cl b sync "$C" >/dev/null; cl c sync "$D" >/dev/null
for d in a b c d; do
  expect_exit 1 cl $d get "$LATE"
  J=$(cl $d get "$EARLY" --json)
  grep -q '"name":"Early Work SRL"' <<<"$J" && grep -q '"city":"Iasi"' <<<"$J" ||
    fail "$d lost T's early edits or kept a late one: $J"
  grep -q 'thief' <<<"$J" && fail "$d holds T's late edit: $J"
done
same_digest a b c d
pass "T's edits after the revocation point are on no device (C took them out), its earlier ones on all"

for d in c; do
  expect_exit 1 cl t sync "$(cl $d id)"
  grep -q "revoked" <<<"$ERR" || fail "$d refused T without saying it is revoked: $ERR"
done
expect_exit 1 cl c sync "$T"
grep -q "revoked" <<<"$ERR" || fail "C's own sync to T is not refused as revoked: $ERR"
grep -q "revoked" "$WORK/c.log" || fail "C's serve did not log the refusal"
cl c peer list | grep -q "revoked by $A" || fail "C's peer list does not say T is revoked: $(cl c peer list)"
cl c peer list --json | grep -q '"revoked":true' || fail "peer list --json does not say revoked"
# the thief's later writes never come back through anyone
cl t put company name="Still Trying" >/dev/null
expect_exit 1 cl t sync "$C"
for d in a b c d; do cl $d sync >/dev/null 2>&1 || true; done
cl a list company | grep -q "Still Trying" && fail "a late edit got through"
cl c list company | grep -q "Planted" && fail "a taken-out edit came back"
same_digest a b c d
pass "every device holding the revocation refuses T; nothing it writes later arrives anywhere"


# a JSON backup carries the revocation: a folder restored from it refuses T too
cl c export --format json --output "$WORK/c.json" >/dev/null
cl r init --name "dev-r" >/dev/null
cl r import "$WORK/c.json" >/dev/null
[ "$(cl r digest)" = "$(cl c digest)" ] || fail "the restored folder differs"
expect_exit 1 cl r peer add "$T"
grep -q "revoked" <<<"$ERR" || fail "a folder restored from a backup forgot the revocation: $ERR"
pass "a JSON backup keeps the revocation"
