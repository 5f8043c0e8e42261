#!/usr/bin/env bash
# Text from other devices made safe where it lands (docs/security.md,
# "Terminal escapes"): a device name with ESC (OSC 52), BEL, CR and a forged
# log line, and record values with a lone CR and a C1 CSI, reach the serve
# log, stderr and the CLI's text output escaped; --json stays exact.
source "$(dirname "$0")/lib.sh"
HERE=$(dirname "$0")
cl a init --name dev-a >/dev/null; cl b init --name dev-b >/dev/null
start_serve a
pair a b

# raw FILE — lines holding a control character (a CR that ends a line is a CR LF, kept)
raw() { LC_ALL=C sed $'s/\r$//' "$1" | LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]' || true; }

# --- record values from a peer
NAME=$'Ana\rEvil\xc2\x9b31mRed'
NOTES=$'line one\r\nline two'
ID=$(cl b put contact name="$NAME" notes="$NOTES")
cl b sync "$(cl a id)" >/dev/null
cl a get "$ID" >"$WORK/get.txt"
cl a list contact >"$WORK/list.txt"
cl a history "$ID" >"$WORK/hist.txt"
for f in get list hist; do
  grep -q 'Ana\\x0dEvil\\u009b31mRed' "$WORK/$f.txt" || fail "$f: the name is not shown escaped: $(cat -v "$WORK/$f.txt")"
  [ "$(raw "$WORK/$f.txt")" = 0 ] || fail "$f: raw control characters reach the terminal: $(cat -v "$WORK/$f.txt")"
done
grep -q $'line one\r$' "$WORK/get.txt" || fail "a CR LF line end of a note was escaped"
cl a get "$ID" --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["fields"]
sys.exit(0 if r["name"] == "Ana\rEvil\u009b31mRed" and r["notes"] == "line one\r\nline two" else 1)' ||
  fail "get --json does not give the exact values"
pass "a peer's values with a lone CR and a C1 CSI are escaped in get, list, history; --json exact"

# --- a device name from an unpaired device: the serve log, peer list, --json
if python3 -c 'import cryptography' 2>/dev/null; then
  EVIL=$'evil\e]52;c;aGk=\a\r\nclientele[1] info: forged line'
  python3 "$HERE/fake_devices.py" --port "$PORT_a" --count 1 --sources 1 --first-source 7 --name "$EVIL" >/dev/null
  sleep 0.3
  grep -q 'refused unpaired device' "$WORK/a.log" || fail "no refusal in the log"
  [ "$(raw "$WORK/a.log")" = 0 ] || fail "raw control characters in the serve log: $(cat -v "$WORK/a.log")"
  grep -q '^clientele\[1\] info: forged' "$WORK/a.log" && fail "a device name forged a log line"
  grep -q 'evil\\x1b\]52;c;aGk=\\x07\\x0d\\x0aclientele\[1\]' "$WORK/a.log" || fail "the name is not escaped in the log: $(cat -v "$WORK/a.log")"
  cl a peer list >"$WORK/peers.txt"
  [ "$(raw "$WORK/peers.txt")" = 0 ] || fail "raw control characters in peer list: $(cat -v "$WORK/peers.txt")"
  grep -q 'evil\\x1b\]52' "$WORK/peers.txt" || fail "peer list does not show the name escaped"
  cl a peer list --json | EVIL="$EVIL" python3 -c '
import json, os, sys
sys.exit(0 if json.load(sys.stdin)["pending"][0]["name"] == os.environ["EVIL"] else 1)' ||
    fail "peer list --json does not give the exact name"
  pass "a device name with ESC, BEL, CR LF is escaped in the serve log and peer list (no forged line); --json exact"
else
  echo "note: python3 without cryptography: the device-name half is not run"
fi
stop_serve a

# --- names given here are checked: no control characters
expect_exit 2 cl n init --name $'bad\e[31mname'
expect_exit 2 cl n init --name $'two\nlines'
expect_exit 1 cl a peer add "$(cl b id)" --name $'evil\a\rname'
grep -q "control characters" <<<"$ERR" || fail "peer add --name with controls: $ERR"
cl a peer list --json | python3 -c 'import json,sys; sys.exit(any("\a" in p["name"] for p in json.load(sys.stdin)["peers"]))' ||
  fail "a name with control characters was stored"
pass "init --name and peer add --name refuse control characters"
