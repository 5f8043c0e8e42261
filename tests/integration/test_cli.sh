#!/usr/bin/env bash
# The CLI contract of DESIGN §6, end to end, and bad input that changes nothing.
source "$(dirname "$0")/lib.sh"

# init is idempotent and prints the device id; id prints the same
ID=$(cl a init --name laptop)
[ "$(cl a init)" = "$ID" ] || fail "init is not idempotent"
[ "$(cl a id)" = "$ID" ] || fail "id differs from init"
echo "$ID" | grep -Eq '^([A-Z2-7]{5}-){6}[A-Z2-7]{5}$' || fail "device id not in groups: $ID"
[ "$(stat -c %a "$WORK/a/key.pem")" = 600 ] || fail "key is not owner-only"
[ "$(stat -c %a "$WORK/a")" = 700 ] || fail "data folder is not owner-only"
pass "init, id, owner-only key"

# the data folder comes from --data, then CLIENTELE_DATA, then XDG_DATA_HOME, then HOME
[ "$(CLIENTELE_DATA="$WORK/a" "$BIN" id)" = "$ID" ] || fail "CLIENTELE_DATA ignored"
mkdir -p "$WORK/xdg"
X=$(env -u CLIENTELE_DATA XDG_DATA_HOME="$WORK/xdg" "$BIN" id)
[ -f "$WORK/xdg/clientele/key.pem" ] || fail "XDG_DATA_HOME/clientele not used"
H=$(env -u CLIENTELE_DATA -u XDG_DATA_HOME HOME="$WORK/home" "$BIN" id)
[ -f "$WORK/home/.local/share/clientele/key.pem" ] || fail "~/.local/share/clientele not used"
pass "data folder resolution"

