#!/usr/bin/env bash
# GET /api/today: the today view's sections, each answered by the model from
# its own index — due today, overdue, this week, promises at risk, deals stuck
# in a stage, people to get back to (cadence), birthdays and anniversaries,
# recent interactions — with counts, a limit, and the names of what the rows
# refer to. Records "written weeks ago" come from a `clientele put` run with
# a paired device whose clock is set back (CLIENTELE_CLOCK_OFFSET_MS) and that
# then syncs: what a laptop that was offline for weeks brings.
source "$(dirname "$0")/../integration/lib.sh"

PORT=$(free_port)
U=http://127.0.0.1:$PORT
cl a init --name laptop >/dev/null
LPORT=$(free_port)
"$BIN" --data "$WORK/a" serve --ui 127.0.0.1:$PORT --listen 127.0.0.1:$LPORT --no-discovery >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"
curl -s -c "$WORK/cookies" -o /dev/null "$(cl a open --print-url)"
req() { # req PATH → $STATUS, $BODY
  STATUS=$(curl -s -b "$WORK/cookies" -o "$WORK/.body" -w '%{http_code}' --max-time 10 "$U$1")
  BODY=$(cat "$WORK/.body")
}
js() { node -e "const b=JSON.parse(require('fs').readFileSync(0,'utf8')); const v=($1); process.stdout.write(typeof v==='string'?v:JSON.stringify(v))" <<<"$BODY"; }
expect() { # expect STATUS JS-CONDITION DESCRIPTION
  [ "$STATUS" = "$1" ] || fail "$3: status $STATUS, expected $1 (body: $BODY)"
  [ -z "$2" ] || [ "$(js "$2")" = true ] || fail "$3: $2 is false (body: $BODY)"
  pass "$3"
}
put() { cl a put "$@" | tail -n1; }              # → the new record's id
DAY=86400000
# ago N ARGS… — `put ARGS…` on the old laptop, N days ago (oldest first: its
# clock only grows); then `synced`
CLIENTELE_CLOCK_OFFSET_MS=$((-60 * DAY)) cl old init --name old-laptop >/dev/null
cl a peer add "$(cl old id)" >/dev/null
cl old peer add "$(cl a id)" --addr 127.0.0.1:$LPORT >/dev/null
ago() { local n=$1; shift; CLIENTELE_CLOCK_OFFSET_MS=$((-n * DAY)) cl old put "$@" | tail -n1; }
synced() { cl old sync >/dev/null || fail "the old laptop does not sync"; }
day() { date -d "$1 days" +%F; }

req /api/today
expect 200 "['due_today','overdue','this_week','promises','stuck','get_back_to','occasions','recent'].every(k=>b[k].count===0 && b[k].items.length===0) && Object.keys(b.names).length===0 && b.date==='$(date +%F)'" \
  "an empty book: every section there, empty"

# ----- tasks: today, overdue (oldest first), this week; done and later ones left out
ACME=$(put company name="Acme Ltd")
ANA=$(put contact name="Ana Pop" company="$ACME")
BIG=$(put deal title="Fleet renewal" company="$ACME" contact="$ANA" stage=proposal amount=48000 currency=EUR promised_by="$(day -1)")
T1=$(put task title="Call Ana" due="$(day 0)" contact="$ANA" deal="$BIG")
T2=$(put task title="Old one" due="$(day -9)")
T3=$(put task title="Older one" due="$(day -20)" company="$ACME")
T4=$(put task title="Done one" due="$(day -5)" done=true)
T5=$(put task title="Thursday" due="$(day 3)")
T6=$(put task title="Next month" due="$(day 30)")
req /api/today
expect 200 "b.due_today.count===1 && b.due_today.items[0].id==='$T1' && b.overdue.items.map(r=>r.id).join()==='$T3,$T2' && b.overdue.count===2 && b.this_week.items.map(r=>r.id).join()==='$T5'" \
  "tasks: due today, then overdue oldest first, then this week; done and later tasks left out"
expect 200 "b.names['$ANA'].label==='Ana Pop' && b.names['$ANA'].company==='$ACME' && b.names['$ACME'].label==='Acme Ltd' && b.names['$BIG'].amount==='48000' && b.names['$BIG'].currency==='EUR' && b.names['$BIG'].stage==='proposal'" \
  "the rows' references are named in the same answer: contact with company, deal with stage and value"
req "/api/today?limit=1"
expect 200 "b.overdue.count===2 && b.overdue.items.length===1 && b.overdue.items[0].id==='$T3'" "?limit caps the rows, the count stays whole"
for bad in 0 501 x; do req "/api/today?limit=$bad"; expect 400 "b.error.code==='invalid'" "limit=$bad is refused"; done

