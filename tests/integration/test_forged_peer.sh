#!/usr/bin/env bash
# A paired device gone bad (tests/tools/forge.c: its real key, hand-made OPS
# frames) cannot make the victim store anything it should not: each forged
# frame is refused, nothing of it is stored, the victim's status names the
# reason, and the honest devices' edits still reach everyone afterwards.
source "$(dirname "$0")/lib.sh"
FORGE=${CLIENTELE_FORGE:?}

for d in v m o; do cl $d init --name "dev-$d" >/dev/null; done
start_serve v; start_serve o
pair v m; pair v o; pair m o
P=$(cl o put contact name="Olga Dinu")
cl o sync "$(cl v id)" >/dev/null
cl m put contact name="Mara Pop" >/dev/null
cl m sync "$(cl v id)" >/dev/null
cl m sync "$(cl o id)" >/dev/null
O=$(cl o id) M=$(cl m id) V=$(cl v id)

forge() { "$FORGE" "$WORK/m" "127.0.0.1:$PORT_v" "$V" "$@"; }
refused() { # CASE REASON [OTHER-ID] — the victim refuses, stores nothing, and says why
  local case=$1 reason=$2 before out
  before=$(cl v digest)
  out=$(forge "$case" ${3:+"$3"}) || fail "$case: the victim took a forged frame ($out)"
  [ "$(cl v digest)" = "$before" ] || fail "$case: something of the forged frame was stored"
  cl v peer list | grep "$M" | grep -q -- "$reason" ||
    fail "$case: the victim's status does not say '$reason': $(cl v peer list | grep "$M")"
}
refused gap "arrived before op"
refused held "two different histories of $M"
refused hlc-max "stamped after the year 9999"
refused bad-value "task due = 'not-a-date' is not a valid value"
refused bad-utf8 "not valid UTF-8"
refused own-origin "own name that it did not write"
refused forged "ops said to be by $O do not carry its signature" "$O"
refused unsigned "unsigned ops of $O, whose ops are signed" "$O"
pass "forged frames are refused whole, with the reason in the victim's status"

# a relay that alters one byte of another device's ops is caught: q is paired
# with m only, so its edit reaches v through m alone (no serve syncs it behind
# the test's back)
cl q init --name dev-q >/dev/null
start_serve q
pair m q
Q=$(cl q id)
R=$(cl q put contact name="Quentin Radu" title="Director")
cl m sync "$Q" >/dev/null                       # m holds q's ops; v does not
refused tamper "ops said to be by $Q do not carry its signature (altered on the way" "$Q"
pass "a relayed op altered by one byte is caught"

# the honest devices go on: m relays q's edit truly, everyone converges
cl m put contact name="Mihai Stan" >/dev/null
cl m sync "$V" >/dev/null
cl o sync "$V" >/dev/null
cl m sync "$O" >/dev/null
cl m sync "$Q" >/dev/null
same_digest v m o q
cl v get "$R" --json | grep -q Director || fail "q's edit did not reach v through m"
cl v peer list | grep "$M" | grep -q "last error" && fail "the last honest sync still shows an error"
pass "after the attacks the honest edits reach every device"