# put / get / list / history / rm / due / digest
C=$(cl a put company name="Acme SA" industry=Software website=https://acme.example)
P=$(cl a put contact name="Dragoș Popescu" company="$C" email=dragos@acme.ro phone="+40 721 000 000" birthday=1980-02-29)
[ ${#P} = 26 ] || fail "put did not print an id: $P"
cl a get "$P" | grep -q "name: Dragoș Popescu" || fail "get text"
cl a get "$P" --json | grep -q "\"company\":\"$C\"" || fail "get --json"
cl a list contact --query dragos | grep -q "$P" || fail "search without diacritics"
cl a list contact --query "DRAGOȘ" | grep -q "$P" || fail "search with diacritics and case"
cl a list contact --query acme | grep -q "$P" || fail "search by company name"
[ "$(cl a list contact --query nobody | wc -l)" = 0 ] || fail "search matched nothing expected"
cl a list contact --json | grep -q '^{"items":\[{' || fail "list --json shape"
for i in 1 2 3; do cl a put company name="Co $i" >/dev/null; done
[ "$(cl a list company --limit 2 | wc -l)" = 2 ] || fail "--limit"
G=$(cl a put company name="Globex")
cl a put contact "$P" company="$G"
cl a related "$C" | grep -q "^contact *company *$P  Dragoș Popescu.*(former)$" || fail "related: a contact who moved is the company's former: $(cl a related "$C")"
cl a related "$C" --json | grep -q '"former":\[{.*"id":"'$P'"' || fail "related --json: former"
cl a history "$P" >"$WORK/hist"
grep -q "  company: '.*' ($C) -> 'Globex' ($G)$" "$WORK/hist" || fail "history shows the employer change by name: $(cat "$WORK/hist")"
grep -q "^[0-9T:.Z-]*  [A-Z0-9-]*  5 changes together:$" "$WORK/hist" && grep -q "^    name: '' -> 'Dragoș Popescu'$" "$WORK/hist" ||
  fail "history folds the fields written together into one entry: $(cat "$WORK/hist")"
cl a history "$P" --json | grep -q '"field":"company","from":"'$C'","to":"'$G'".*"to_name":"Globex"' || fail "history --json"
T1=$(cl a put task title="Send the proposal" due=2020-01-01 contact="$P")
T2=$(cl a put task title="Call back next year" due=2999-01-01)
cl a due | grep -q "Send the proposal" || fail "overdue task not due"
cl a due | grep -q "next year" && fail "future task listed as due"
cl a put task "$T1" done=true
cl a due | grep -q "Send the proposal" && fail "done task still due"
cl a due --json | grep -q '"items"' || fail "due --json"
I=$(cl a put interaction kind=call summary="Talked about pricing" contact="$P")
cl a get "$I" --json | grep -q '"date":"20' || fail "interaction date defaults to now"
D=$(cl a put deal title="Fleet renewal" company="$C" stage=proposal amount=12500.50 currency=eur)
cl a get "$D" --json | grep -q '"currency":"EUR"' || fail "currency normalised"
cl a rm "$G"
cl a list company | grep -q Globex && fail "deleted record listed"
expect_exit 1 cl a get "$G"
cl a put company "$G" notes="back in business"
cl a list company | grep -q Globex || fail "an edit restores a deleted record"
cl a digest | grep -Eq '^[0-9a-f]{64}$' || fail "digest"
pass "put, get, list, search, history, due, rm, restore, digest"

# today: the sections of the Today page, with their counts
SOON=$(cl a put contact name="Ana Soon" birthday="1975-$(date -d '+3 days' +%m-%d)")
LATER=$(cl a put contact name="Ion Later" birthday="1990-$(date -d '+20 days' +%m-%d)")
T3=$(cl a put task title="Ring Ana back" due=2021-06-01 contact="$SOON")
cl a today >"$WORK/today"
grep -q '^Due today (0)$' "$WORK/today" && grep -q '^Overdue (1)$' "$WORK/today" ||
  fail "today: due counts: $(cat "$WORK/today")"
grep -q "  $T3  Ring Ana back  2021-06-01" "$WORK/today" || fail "today: the overdue task"
# each header's count is the number of its lines (Dragoș's 29 February may fall within 7 days)
awk '/^[A-Z]/ { if (h && n != c) bad = 1; h = 1; n = 0; c = $NF; gsub(/[()]/, "", c) }
     /^  / && !/^  nothing$/ { n++ } END { if (n != c) bad = 1; exit bad }' "$WORK/today" || fail "today: counts: $(cat "$WORK/today")"
grep -q '^Birthdays and anniversaries ([12])$' "$WORK/today" || fail "today: birthdays section"
grep -q "  $SOON  Ana Soon  birthday in 3 days · turns $(($(date -d '+3 days' +%Y) - 1975))$" "$WORK/today" ||
  fail "today: the birthday, when and the age"
grep -q "Ion Later" "$WORK/today" && fail "today: a birthday 20 days away within 7"
grep -q "^Recent interactions (1)$" "$WORK/today" && grep -q "  $I  Talked about pricing" "$WORK/today" ||
  fail "today: recent interactions"
cl a today --days 30 | grep -q "  $LATER  Ion Later  birthday in 20 days" || fail "today --days 30"
cl a today --json >"$WORK/today.json"
python3 - "$WORK/today.json" "$T3" "$SOON" "$I" <<'PY' || fail "today --json"
import json, sys
j = json.load(open(sys.argv[1]))
assert [r["id"] for r in j["due"]] == [sys.argv[2]], j["due"]
assert (3, sys.argv[3]) in [(b["in_days"], b["record"]["id"]) for b in j["birthdays"]], j["birthdays"]
assert all(0 <= b["in_days"] <= 7 for b in j["birthdays"]), j["birthdays"]
assert [r["id"] for r in j["recent"]] == [sys.argv[4]], j["recent"]
assert [r["id"] for r in j["overdue"]["items"]] == [sys.argv[2]] and j["due_today"]["count"] == 0, j
PY
expect_exit 2 cl a today --days 0
expect_exit 2 cl a today --days 400
pass "today: due, birthdays within N days, recent, each counted; --json"

# today's other sections, on a book of their own so that every count is known:
# what device t wrote 40 days ago (its clock set back, oldest first: its clock
# only grows) is a deal stuck in its stage and a company never contacted
DAY=86400000
day() { date -d "$1 days" +%F; }
old() { CLIENTELE_CLOCK_OFFSET_MS=$((-40 * DAY)) cl t "$@"; }
old init --name t >/dev/null
STUCK=$(old put deal title="Warehouse racks" stage=negotiation)
GLOBEX=$(old put company name="Globex" cadence=7)
TT=$(cl t put task title="Send the offer" due="$(day 0)")
TO1=$(cl t put task title="Pay the invoice" due=2021-01-01)
TO2=$(cl t put task title="Chase the signature" due="$(day -3)")
TW=$(cl t put task title="Book the venue" due="$(day 3)")
cl t put task title="Renew the lease" due="$(day 30)" >/dev/null
PR=$(cl t put deal title="Fleet renewal" stage=lead promised_by="$(day 1)")
cl t put deal title="Office chairs" stage=lead promised_by="$(day 7)" >/dev/null
cl t put deal title="Won late" stage=won promised_by="$(day -3)" >/dev/null
MIHAI=$(cl t put contact name="Mihai Radu" cadence=30)
CALL=$(cl t put interaction kind=call summary="Long ago" date="$(day -31)" contact="$MIHAI")
IOANA=$(cl t put contact name="Ioana Marin" cadence=30)
LATELY=$(cl t put interaction kind=call summary="Lately" date="$(day -10)" contact="$IOANA")
BD=$(cl t put contact name="Birthday soon" birthday="1990-$(date -d '+3 days' +%m-%d)")
AN=$(cl t put contact name="Married today" anniversary="2016-$(date +%m-%d)")
NOY=$(cl t put contact name="Year unknown" birthday="1604-$(date -d '+5 days' +%m-%d)")
Y3=$(($(date -d '+3 days' +%Y) - 1990)) Y0=$(($(date +%Y) - 2016))
cl t today >"$WORK/today2"
cat >"$WORK/today2.want" <<WANT
Due today (1)
  $TT  Send the offer  $(day 0)
Overdue (2)
  $TO1  Pay the invoice  2021-01-01
  $TO2  Chase the signature  $(day -3)
This week (1)
  $TW  Book the venue  $(day 3)
Promises at risk (1)
  $PR  Fleet renewal  lead  promised by $(day 1)
Stuck deals (1)
  $STUCK  Warehouse racks  negotiation  40 days in negotiation
People to get back to (2)
  $GLOBEX  Globex  every 7 days · never contacted
  $MIHAI  Mihai Radu  every 30 days · last contact $(day -31)
Birthdays and anniversaries (3)
  $AN  Married today  anniversary today · $Y0 years
  $BD  Birthday soon  birthday in 3 days · turns $Y3
  $NOY  Year unknown  birthday in 5 days
Recent interactions (2)
  $LATELY  Lately  $(day -10)
  $CALL  Long ago  $(day -31)
WANT
diff "$WORK/today2.want" "$WORK/today2" || fail "today: the sections differ from what is expected (above)"
cl t today --days 2 | grep -q '^Birthdays and anniversaries (1)$' || fail "today --days 2: the occasions' horizon"
cl t today --json >"$WORK/today2.json"
python3 - "$WORK/today2.json" "$TT $TO1 $TO2 $TW $PR $STUCK $GLOBEX $MIHAI $AN $BD $NOY" "$(day -31)" "$Y0 $Y3" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
tt, to1, to2, tw, pr, stuck, globex, mihai, an, bd, noy = sys.argv[2].split()
y0, y3 = map(int, sys.argv[4].split())
ids = lambda k: [r["id"] for r in j[k]["items"]]
for k in ["due_today", "overdue", "this_week", "promises", "stuck", "get_back_to", "occasions"]:
    assert j[k]["count"] == len(j[k]["items"]), (k, j[k])
assert ids("due_today") == [tt] and ids("overdue") == [to1, to2] and ids("this_week") == [tw], j
assert ids("promises") == [pr] and "promised_by" in j["promises"]["items"][0]["fields"], j["promises"]
assert ids("stuck") == [stuck] and j["stuck"]["items"][0]["days_in_stage"] == 40, j["stuck"]
g = j["get_back_to"]["items"]
assert ids("get_back_to") == [globex, mihai], g
assert "last_contact" not in g[0] and g[0]["days_since"] == 40 and g[0]["fields"]["cadence"] == "7", g
assert g[1]["last_contact"] == sys.argv[3] and g[1]["days_since"] == 31 and g[1]["fields"]["cadence"] == "30", g
o = j["occasions"]["items"]
assert ids("occasions") == [an, bd, noy], o
assert (o[0]["occasion"], o[0]["in_days"], o[0]["years"]) == ("anniversary", 0, y0), o
assert (o[1]["occasion"], o[1]["in_days"], o[1]["years"]) == ("birthday", 3, y3), o
assert o[2]["in_days"] == 5 and "years" not in o[2], o
assert len(j["recent"]) == 2, j["recent"]  # a bare array, as before the sections
# the keys of earlier versions: due today and overdue oldest first, birthdays
assert [r["id"] for r in j["due"]] == [to1, to2, tt], j["due"]
assert [(b["in_days"], b["record"]["id"]) for b in j["birthdays"]] == [(3, bd), (5, noy)], j["birthdays"]
PY
  fail "today --json: the sections"
pass "today: due today, overdue, this week, promises at risk, stuck deals, people to get back to, occasions, counted; --json"

# bad input: a clear one-line error, the right exit code, nothing stored
BEFORE=$(cl a digest)
check_bad() {
  local code=$1; shift
  expect_exit "$code" cl a "$@"
  [ "$(echo "$ERR" | wc -l)" = 1 ] || fail "'$*': error is not one line: $ERR"
  echo "$ERR" | grep -q '^clientele: ' || fail "'$*': error does not start with 'clientele: '"
  [ "$(cl a digest)" = "$BEFORE" ] || fail "'$*' changed the data"
}
check_bad 2 put planet name=x
check_bad 1 put contact name=x shoe_size=44
check_bad 1 put contact name=x birthday=2026-13-01
check_bad 1 put contact name=x birthday=2023-02-29
check_bad 1 put contact name=x company=aaaaaaaaaaaaaaaaaaaaaaaaaa
check_bad 1 put contact name=x company="$P"
check_bad 2 put contact "not-an-id" name=x
check_bad 1 put contact email=no-name@x.ro
check_bad 1 put contact "$P" name=
check_bad 1 put task title=t done=perhaps
check_bad 1 put deal title=t amount=12,5
check_bad 1 put deal title=t currency=EURO
check_bad 1 put interaction kind=dance summary=x
check_bad 1 put contact name=x email=not-an-email
check_bad 1 put contact "$C" name=x
check_bad 2 put contact
check_bad 2 put contact justtext
check_bad 2 get
check_bad 2 get nonsense
check_bad 1 get aaaaaaaaaaaaaaaaaaaaaaaaaa
check_bad 2 list
check_bad 2 list contact --limit zero
check_bad 2 list contact --bogus
check_bad 2 frobnicate
check_bad 2 peer add not-a-device-id
check_bad 2 sync not:a:port
pass "bad input: one clear line, exit 1 or 2, digest unchanged"

# help
"$BIN" --help | grep -q "put TYPE" || fail "--help"
"$BIN" help put | grep -q "FIELD=VALUE" || fail "help put"
"$BIN" put --help | grep -q "FIELD=VALUE" || fail "put --help"
"$BIN" --version | grep -q "LMDB" || fail "--version"
pass "help and version"

# two processes writing the same folder at once lose nothing
writer() { for i in $(seq 1 100); do cl a put company name="$1 $i" || echo "FAILED $1 $i"; done >"$WORK/$1.ids"; }
writer left & L=$!
writer right & R=$!
wait $L; wait $R
grep -q FAILED "$WORK/left.ids" "$WORK/right.ids" && fail "a concurrent put failed"
for side in left right; do
  while read -r id; do cl a get "$id" >/dev/null || fail "lost $id"; done <"$WORK/$side.ids"
done
[ "$(cl a list company --query left | wc -l)" = 100 ] || fail "left writes lost"
[ "$(cl a list company --query right | wc -l)" = 100 ] || fail "right writes lost"
pass "two processes writing one folder at once lose nothing"
