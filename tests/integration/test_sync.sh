#!/usr/bin/env bash
# Peer sync between real processes on loopback: relay, conflicts, pairing,
# invitations, refusals, garbage on the port.
source "$(dirname "$0")/lib.sh"

for d in a b c; do cl $d init --name "dev-$d" >/dev/null; done
start_serve a; start_serve b; start_serve c

# --- A–B–C in a line: edits on A and on C meet everywhere through B
pair a b; pair b c
CO=$(cl a put company name="Acme SA")
P=$(cl c put contact name="Ioana Radu" email=ioana@radu.ro)
cl a sync "$(cl b id)" >/dev/null
cl c sync "$(cl b id)" >/dev/null
cl a sync "$(cl b id)" >/dev/null
same_digest a b c
[ "$(cl c get "$CO" --json | grep -c 'Acme SA')" = 1 ] || fail "A's company did not reach C"
[ "$(cl a get "$P" --json | grep -c 'Ioana Radu')" = 1 ] || fail "C's contact did not reach A"
pass "A-B-C line converges through B"

# a paired device's next sync resumes its TLS session (no key exchange); the
# server restarting (new ticket keys) costs one full handshake, then resumes.
# r runs no serve of its own, which could refresh its session meanwhile.
cl r init --name "dev-r" >/dev/null
pair r b
cl r sync "$(cl b id)" | grep -q "resumed" && fail "a first sync cannot resume"
cl r sync "$(cl b id)" | grep -q "handshake [0-9]* ms, resumed" || fail "a second sync with b did not resume"
kill "$PID_b"; wait "$PID_b" 2>/dev/null || true
start_serve b; pair a b; pair b c; pair r b   # b listens on new ports now
OUT=$(cl r sync "$(cl b id)"); grep -q "resumed" <<<"$OUT" && fail "resumed against a restarted server: $OUT"
cl r sync "$(cl b id)" | grep -q ", resumed" || fail "no resumption after the restart"
pass "repeat syncs resume the TLS session; a restarted peer gets one full handshake"

# --- concurrent edits of one field on A and C; different fields both survive
cl a put contact "$P" city="Cluj"
cl c put contact "$P" city="Brașov"
cl c put contact "$P" title="Buyer"
cl a put contact "$P" notes="met at the fair"
# each adds a phone offline: a field of several items keeps both
cl a put contact "$P" phones='[{"value":"+40 700 000 001","label":"mobile"}]'
cl c put contact "$P" phones='[{"value":"+40 264 000 002","label":"work"}]'
for i in 1 2; do cl a sync "$(cl b id)" >/dev/null; cl c sync "$(cl b id)" >/dev/null; done
same_digest a b c
W=$(cl a get "$P" --json | sed 's/.*"city":"\([^"]*\)".*/\1/')
for d in a b c; do
  J=$(cl $d get "$P" --json)
  echo "$J" | grep -q "\"city\":\"$W\"" || fail "$d shows another winner"
  echo "$J" | grep -q '"conflicts":\[{"field":"city"' || fail "$d does not list the city conflict"
  echo "$J" | grep -q '"title":"Buyer"' || fail "$d lost C's title"
  echo "$J" | grep -q '"notes":"met at the fair"' || fail "$d lost A's notes"
  echo "$J" | grep -q '{"value":"+40 700 000 001","label":"mobile"}' && echo "$J" | grep -q '{"value":"+40 264 000 002","label":"work"}' ||
    fail "$d did not keep both devices' phones: $J"
done
pass "concurrent edits: one winner everywhere, the loser listed as a conflict, other fields kept, both phones kept"

# resolving the conflict on B is a new write that clears it everywhere
cl b put contact "$P" city="Brașov"
cl a sync "$(cl b id)" >/dev/null; cl c sync "$(cl b id)" >/dev/null
for d in a b c; do cl $d get "$P" --json | grep -q '"conflicts":\[\]' || fail "conflict still open on $d"; done
same_digest a b c
pass "resolving a conflict is one write that clears it everywhere"

