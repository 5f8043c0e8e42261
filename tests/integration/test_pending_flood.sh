#!/usr/bin/env bash
# A flood of fake identities at the peer port (docs/security.md, "Pending
# requests"): the pending list, the folder and /api/status stay within their
# caps; a real request made after the flood is listed; a paired device syncs;
# `peer dismiss --all` and DELETE /api/pending clear the list.
# CLIENTELE_FLOOD sets the number of fake devices (default 10,000, as the issue asks; fewer for a quick run).
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography is missing (tools/deps.sh test installs it)"
N=${CLIENTELE_FLOOD:-10000}

cl a init --name dev-a >/dev/null; cl b init --name dev-b >/dev/null
start_serve a
pair a b
size0=$(stat -c %s "$WORK/a/data.mdb")
# 40 fake devices from 2 addresses: the per-address cap keeps the 5 most recent of each
python3 "$HERE/fake_devices.py" --port "$PORT_a" --count 40 --sources 2 --first-source 30 --threads 2 >/dev/null
python3 - "$WORK/a" "$BIN" <<'PY' || fail "the per-address cap does not hold"
import collections, json, subprocess, sys
p = json.loads(subprocess.run([sys.argv[2], "--data", sys.argv[1], "peer", "list", "--json"], capture_output=True,
                              check=True).stdout)["pending"]
ips = collections.Counter(q["addr"] for q in p)
print("per address after 40 from 2 addresses:", dict(ips))
sys.exit(0 if len(ips) == 2 and all(v == 5 for v in ips.values()) else 1)
PY
pass "40 fake devices from 2 addresses: 5 pending requests each"
t0=$(date +%s)
python3 "$HERE/fake_devices.py" --port "$PORT_a" --count "$N" --sources 20 --seconds 300 --name 'fake {i}' >"$WORK/flood.out"
took=$(( $(date +%s) - t0 ))
echo "flood: $(cat "$WORK/flood.out") in $took s"
hs=$(sed 's/.*handshakes=\([0-9]*\).*/\1/' "$WORK/flood.out")
[ "$hs" -ge $(( N * 9 / 10 )) ] || fail "only $hs of $N fake devices got through the handshake"

cl a peer list --json >"$WORK/list.json"
count() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["pending"]))' "$1"; }
n=$(count "$WORK/list.json")
echo "pending after $N fake devices: $n"
[ "$n" -le 50 ] || fail "$n pending requests (cap 50)"
# 20 a minute after a burst of 20: what the flood's duration allows
[ "$n" -le $(( 20 + (took + 1) * 20 / 60 + 1 )) ] || fail "$n pending requests in $took s (rate 20 a minute)"
[ "$n" -ge 5 ] || fail "only $n pending requests were listed"
python3 - "$WORK/list.json" <<'PY' || fail "more than 5 pending requests from one address"
import collections, json, sys
ips = collections.Counter(p["addr"].rsplit(":", 1)[0] for p in json.load(open(sys.argv[1]))["pending"])
sys.exit(0 if max(ips.values()) <= 5 else 1)
PY
pass "$N fake identities: $n pending requests (cap 50, 5 per address, 20 a minute)"

size1=$(stat -c %s "$WORK/a/data.mdb")
[ $(( size1 - size0 )) -le $(( 512 * 1024 )) ] || fail "data.mdb grew from $size0 to $size1 bytes"
st=$(curl -s --max-time 10 "http://127.0.0.1:$UI_a/api/status" | wc -c)
[ "$st" -le 20000 ] || fail "/api/status is $st bytes"
text=$(cl a peer list | grep -c '^  [A-Z0-9]\{5\}-.*attempt' || true)
[ "$text" -le 10 ] || fail "peer list shows $text requests as text (10 at most)"
pass "the folder grew $(( size1 - size0 )) bytes, /api/status is $st bytes, peer list shows $text"

cl b put company name="After the flood" >/dev/null
cl b sync "$(cl a id)" >/dev/null || fail "the paired device cannot sync after the flood"
same_digest a b
pass "a paired device syncs after the flood"

# a new device asking once the rate has refilled a little is listed (most recent kept)
sleep 4
python3 "$HERE/fake_devices.py" --port "$PORT_a" --count 1 --sources 1 --first-source 99 --name 'late one' >/dev/null
cl a peer list --json | grep -q '"name":"late one"' || fail "a request after the flood was not listed"
pass "a request made after the flood is listed"

expect_exit 2 cl a peer dismiss
expect_exit 2 cl a peer dismiss --all "$(cl b id)"
OUT=$(cl a peer dismiss --all)
grep -q "^dismissed [0-9]* pending requests\?$" <<<"$OUT" || fail "peer dismiss --all said: $OUT"
[ "$(cl a peer list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pending"]))')" = 0 ] || fail "requests left after dismiss --all"
is_paired a b || fail "dismiss --all unpaired a device"
pass "peer dismiss --all refuses every request ($OUT) and keeps the pairings"

sleep 3
python3 "$HERE/fake_devices.py" --port "$PORT_a" --count 2 --sources 2 --first-source 101 >/dev/null
ui_login a
TOKEN=$(curl -s "http://127.0.0.1:$UI_a/" | grep -o 'name="clientele-token" content="[a-z0-9]*"' | sed 's/.*content="//; s/"$//')
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$UI_a/api/pending")" = 403 ] || fail "DELETE /api/pending without the token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "X-Clientele-Token: $TOKEN" "http://127.0.0.1:$UI_a/api/pending")" = 204 ] || fail "DELETE /api/pending"
[ "$(cl a peer list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pending"]))')" = 0 ] || fail "requests left after DELETE /api/pending"
pass "DELETE /api/pending (the page's Refuse all) clears the list; it needs the token"
stop_serve a