# ----- promises at risk: promised_by passed or within 2 days, neither won nor lost
SOON=$(put deal title="Promised tomorrow" stage=lead promised_by="$(day 1)")
put deal title="Promised next week" stage=lead promised_by="$(day 7)" >/dev/null
WON=$(put deal title="Won late" stage=won promised_by="$(day -3)")
LOST=$(put deal title="Lost late" stage=lost promised_by="$(day -3)")
req /api/today
expect 200 "b.promises.items.map(r=>r.id).join()==='$BIG,$SOON'" "promises at risk: yesterday's and tomorrow's, not next week's, not won or lost ones"
cl a put deal "$SOON" stage=won >/dev/null
req /api/today
expect 200 "b.promises.items.map(r=>r.id).join()==='$BIG'" "a deal won leaves the promises"
cl a put deal "$WON" stage=negotiation >/dev/null
req /api/today
expect 200 "b.promises.items.map(r=>r.id).join()==='$WON,$BIG'" "a won deal reopened comes back (the index follows the stage)"

# ----- stuck: the stage set 30 or more days ago
STUCK=$(ago 40 deal title="Warehouse racks" stage=negotiation)
ago 40 deal title="Lost long ago" stage=lost >/dev/null
GLOBEX=$(ago 40 company name="Globex" cadence=7)      # for the people to get back to, below
ago 40 contact name="No cadence" >/dev/null
ago 10 deal title="Moving along" stage=proposal >/dev/null
synced
req /api/today
expect 200 "b.stuck.items.map(r=>r.id).join()==='$STUCK' && b.stuck.items[0].days_in_stage===40" "stuck deals: 40 days in negotiation is stuck; 10 days, or lost, is not"
cl a put deal "$STUCK" notes="called them" >/dev/null
req /api/today
expect 200 "b.stuck.count===1" "another field's edit does not unstick a deal"
cl a put deal "$STUCK" stage=proposal >/dev/null
req /api/today
expect 200 "b.stuck.count===0" "moving it to another stage does"

# ----- people to get back to: a cadence passed since the last interaction
MIHAI=$(put contact name="Mihai Radu" cadence=30)
put interaction kind=call summary="Long ago" date="$(day -31)" contact="$MIHAI" >/dev/null
IOANA=$(put contact name="Ioana Marin" cadence=30)
put interaction kind=call summary="Recent" date="$(day -10)T10:00:00Z" contact="$IOANA" >/dev/null
req /api/today
expect 200 "b.get_back_to.items.map(r=>r.id).join()==='$GLOBEX,$MIHAI' && b.get_back_to.items[1].last_contact==='$(day -31)' && b.get_back_to.items[1].days_since===31 && b.get_back_to.items[0].days_since===40 && !('last_contact' in b.get_back_to.items[0])" \
  "get back to: a 7-day company never contacted in 40 days, then a 30-day contact last called 31 days ago; not one called 10 days ago"
put interaction kind=call summary="Caught up" date="$(date -u +%FT%TZ)" contact="$MIHAI" >/dev/null
req /api/today
expect 200 "b.get_back_to.items.map(r=>r.id).join()==='$GLOBEX'" "logging a call clears the reminder"
cl a put company "$GLOBEX" cadence= >/dev/null
req /api/today
expect 200 "b.get_back_to.count===0" "clearing the cadence clears it too"
for bad in 0 -3 30.5 3651 often 030; do
  expect_exit 1 cl a put contact "$IOANA" cadence="$bad"
  grep -q "cadence: not a number of days" <<<"$ERR" || fail "cadence=$bad: $ERR"
done
pass "a cadence is a whole number of days from 1 to 3650"

# ----- birthdays and anniversaries, soonest first, with the years
BD=$(put contact name="Birthday soon" birthday="1990-$(date -d '+3 days' +%m-%d)")
AN=$(put contact name="Anniversary today" anniversary="2016-$(date +%m-%d)")
put contact name="Far birthday" birthday="1970-$(date -d '+60 days' +%m-%d)" >/dev/null
NOY=$(put contact name="Year unknown" birthday="1604-$(date -d '+5 days' +%m-%d)")
Y3=$(date -d '+3 days' +%Y); Y0=$(date +%Y)
req /api/today
expect 200 "b.occasions.items.map(r=>r.id).join()==='$AN,$BD,$NOY' && b.occasions.items[0].occasion==='anniversary' && b.occasions.items[0].in_days===0 && b.occasions.items[0].years===$((Y0 - 2016)) && b.occasions.items[1].occasion==='birthday' && b.occasions.items[1].in_days===3 && b.occasions.items[1].years===$((Y3 - 1990)) && !('years' in b.occasions.items[2])" \
  "occasions: today's anniversary (years), a birthday in 3 days (the age then), Apple's 1604 without an age; not one in 60 days"

req /api/today
expect 200 "b.recent.items.length===3 && b.recent.items[0].fields.summary==='Caught up'" "recent interactions, newest first"

# ----- the Reports view's numbers, summed exactly per currency
req /api/reports
expect 200 "b.pipeline.map(s=>s.stage).join()==='lead,proposal,negotiation,won,lost' && b.pipeline[1].count===3 && b.pipeline[1].sums.find(x=>x.currency==='EUR').amount==='48000' && b.pipeline[4].count===2" \
  "GET /api/reports: the pipeline by stage with counts and exact sums"
expect 200 "b.outcomes.some(m=>m.month==='$(date +%Y-%m)' && m.won.count===1) && b.interactions.reduce((a,m)=>a+m.count,0)===3 && b.interactions.every((m,i,a)=>!i || a[i-1].month<m.month)" \
  "won deals by the month their stage was set; interactions per month, ascending"
