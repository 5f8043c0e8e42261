#!/usr/bin/env bash
# Introductions (docs/introductions.md). The office desktop O is paired with a
# colleague's laptop C, which takes introductions from O. A new laptop L joins
# O by invitation with --introducer. Neither L nor C is ever paired with the
# other by hand, yet after a sync with O each knows the other, and their serves
# sync directly (O stopped meanwhile: nothing can go through it). Turning
# introductions from O off on L unpairs C there at once: C's edits no longer
# reach L, and C's attempts are refused by L. A device O stops naming is
# unpaired where O introduced it; one paired by hand is never touched; a
# revoked one is never introduced.
source "$(dirname "$0")/lib.sh"

for d in o c l; do cl $d init --name "dev-$d" >/dev/null; done
O=$(cl o id); C=$(cl c id); L=$(cl l id)
start_serve o; start_serve c; start_serve l --sync-interval 2
pair o c
cl c peer introducer "$O" on | grep -q "introductions from $O on" || fail "peer introducer on says nothing"
is_paired l c && fail "L is paired with C before any introduction"
INV=$(cl o peer invite --addr "127.0.0.1:$PORT_o" 2>/dev/null)
cl l peer join "$INV" --introducer | grep -q "introductions from it on" || fail "join --introducer says nothing"
cl l peer list --json | grep -q '"introducer":true' || fail "L does not say O is its introducer"
pass "C takes introductions from O by hand, L from its invitation"

# L learns C from O (at this sync, if its serve has not already)
cl l sync "$O" >/dev/null
is_paired l c || fail "L did not learn C from O: $(cl l peer list)"
cl l peer list | grep "$C" | grep -q "introduced by $O" || fail "peer list does not say who introduced C"
cl l peer list --json | grep -q "\"introduced_by\":\"$O\"" || fail "peer list --json has no introduced_by"
cl l peer list --json | grep -q "127.0.0.1:$PORT_c" || fail "L did not get C's address from O"
# C's turn: O introduces L to C (at C's sync with O, or at O's with C: the
# serves may have done it already)
cl c sync "$O" >/dev/null
is_paired c l || fail "C did not learn L from O"
cl l sync "$C" | grep -q "synced with $C" || fail "L cannot sync with C directly"
pass "O introduces C to L and L to C; they sync directly, never paired by hand"

# their serves sync on their own, with O stopped: nothing goes through it
stop_serve o
ACME=$(cl c put company name="Introduced Edit SRL")
for _ in $(seq 1 100); do cl l get "$ACME" >/dev/null 2>&1 && break; sleep 0.2; done
cl l get "$ACME" >/dev/null 2>&1 || fail "C's edit did not reach L within 20 s with O stopped: $(cl l peer list)"
cl l put company "$ACME" city="Cluj" >/dev/null
for _ in $(seq 1 100); do cl c get "$ACME" --json | grep -q '"city":"Cluj"' && break; sleep 0.2; done
cl c get "$ACME" --json | grep -q '"city":"Cluj"' || fail "L's edit did not reach C directly"
pass "the serves of L and C sync with each other on their own (O stopped)"

# introductions off on L: C unpaired there at once, and nothing more from it
cl l peer introducer "$O" off | grep -q "off" || fail "peer introducer off says nothing"
is_paired l c && fail "C is still paired on L after introductions from O were turned off"
expect_exit 1 cl l sync "$C"
grep -q "not paired" <<<"$ERR" || fail "L still syncs with C: $ERR"
LATE=$(cl c put company name="After Off Ltd")
cl c sync "$L" >/dev/null 2>&1 && fail "L accepted C's sync after introductions were turned off"
sleep 3 # C's serve tries L too, after its change
cl l get "$LATE" >/dev/null 2>&1 && fail "C's edit reached L after introductions were turned off"
cl l peer list | grep -q "pending requests" || fail "L does not list C's refused attempt as a pending request"
pass "introductions off: C is unpaired on L, its syncs refused, its edits no longer arrive"

# on again; then O unpairs C: L unpairs it too at its next sync with O
start_serve o
cl o peer add "$L" --addr "127.0.0.1:$PORT_l" >/dev/null
cl l peer add "$O" --addr "127.0.0.1:$PORT_o" >/dev/null
cl c peer add "$O" --addr "127.0.0.1:$PORT_o" >/dev/null
cl l peer introducer "$O" on >/dev/null
cl l sync "$O" >/dev/null
is_paired l c || fail "introductions on again did not pair C"
cl o peer rm "$C"
cl l sync "$O" >/dev/null
is_paired l c && fail "O no longer names C, yet L keeps it"
pass "a device the introducer no longer names is unpaired where it introduced it"

# one paired by hand stays, whatever the introducer says
cl o peer add "$C" --addr "127.0.0.1:$PORT_c" >/dev/null
cl l sync "$O" >/dev/null
is_paired l c || fail "C not introduced again"
cl l peer add "$C" >/dev/null # by hand now
cl l peer list | grep "$C" | grep -q "introduced by" && fail "a device paired by hand still says introduced"
cl l peer introducer "$O" off >/dev/null
is_paired l c || fail "turning introductions off unpaired a device paired by hand"
pass "a device paired by hand is never unpaired by introductions"

# a revoked device is never introduced: L revokes X, which only O knows
cl x init --name "dev-x" >/dev/null
X=$(cl x id)
cl o peer add "$X" --addr "127.0.0.1:9" >/dev/null
cl l peer revoke "$X" >/dev/null
cl l peer introducer "$O" on >/dev/null
cl l sync "$O" >/dev/null
is_paired l x && fail "L paired a device it revoked because O introduced it"
# and O, once the revocation reached it, no longer names X to anyone
cl o peer list --json | grep -q '"revoked":true' || fail "the revocation did not reach O"
cl c sync "$O" >/dev/null
is_paired c x && fail "O introduced a revoked device to C"
pass "a revoked device is never introduced"
