#!/usr/bin/env bash
# A folder restored from a backup, or cloned and used on two machines at once,
# loses no edit: every edit made on any copy reaches every device, digests
# agree, and the copy tells its user one line (docs/merge.md "Authors and
# forks"). Machines are told apart by their state folder (XDG_STATE_HOME,
# where the signing ledger lives).
source "$(dirname "$0")/lib.sh"
export XDG_STATE_HOME=$WORK/machine1

for d in r h t; do cl $d init --name "dev-$d" >/dev/null; done
start_serve h; start_serve t
pair r h; pair h t; pair r t

sync_all() { # a few rounds of every device with every other: enough to converge
  for _ in 1 2; do
    for d in "$@"; do cl "$d" sync >/dev/null 2>>"$WORK/sync.err" || true; done
  done
}
has() { # DEVICE RECORD TEXT — the record on the device shows TEXT
  cl "$1" get "$2" --json 2>/dev/null | grep -q "$3" || fail "$3 is missing on $1"
}
note_once() { # DEVICE — the first command after a copy says so once, the next says nothing
  expect_exit 0 cl "$1" list contact
  grep -q "clientele: note: this folder is a copy" <<<"$ERR" || fail "no notice on $1's first open: $ERR"
  expect_exit 0 cl "$1" list contact
  [ -z "$ERR" ] || fail "the notice repeats on $1: $ERR"
}

# --- restored as new files (rm, then cp -a from the backup)
P=$(cl r put contact name="Ana Pop" phone="+40 700 000 001")
cl r sync "$(cl h id)" >/dev/null
cp -a "$WORK/r" "$WORK/r.bak"
cl r put contact "$P" title="Buyer" >/dev/null                    # after the backup, synced
Q=$(cl r put contact name="Dan Ilie")
cl r sync "$(cl h id)" >/dev/null
rm -rf "$WORK/r"; cp -a "$WORK/r.bak" "$WORK/r"                   # the restore
note_once r
cl r put contact "$P" notes="met at the fair" >/dev/null          # typed after the restore, offline
S=$(cl r put company name="Sigma SRL")
cl r sync "$(cl t id)" >/dev/null                                  # first through the third device
sync_all r h t
same_digest r h t
for d in r h t; do has $d "$P" Buyer; has $d "$Q" "Dan Ilie"; has $d "$P" "met at the fair"; has $d "$S" Sigma; done
OUT=$(cl r sync "$(cl h id)")
grep -q "sent 0, received 0" <<<"$OUT" || fail "not settled after the restore: $OUT"
cl r peer list | grep -q "note (.*): this folder is a copy" || fail "peer list does not show the notice"
start_serve r
ui_login r
curl -s "http://127.0.0.1:$UI_r/api/status" | grep -q '"notice":"this folder is a copy' ||
  fail "/api/status (the Devices page) does not show the notice"
stop_serve r
pass "restored from a backup: edits from before and after the restore are everywhere, digests equal"

# --- restored in place: the backup's data.mdb copied over the live one (same file)
cl r sync >/dev/null
cp -a "$WORK/r" "$WORK/r.bak2"
U=$(cl r put contact name="Eva Lungu")
cl r sync "$(cl h id)" >/dev/null
cp "$WORK/r.bak2/data.mdb" "$WORK/r/data.mdb"                    # keeps the inode
note_once r
V=$(cl r put contact name="Filip Marin")
sync_all r t h
same_digest r h t
for d in r h t; do has $d "$U" "Eva Lungu"; has $d "$V" "Filip Marin"; done
pass "restored in place over the live file: nothing lost, digests equal"

# --- cloned: the folder copied to a second machine, both copies in use at once
cl r sync >/dev/null
cp -a "$WORK/r" "$WORK/r2"
note_once_elsewhere() { XDG_STATE_HOME=$WORK/machine2 note_once "$@"; }
note_once_elsewhere r2
W=$(cl r put contact name="Gina Vlad")
X=$(XDG_STATE_HOME=$WORK/machine2 cl r2 put contact name="Horia Stan")
cl r put contact "$P" title="Sales lead" >/dev/null           # the same single-value field on both copies
XDG_STATE_HOME=$WORK/machine2 cl r2 put contact "$P" title="Head of purchasing" >/dev/null
for _ in 1 2; do
  cl r sync >/dev/null
  XDG_STATE_HOME=$WORK/machine2 cl r2 sync >/dev/null
  cl h sync "$(cl t id)" >/dev/null
done
same_digest r r2 h t
for d in r r2 h t; do has $d "$W" "Gina Vlad"; has $d "$X" "Horia Stan"; done
cl h get "$P" --json | grep -q '"conflicts":\[{"field":"title"' || fail "the two copies' titles are not shown as a conflict"
pass "a folder cloned to a second machine: both copies' edits everywhere, their concurrent edit is a conflict"

# unreachable peers (r runs no serve most of the time) are expected; refused ops are not
grep -v "Connection refused\|no address known" "$WORK/sync.err" | grep -qi "signature\|histories\|refused" &&
  fail "a sync refused something: $(cat "$WORK/sync.err")"
true
