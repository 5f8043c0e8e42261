#!/usr/bin/env bash
# The DAV task list and dates calendar of `clientele serve` (docs/dav.md),
# tried as a calendar would: python3-caldav (Debian) finds them, creates,
# completes and deletes a task; vdirsyncer (Debian) syncs the task list
# two-way with a folder of .ics files; the dates calendar shows birthdays and
# deal dates and refuses writes; bad tasks store nothing; sync-collection
# tells what changed.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/dav_lib.sh"
DAV_USER=cal

PY=/usr/bin/python3 # the Debian modules, whatever python3 comes first on PATH
command -v vdirsyncer >/dev/null || { echo "SKIP: vdirsyncer is not installed (tools/deps.sh test)"; exit 77; }
"$PY" -c 'import caldav' 2>/dev/null || { echo "SKIP: python3-caldav is not installed (tools/deps.sh test)"; exit 77; }

cl a init --name laptop >/dev/null
start_serve a
U="http://127.0.0.1:$UI_a"
D="$U/dav"
digest() { cl a digest; }
field() { cl a get "$1" --json | node -e "const r=JSON.parse(require('fs').readFileSync(0)); process.stdout.write(String(r.fields['$2'] ?? ''))"; }

P=$(cl a put contact name="Ana Pop" birthday=1980-03-14 anniversary=2005-06-20)
DEAL=$(cl a put deal title="Fleet renewal" contact="$P" amount=42000 close_date=2027-01-31 promised_by=2026-12-20)
T=$(cl a put task title="Call Ana about the fleet" due=2026-12-10 contact="$P" notes="Bring the price list")
PW=$(cl a dav add cal | sed -n 's/^  password: *//p')
[ ${#PW} = 32 ] || fail "dav add printed no password"

# ----- discovery
st=$(command curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X PROPFIND "$U/.well-known/caldav")
[ "$st" = "301 $U/dav/" ] || fail "/.well-known/caldav: $st"
dav PROPFIND / -H 'Depth: 0' --data-binary '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/></d:prop></d:propfind>'
expect 207 '<cal:calendar-home-set><d:href>/dav/</d:href>' "the calendar home is /dav/"
dav PROPFIND /tasks/ -H 'Depth: 0' --data-binary '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:resourcetype/><c:supported-calendar-component-set/><d:current-user-privilege-set/></d:prop></d:propfind>'
expect 207 '<cal:comp name="VTODO"/>' "the task list is a calendar of VTODOs"
grep -q '<cal:calendar/>' <<<"$BODY" && grep -q '<d:write/>' <<<"$BODY" || fail "the task list is not a writable calendar: $BODY"
dav PROPFIND /dates/ -H 'Depth: 0' --data-binary '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:supported-calendar-component-set/><d:current-user-privilege-set/></d:prop></d:propfind>'
expect 207 '<cal:comp name="VEVENT"/>' "the dates calendar is a calendar of VEVENTs"
grep -q '<d:write/>' <<<"$BODY" && fail "the dates calendar says it is writable: $BODY"
pass "discovery: /.well-known/caldav, calendar-home-set, the two calendars and what they hold"

# ----- python3-caldav creates, completes and deletes a task
"$PY" - "$D/" "$PW" "$P" >"$WORK/caldav.out" 2>&1 <<'PY' || fail "python3-caldav: $(cat "$WORK/caldav.out")"
import sys, caldav
url, pw, ana = sys.argv[1:4]
client = caldav.DAVClient(url, username="cal", password=pw)
cals = {str(c.url).rstrip("/").rsplit("/", 1)[-1]: c for c in client.principal().calendars()}
assert set(cals) == {"tasks", "dates"}, cals
tasks = cals["tasks"]
# the book's task, with its contact named in the description
book = [t for t in tasks.todos(include_completed=True)]
assert len(book) == 1, [t.data for t in book]
vt = book[0].vobject_instance.vtodo
assert vt.summary.value == "Call Ana about the fleet", vt.summary.value
assert vt.description.value.startswith("Contact: Ana Pop\n"), vt.description.value
assert vt.x_clientele_contact.value == ana
t = tasks.save_todo("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//python3-caldav//EN
BEGIN:VTODO
UID:py-made-1
DTSTAMP:20261207T100000Z
SUMMARY:Send the offer
DUE;VALUE=DATE:20261211
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
""")
print("created", t.url)
t = tasks.todo_by_uid("py-made-1")
t.complete()
t = tasks.todo_by_uid("py-made-1")
assert t.vobject_instance.vtodo.status.value == "COMPLETED", t.data
print("completed")
# the dates calendar: Ana's birthday and anniversary (yearly), the deal's two dates
events = {e.vobject_instance.vevent.summary.value: e.vobject_instance.vevent for e in cals["dates"].events()}
assert set(events) == {"Birthday: Ana Pop", "Anniversary: Ana Pop", "Promised by: Fleet renewal",
                       "Expected close: Fleet renewal"}, events
assert str(events["Birthday: Ana Pop"].dtstart.value) == "1980-03-14"
assert events["Birthday: Ana Pop"].rrule.value == "FREQ=YEARLY"
assert str(events["Expected close: Fleet renewal"].dtstart.value) == "2027-01-31"
print("dates ok")
PY
MADE=$(cl a list task --json | node -e 'const b=JSON.parse(require("fs").readFileSync(0)); const r=b.items.find(r=>r.fields.title==="Send the offer"); process.stdout.write(r?r.id:"")')
[ -n "$MADE" ] || fail "the task python3-caldav made is not in clientele"
[ "$(field "$MADE" done)" = true ] || fail "the task python3-caldav completed is not done in clientele: $(cl a get "$MADE")"
[ "$(field "$MADE" due)" = 2026-12-11 ] || fail "the task's due date: $(cl a get "$MADE")"
cl a get "$MADE" | grep -q "done: true" || fail "clientele get does not say done: true: $(cl a get "$MADE")"
pass "python3-caldav creates a task and completes it: done is true in clientele get"
"$PY" - "$D/" "$PW" >"$WORK/caldav.out" 2>&1 <<'PY' || fail "python3-caldav delete: $(cat "$WORK/caldav.out")"
import sys, caldav
client = caldav.DAVClient(sys.argv[1], username="cal", password=sys.argv[2])
tasks = [c for c in client.principal().calendars() if str(c.url).endswith("/tasks/")][0]
tasks.todo_by_uid("py-made-1").delete()
PY
cl a get "$MADE" >/dev/null 2>&1 && fail "the task python3-caldav deleted is still in clientele"
pass "python3-caldav deletes the task: it is gone from clientele"
pass "the dates calendar: birthdays and anniversaries yearly, a deal's promised-by and close dates, all-day"

# ----- the dates calendar is read-only; bad tasks store nothing
before=$(digest)
dav PUT "/dates/$P-birthday.ics" -H 'Content-Type: text/calendar' --data-binary $'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:19800315\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
expect 403 "read-only" "a PUT into the dates calendar is refused"
dav DELETE "/dates/$P-birthday.ics"
expect 403 "read-only" "a DELETE in the dates calendar is refused"
dav PUT /tasks/bad.ics --data-binary 'BEGIN:VCALENDAR'
expect 400 'valid-calendar-data' "a truncated calendar is 400"
dav PUT /tasks/bad.ics --data-binary $'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
expect 400 'valid-calendar-data' "an event in the task list is 400"
dav PUT /tasks/bad.ics --data-binary $'BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:a\r\nEND:VTODO\r\nBEGIN:VTODO\r\nUID:b\r\nEND:VTODO\r\nEND:VCALENDAR\r\n'
expect 400 'valid-calendar-data' "two tasks in one resource are 400"
dav PUT /tasks/bad.ics --data-binary $'BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:a\r\nSUMMARY:x\r\nDUE:tomorrow\r\nEND:VTODO\r\nEND:VCALENDAR\r\n'
expect 400 'valid-calendar-data' "a due date that is no date is 400"
dav PUT /tasks/bad.ics --data-binary $'BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:a\r\nSUMMARY:x\r\nX-CLIENTELE-CONTACT:nosuchrecord\r\nEND:VTODO\r\nEND:VCALENDAR\r\n'
expect 400 'valid-calendar-data' "a link to no record is 400"
dav PUT "/tasks/$T.ics" -H 'If-Match: "0123456789abcdef0123456789abcdef"' --data-binary $'BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:x\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n'
expect 412 "" "a task PUT with a stale ETag is 412"
[ "$(digest)" = "$before" ] || fail "a refused calendar request stored something"
pass "read-only dates, broken or foreign calendars, two tasks, a bad date or link, a stale ETag: 4xx, nothing stored"

# ----- vdirsyncer, two-way with a folder of tasks
vdir_conf caldav "$D/tasks/" .ics 'item_types = ["VTODO"]'
T2=$(cl a put task title="Send the contract" due=2026-12-15)
vsync discover
vsync sync
[ "$(ls "$WORK/vdir" | wc -l)" = 2 ] || fail "vdirsyncer fetched $(ls "$WORK/vdir" | wc -l) tasks, expected 2: $(cat "$WORK/vdir.out")"
call=$(grep -l "SUMMARY:Call Ana" "$WORK/vdir"/*.ics) || fail "the book's task is not in the folder"
vsync sync
grep -Eqi "copying|updating|deleting" "$WORK/vdir.out" && fail "a second sync with nothing changed transferred: $(cat "$WORK/vdir.out")"
pass "vdirsyncer's first sync brings the book's tasks; a second one with nothing changed transfers nothing"

# the folder's side: a task completed, a new one, one deleted
sed -i 's/^STATUS:NEEDS-ACTION/STATUS:COMPLETED/' "$call"
rm "$(grep -l "SUMMARY:Send the contract" "$WORK/vdir"/*.ics)"
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:folder-made-7\r\nDTSTAMP:20261207T100000Z\r\nSUMMARY:Book the demo room\r\nDUE:20261218T090000Z\r\nDESCRIPTION:Room 2\\, projector\r\nEND:VTODO\r\nEND:VCALENDAR\r\n' \
  >"$WORK/vdir/folder-made-7.ics"
vsync sync
[ "$(field "$T" done)" = true ] || fail "the task completed in the folder is not done in clientele: $(cl a get "$T")"
[ "$(field "$T" notes)" = "Bring the price list" ] || fail "the names the description starts with became notes: $(cl a get "$T")"
[ "$(field "$T" contact)" = "$P" ] || fail "the task lost its contact: $(cl a get "$T")"
cl a get "$T2" >/dev/null 2>&1 && fail "the task deleted in the folder is still in clientele"
NEW=$(cl a list task --json | node -e 'const b=JSON.parse(require("fs").readFileSync(0)); const r=b.items.find(r=>r.fields.title==="Book the demo room"); process.stdout.write(r?r.id:"")')
[ -n "$NEW" ] || fail "the task made in the folder is not in clientele"
[ "$(field "$NEW" due)" = 2026-12-18 ] && [ "$(field "$NEW" notes)" = "Room 2, projector" ] || fail "the folder's task: $(cl a get "$NEW")"
dav GET /tasks/folder-made-7.ics
expect 200 'UID:folder-made-7' "the task made by the client keeps its name and UID"
vsync sync # the client reads back what the book made of its two writes
vsync sync
grep -Eqi "copying|updating|deleting" "$WORK/vdir.out" && fail "a sync with nothing changed transferred: $(cat "$WORK/vdir.out")"
pass "the folder's completion, new task and deletion reach clientele (notes and contact kept); then the sync is quiet"

# clientele's side
cl a put task "$NEW" title="Book the big demo room" >/dev/null
N3=$(cl a put task title="Quote for Dacia" due=2026-12-30)
cl a rm "$T" >/dev/null
vsync sync
grep -q "SUMMARY:Book the big demo room" "$WORK/vdir/folder-made-7.ics" || fail "clientele's edit did not reach the folder"
grep -l "SUMMARY:Quote for Dacia" "$WORK/vdir"/*.ics >/dev/null || fail "clientele's new task is not in the folder"
[ -e "$call" ] && fail "the task deleted in clientele is still in the folder"
pass "clientele's edit, new task and deletion reach the folder"

# ----- sync-collection on a calendar: what changed since a token
sc() { dav REPORT "$1" --data-binary "<d:sync-collection xmlns:d=\"DAV:\"><d:sync-token>$2</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"; }
sc /tasks/ ""
TOKEN=$(sed -n 's/.*<d:sync-token>\([^<]*\)<.*/\1/p' <<<"$BODY")
[ -n "$TOKEN" ] || fail "no sync token: $BODY"
cl a put contact "$P" name="Ana Pop-Ionescu" birthday="" >/dev/null
cl a put task "$N3" done=true >/dev/null
sc /tasks/ "$TOKEN"
expect 207 "/dav/tasks/$N3.ics" "sync-collection on the task list tells the task changed"
[ "$(grep -o '<d:response>' <<<"$BODY" | wc -l)" = 1 ] || fail "the task list's changes: $BODY"
sc /dates/ "$TOKEN"
expect 207 "/dav/dates/$P-birthday.ics</d:href><d:status>HTTP/1.1 404" "a birthday cleared is gone from the dates calendar"
grep -q "/dav/dates/$P-anniversary.ics</d:href><d:propstat>" <<<"$BODY" || fail "the renamed contact's anniversary is not told: $BODY"
dav GET "/dates/$P-anniversary.ics"
expect 200 "SUMMARY:Anniversary: Ana Pop-Ionescu" "the renamed contact's anniversary names her new name"
dav REPORT /dates/ --data-binary '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VTODO"/></c:comp-filter></c:filter></c:calendar-query>'
expect 207 "" "a query for tasks in the dates calendar"
grep -q '<d:response>' <<<"$BODY" && fail "the dates calendar answered tasks: $BODY"
dav REPORT /contacts/ --data-binary '<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop></c:calendar-query>'
expect 403 "supported-report" "a calendar-query on the address book is refused"
pass "sync-collection and calendar-query on the calendars"

# ----- a DAV client's write reaches an open page at once
ui_login a
SESSION=$(awk '$6 ~ /^clientele_session_/ {print $6 "=" $7}' "$WORK/cookies")
export D PW
node - "$UI_a" "$SESSION" <<'JS' || fail "the open page was not told of the DAV write"
const [port, session] = [process.argv[2], process.argv[3]];
const { spawnSync } = require('child_process');
const net = require('net');
// A minimal websocket client (as tests/http/test_events.sh): server frames are unmasked text.
const s = net.connect(port, '127.0.0.1', () => s.write(
  `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${port}\r\n` +
  `Cookie: ${session}\r\n\r\n`));
let buf = '';
s.on('data', (d) => { buf += d.toString('latin1'); });
const count = () => buf.split('"type":"data"').length - 1;
setTimeout(() => {
  const before = count();
  const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:live-1\r\nSUMMARY:Made on the phone\r\nEND:VTODO\r\nEND:VCALENDAR\r\n';
  const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `cal:${process.env.PW}`, '-X', 'PUT',
                               '--data-binary', ics, `${process.env.D}/tasks/live-1.ics`]);
  if (r.stdout.toString() !== '201') { console.error('PUT: ' + r.stdout + r.stderr); process.exit(1); }
  const t0 = Date.now();
  const poll = setInterval(() => {
    if (count() > before) { console.log(`the DAV write arrived as data in ${Date.now() - t0} ms`); process.exit(0); }
    if (Date.now() - t0 > 5000) { console.error('no data event after a DAV write'); process.exit(1); }
  }, 50);
}, 1500);
JS
pass "a task a DAV client writes reaches the open page as a live data event"