# --- an unpaired device is refused both ways and listed as pending
cl x init --name intruder >/dev/null
cl x put company name="Should not pass" >/dev/null
BEFORE=$(cl a digest)
expect_exit 1 cl x sync "127.0.0.1:$PORT_a"
echo "$ERR" | grep -q "not a paired device" || fail "x should not trust a: $ERR"
cl x peer add "$(cl a id)" --addr "127.0.0.1:$PORT_a" >/dev/null
expect_exit 1 cl x sync
echo "$ERR" | grep -q "not paired" || fail "unexpected refusal text: $ERR"
[ "$(cl a digest)" = "$BEFORE" ] || fail "an unpaired device changed a's data"
[ "$(cl x list company | grep -c Acme)" = 0 ] || fail "a's data leaked to an unpaired device"
cl a peer list | grep -q "intruder" || fail "the attempt is not listed as pending"
cl a peer list | grep -A1 pending | grep -q "$(cl x id)" || fail "pending request lacks the device id"
# accepting the request pairs it (x does not listen: no address to keep, only its IP was seen)
cl a peer add "$(cl x id)" >/dev/null
cl a peer list --json | grep -q '"addr":"127.0.0.1"' && fail "an address without a port was kept"
cl x sync >/dev/null
[ "$(cl a list company | grep -c 'Should not pass')" = 1 ] || fail "accepted device could not sync"
pass "unpaired device refused, listed as pending, accepted with peer add"

# --- one-step pairing
cl d init --name "dev-d" >/dev/null
INV=$(cl a peer invite --addr "127.0.0.1:$PORT_a" 2>/dev/null)
cl d peer join "$INV" | grep -q "paired with $(cl a id)" || fail "join did not pair"
cl a peer list | grep -q "$(cl d id)" || fail "inviter did not pair the joiner"
cl d sync >/dev/null
same_digest a d
cl e init >/dev/null
expect_exit 1 cl e peer join "$INV"
echo "$ERR" | grep -qi "unknown or already used" || fail "reused invitation: $ERR"
INV2=$(cl a peer invite --addr "127.0.0.1:$PORT_a" --ttl 1 2>/dev/null)
sleep 2
expect_exit 1 cl e peer join "$INV2"
echo "$ERR" | grep -qi "expired" || fail "expired invitation: $ERR"
INV3=$(cl a peer invite --addr "127.0.0.1:$PORT_a" 2>/dev/null)
FORGED=$(echo "$INV3" | sed 's|/\(.\)|/\1|; s|/\([A-Z2-7]\)\([A-Z2-7]*\)@|/AAAAAAAAAAAAAAAA@|')
expect_exit 1 cl e peer join "$FORGED"
is_paired a e && fail "a forged secret paired e"
expect_exit 2 cl e peer join "not-an-invitation"
pass "invite/join pairs once; reused, expired, forged and malformed invitations pair nothing"

# --- garbage on the peer port: one log line each, the server keeps serving
send_raw() { ( exec 3<>"/dev/tcp/127.0.0.1/$PORT_a"; cat >&3; sleep 0.2 ) 2>/dev/null || true; }
head -c 3000 /dev/urandom | send_raw
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | send_raw
printf '\x16\x03\x01\x00' | send_raw
sleep 0.5
kill -0 "$PID_a" || fail "garbage killed the server"
cl b put company name="After garbage" >/dev/null
cl b sync "$(cl a id)" >/dev/null
[ "$(cl a list company | grep -c 'After garbage')" = 1 ] || fail "server stopped serving after garbage"
[ "$(grep -c 'refused a connection' "$WORK/a.log")" -ge 3 ] || fail "garbage connections not logged"
pass "random bytes, an HTTP request and a truncated handshake are dropped; the server keeps serving"

# --- unreachable peer: exit 1 with a reason
cl b peer add "$(cl x id)" --addr "127.0.0.1:$(free_port)" >/dev/null
expect_exit 1 cl b sync "$(cl x id)"
echo "$ERR" | grep -q "cannot reach" || fail "unreachable peer: $ERR"
cl b peer list | grep "$(cl x id)" | grep -q "last error" || fail "the error is not shown in peer list"
pass "an unreachable peer fails with a clear reason, kept in peer list"

# --- unpairing deletes the TLS session kept for that device (its master secret)
HEX=$(cl b id | python3 -c 'import base64,sys; t=sys.stdin.read().replace("-","").strip(); print(base64.b32decode(t[:32]).hex())')
[ -f "$WORK/a/tls-sessions/$HEX" ] || fail "no TLS session kept for b (looked for $HEX)"
[ "$(stat -c %a "$WORK/a/tls-sessions/$HEX")" = 600 ] || fail "the session file is not owner-only"
cl a peer rm "$(cl b id)"
[ ! -e "$WORK/a/tls-sessions/$HEX" ] || fail "peer rm left b's TLS session behind"
pass "peer rm deletes the device's saved TLS session"

# --- clean shutdown
stop_serve c
pass "serve stops on SIGTERM"
