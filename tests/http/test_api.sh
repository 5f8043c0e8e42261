#!/usr/bin/env bash
# The JSON API of `clientele serve` (DESIGN §6): every endpoint, every error,
# the Host check, the CSRF token, body limits; a refused request stores nothing
# (checked with `clientele digest`).
source "$(dirname "$0")/../integration/lib.sh"

export WORK
PORT=$(free_port)
U=http://127.0.0.1:$PORT
cl a init --name laptop >/dev/null
# peers listen on another free loopback port; no LAN discovery in tests
LPORT=$(free_port)
SERVE=(serve --ui 127.0.0.1:$PORT --listen 127.0.0.1:$LPORT --no-discovery)
"$BIN" --data "$WORK/a" "${SERVE[@]}" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"

# req METHOD PATH [BODY] [curl args…] → $STATUS, $BODY (token sent unless NOTOKEN=1)
req() {
  local m=$1 p=$2 body=${3-} ; shift 3 2>/dev/null || shift $#
  local args=(-s -o "$WORK/.body" -w '%{http_code}' -X "$m" --max-time 10)
  [ "${NOTOKEN:-0}" = 1 ] || args+=(-H "X-Clientele-Token: $TOKEN")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  STATUS=$(curl "${args[@]}" "$@" "$U$p")
  BODY=$(cat "$WORK/.body")
}
# js EXPR — evaluate EXPR on the last body (as `b`) with node
js() { node -e "const b=JSON.parse(require('fs').readFileSync(0,'utf8')); const v=($1); process.stdout.write(typeof v==='string'?v:JSON.stringify(v))" <<<"$BODY"; }
expect() { # expect STATUS [JS-CONDITION] DESCRIPTION
  local want=$1 cond=$2 what=$3
  [ "$STATUS" = "$want" ] || fail "$what: status $STATUS, expected $want (body: $BODY)"
  [ -z "$cond" ] || [ "$(js "$cond")" = true ] || fail "$what: $cond is false (body: $BODY)"
  pass "$what"
}
digest() { cl a digest; }

# ----- the page is its owner's alone: a one-time login link, then a cookie
page=$(curl -s "$U/")
grep -q "clientele open" <<<"$page" || fail "GET / without a login does not say how to get in: $page"
grep -q "clientele-token" <<<"$page" && fail "GET / without a login embeds the token"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/api/status")" = 401 ] || fail "the API answers without a login"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
     --data-binary '{"type":"company","fields":{"name":"X"}}' "$U/api/records")" = 401 ] || fail "POST without a login"
pass "without a login: GET / says how to get in (no token), the API answers 401"
URL=$(cl a open --print-url)
[[ "$URL" == "$U/login?code="* ]] || fail "open --print-url printed '$URL'"
hdr=$(curl -s -D - -o /dev/null "$URL")
grep -q "^HTTP/1.1 303" <<<"$hdr" || fail "the login link does not redirect: $hdr"
grep -qi "^set-cookie: clientele_session_$PORT=[a-z0-9]*; Path=/; HttpOnly; SameSite=Strict" <<<"$hdr" ||
  fail "no HttpOnly, SameSite=Strict session cookie: $hdr"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL")" = 403 ] || fail "a login link works twice"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/login?code=guessed")" = 403 ] || fail "a made-up login code works"
curl -s -L -c "$WORK/cookies" -b "$WORK/cookies" "$(cl a open --print-url)" | grep -q 'name="clientele-token"' ||
  fail "following the login link does not land on the page"
pass "clientele open --print-url: a one-time link that sets an HttpOnly, SameSite=Strict cookie and lands on the page"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  other() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }   # nobody
  [ "$(other curl -s -o /dev/null -w '%{http_code}' "$U/api/records?type=company")" = 401 ] ||
    fail "another account reads the API"
  other curl -s "$U/" | grep -q "clientele-token" && fail "another account gets the page's token"
  other "$BIN" --data "$WORK/a" open --print-url >/dev/null 2>&1 && fail "another account made a login link"
  pass "another account on this computer gets nothing from the page or the API"
fi
curl() { command curl -b "$WORK/cookies" "$@"; }   # from here on: the owner's browser

# ----- the page and its token
STATUS=$(curl -s -o "$WORK/index.html" -w '%{http_code}' "$U/")
[ "$STATUS" = 200 ] || fail "GET / answered $STATUS"
TOKEN=$(grep -o 'name="clientele-token" content="[a-z0-9]*"' "$WORK/index.html" | sed 's/.*content="//; s/"$//')
[ ${#TOKEN} -ge 32 ] || fail "no token in the page"
pass "GET / embeds a token"
page_headers=$(curl -s -D - -o /dev/null "$U/")
grep -qi "^content-security-policy: default-src 'self'" <<<"$page_headers" || fail "no CSP on the page: $page_headers"
grep -qi '^cache-control: no-store' <<<"$page_headers" || fail "the page (with its token) may be cached"
pass "the page has a CSP and is not cached"
headers=$(curl -s -D - -o /dev/null "$U/app.js")
grep -qi '^content-type: text/javascript' <<<"$headers" || fail "app.js content type: $headers"
grep -qi '^cache-control: no-cache' <<<"$headers" || fail "app.js cache header"
etag=$(grep -i '^etag:' <<<"$headers" | cut -d' ' -f2 | tr -d '\r')
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U/app.js")" = 304 ] || fail "no 304 for a fresh asset"
grep -qi '^content-type: text/css' < <(curl -s -D - -o /dev/null "$U/style.css") || fail "css content type"
! grep -qi 'access-control' <<<"$headers" || fail "CORS header sent"
pass "assets: content types, ETag and 304, no CORS"
req GET /nope.js; expect 404 "b.error.code==='not_found'" "unknown asset is 404"

# ----- Host check (DNS rebinding)
req GET /api/status '' -H "Host: evil.example:$PORT"; expect 403 "b.error.code==='denied'" "foreign Host refused"
req GET / '' -H "Host: 127.0.0.1:1"; expect 403 "" "wrong port in Host refused"
# (curl matches cookies by the Host it sends: give the session by hand)
SESSION=$(awk '$6 ~ /^clientele_session_/ {print $6 "=" $7}' "$WORK/cookies")
req GET /api/status '' -H "Host: localhost:$PORT" -H "Cookie: $SESSION"; expect 200 "" "localhost:PORT accepted"
req GET /api/status '' -H "Host:"; expect 403 "" "missing Host refused"

# ----- records: create
D0=$(digest)
req POST /api/records '{"type":"company","fields":{"name":"Acme Ltd","industry":"Steel"}}'
expect 201 "b.type==='company' && b.fields.name==='Acme Ltd' && b.id.length===26 && Array.isArray(b.conflicts) && !!b.updated" "POST /api/records creates"
ACME=$(js b.id)
req POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"Dragoș Ionescu\",\"company\":\"$ACME\",\"birthday\":\"1980-02-29\"}}"
expect 201 "b.fields.company==='$ACME'" "create a contact referencing a company"
DRAGOS=$(js b.id)
D1=$(digest)

# ----- refusals store nothing
refuse() { # refuse STATUS CODE DESCRIPTION METHOD PATH BODY [curl args]
  local st=$1 code=$2 what=$3; shift 3
  req "$@"; expect "$st" "b.error.code==='$code' && b.error.message.length>0" "$what"
  [ "$(digest)" = "$D1" ] || fail "$what: something was stored"
}
NOTOKEN=1 refuse 403 denied "POST without token" POST /api/records '{"type":"company","fields":{"name":"X"}}'
NOTOKEN=1 refuse 403 denied "POST with a wrong token" POST /api/records '{"type":"company","fields":{"name":"X"}}' -H "X-Clientele-Token: $(wrong "$TOKEN")"
NOTOKEN=1 refuse 403 denied "PATCH without token" PATCH /api/records/$ACME '{"fields":{"name":"X"}}'
NOTOKEN=1 refuse 403 denied "DELETE without token" DELETE /api/records/$ACME
refuse 403 denied "POST with a foreign Host" POST /api/records '{"type":"company","fields":{"name":"X"}}' -H "Host: attacker.test:$PORT"
refuse 400 invalid "malformed JSON" POST /api/records '{"type":"company","fields":{"name":"X"'
refuse 400 invalid "trailing garbage after JSON" POST /api/records '{"type":"company","fields":{"name":"X"}} x'
refuse 400 invalid "JSON that is not an object" POST /api/records '[1,2]'
refuse 400 invalid "empty body" POST /api/records ''
refuse 400 invalid "unknown type" POST /api/records '{"type":"planet","fields":{"name":"X"}}'
refuse 400 invalid "unknown field" POST /api/records '{"type":"company","fields":{"name":"X","colour":"red"}}'
refuse 400 invalid "wrong value type (number)" POST /api/records '{"type":"company","fields":{"name":123}}'
refuse 400 invalid "wrong value type (object)" POST /api/records '{"type":"company","fields":{"name":"X","notes":{"a":1}}}'
refuse 400 invalid "fields not an object" POST /api/records '{"type":"company","fields":"name=X"}'
refuse 400 invalid "missing required field" POST /api/records '{"type":"company","fields":{"industry":"x"}}'
refuse 400 invalid "invalid value (date)" POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"X\",\"birthday\":\"2026-13-01\"}}"
refuse 400 invalid "one bad field of several: nothing stored" PATCH /api/records/$ACME '{"fields":{"name":"Renamed","website":12}}'
refuse 400 invalid "unexpected key" POST /api/records '{"type":"company","fields":{"name":"X"},"extra":1}'
refuse 400 invalid "reference to a missing record" POST /api/records '{"type":"contact","fields":{"name":"X","company":"aaaaaaaaaaaaaaaaaaaaaaaaaa"}}'
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' 'a' >"$WORK/big"
req POST /api/records '' --data-binary "@$WORK/big" -H 'Content-Type: application/json'
expect 413 "b.error.message.length>0" "oversized body is 413"
[ "$(digest)" = "$D1" ] || fail "oversized body stored something"
# chunked (no Content-Length) oversized body
req POST /api/records '' --data-binary "@$WORK/big" -H 'Transfer-Encoding: chunked'
expect 413 "" "oversized chunked body is 413"
[ "$(digest)" = "$D1" ] || fail "oversized chunked body stored something"
# 10 MB: announced with Expect (answered at once), sent blindly (read, dropped, answered), chunked
head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$WORK/huge"
req POST /api/records '' --data-binary "@$WORK/huge" -H 'Content-Type: application/json'; expect 413 "" "10 MB body with Expect: 100-continue is 413"
req POST /api/records '' --data-binary "@$WORK/huge" -H 'Expect:'; expect 413 "" "10 MB body sent without waiting is 413 (not a broken pipe)"
req POST /api/records '' --data-binary "@$WORK/huge" -H 'Transfer-Encoding: chunked'; expect 413 "" "10 MB chunked body is 413"
[ "$(digest)" = "$D1" ] || fail "a huge body stored something"
pass "refused requests stored nothing (digest unchanged)"

# ----- read, list, search, pagination
req GET /api/records/$DRAGOS; expect 200 "b.id==='$DRAGOS' && b.fields.name==='Dragoș Ionescu' && b.type==='contact'" "GET /api/records/ID"
req GET /api/records/aaaaaaaaaaaaaaaaaaaaaaaaaa; expect 404 "b.error.code==='not_found'" "unknown record is 404"
req GET /api/records/not-an-id; expect 404 "" "malformed record id is 404"
req GET "/api/records?type=contact&q=dragos"; expect 200 "b.items.length===1 && b.next===null" "search ignores diacritics"
req GET "/api/records?type=contact&q=DRAGO%C8%98"; expect 200 "b.items.length===1" "search ignores case"
req GET "/api/records?type=contact&q=acme"; expect 200 "b.items.length===1" "search finds by the company's name"
req GET "/api/records?type=contact&q=nobody"; expect 200 "b.items.length===0 && b.next===null" "search without matches"
req GET "/api/records?type=contact&ref=$ACME"; expect 200 "b.items.length===1" "ref= lists records referencing a record"
req GET "/api/records?q=x"; expect 400 "b.error.code==='invalid'" "list without type is 400"
req GET "/api/records?type=planet"; expect 400 "" "list of unknown type is 400"
req GET "/api/records?type=company&limit=0"; expect 400 "" "limit 0 is 400"
req GET "/api/records?type=company&limit=abc"; expect 400 "" "limit not a number is 400"
req GET "/api/records?type=company&limit=100000"; expect 200 "Array.isArray(b.items)" "a huge limit is capped, not refused"
req GET "/api/records?type=company&cursor=zzz"; expect 400 "" "bad cursor is 400"
req GET "/api/records?type=company&q=$(head -c 2000 /dev/zero | tr '\0' a)"; expect 400 "" "an overlong search is 400, not everything"
req GET "/api/recent?limit=5x"; expect 400 "" "recent with a bad limit is 400"
for i in 1 2 3 4; do req POST /api/records "{\"type\":\"company\",\"fields\":{\"name\":\"Co $i\"}}"; done
seen=""; cursor=""; pages=0
while :; do
  req GET "/api/records?type=company&limit=2${cursor:+&cursor=$cursor}"; expect 200 "b.items.length<=2" "page $pages"
  seen+=$(js "b.items.map(r=>r.id).join(' ')")" "; cursor=$(js "b.next===null?'':b.next"); pages=$((pages+1))
  [ -n "$cursor" ] || break
  [ $pages -lt 10 ] || fail "pagination does not end"
done
[ "$(tr ' ' '\n' <<<"$seen" | grep -c .)" = 5 ] || fail "pagination returned: $seen"
[ "$(tr ' ' '\n' <<<"$seen" | grep . | sort -u | wc -l)" = 5 ] || fail "pagination repeated records"
pass "pagination with cursor visits every company once"
# by name: folded (case and accents), a page at a time, every record once, names of what they refer to
for n in "Zed Zimmer" "émile Roux" "Ana Pop" "bob Dinu" "Ana Pop"; do
  req POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"$n\",\"company\":\"$ACME\"}}"
done
names=""; cursor=""; pages=0
while :; do
  req GET "/api/records?type=contact&sort=name&names=1&limit=2${cursor:+&cursor=$cursor}"
  expect 200 "b.items.length<=2 && b.items.every(r=>!r.fields.company || b.names[r.fields.company].label)" "by name, page $pages, with the companies named"
  names+=$(js "b.items.map(r=>r.fields.name.replace(/ /g,'_')).join(' ')")" "; cursor=$(js "b.next===null?'':b.next"); pages=$((pages+1))
  [ -n "$cursor" ] || break
  [ $pages -lt 20 ] || fail "pagination by name does not end"
done
want=$(cl a list contact --json | node -e "const b=JSON.parse(require('fs').readFileSync(0,'utf8'));
  const f=(s)=>s.normalize('NFD').replace(/[\u0300-\u036f]/g,'').toLowerCase();
  console.log(b.items.map(r=>r.fields.name).sort((x,y)=>f(x)<f(y)?-1:f(x)>f(y)?1:0).map(n=>n.replace(/ /g,'_')).join(' '))")
[ "$(echo $names)" = "$want" ] || fail "by name: '$(echo $names)', expected '$want'"
pass "?sort=name lists contacts in folded name order, a page at a time, every one once (two named alike too)"
req GET "/api/records?type=deal&sort=name"; expect 400 "/only companies and contacts/.test(b.error.message)" "sort=name of deals is refused"
req GET "/api/records?type=contact&sort=size"; expect 400 "" "an unknown sort is refused"
req GET "/api/records?type=contact&sort=name&cursor=$DRAGOS"; expect 400 "/cursor/.test(b.error.message)" "an id is no cursor of a list by name"
req GET "/api/records?type=contact&sort=name&ref=$ACME"; expect 400 "" "sort=name and ref do not go together"
# ?stage=: the pipeline's columns, a page at a time (a deal without a stage is a lead)
for st in won won lost won ""; do
  req POST /api/records "{\"type\":\"deal\",\"fields\":{\"title\":\"Stage ${st:-none}\",\"company\":\"$ACME\"${st:+,\"stage\":\"$st\"}}}"
done
ids=""; cursor=""; pages=0
while :; do
  req GET "/api/records?type=deal&stage=won&limit=2&names=1${cursor:+&cursor=$cursor}"
  expect 200 "b.items.length<=2 && b.items.every(r=>r.fields.stage==='won' && b.names[r.fields.company].label)" "stage=won, page $pages"
  ids+=$(js "b.items.map(r=>r.id).join(' ')")" "; cursor=$(js "b.next===null?'':b.next"); pages=$((pages+1))
  [ -n "$cursor" ] || break
  [ $pages -lt 10 ] || fail "pagination by stage does not end"
done
[ "$(tr ' ' '\n' <<<"$ids" | grep . | sort -u | wc -l)" = 3 ] || fail "stage=won listed: $ids"
req GET "/api/records?type=deal&stage=lead"; expect 200 "b.items.some(r=>r.fields.title==='Stage none') && b.items.every(r=>!r.fields.stage || r.fields.stage==='lead')" "stage=lead includes deals without a stage"
pass "?stage= lists one stage's deals, a page at a time, each once"
req GET "/api/records?type=deal&stage=closed"; expect 400 "/stage must be/.test(b.error.message)" "an unknown stage is refused"
req GET "/api/records?type=contact&stage=won"; expect 400 "/only deals/.test(b.error.message)" "a stage of contacts is refused"

# ----- update, history, delete
req PATCH /api/records/$DRAGOS '{"fields":{"phone":"+40 721 000 000","title":"Buyer"}}'
expect 200 "b.fields.phone==='+40 721 000 000' && b.fields.title==='Buyer'" "PATCH updates and returns the record"
req PATCH /api/records/$DRAGOS '{"fields":{"title":null}}'; expect 200 "b.fields.title===undefined" "null clears a field"
req PATCH /api/records/aaaaaaaaaaaaaaaaaaaaaaaaaa '{"fields":{"name":"X"}}'; expect 404 "" "PATCH of unknown record is 404"
req PATCH /api/records/$DRAGOS '{"type":"company","fields":{}}'; expect 400 "" "PATCH refuses a type"
req GET /api/records/$DRAGOS/history
expect 200 "b.items.some(c=>c.field==='phone' && c.to==='+40 721 000 000' && c.device.length>30 && !!c.at) && b.items.some(c=>c.field==='title' && c.from==='Buyer' && c.to==='')" "history lists the changes"
req GET /api/records/aaaaaaaaaaaaaaaaaaaaaaaaaa/history; expect 404 "" "history of unknown record is 404"
req POST /api/records/$DRAGOS/history; expect 405 "" "POST to history is 405"
req POST /api/records '{"type":"task","fields":{"title":"Send the proposal","due":"2020-01-01","contact":"'$DRAGOS'"}}'; TASK=$(js b.id)
req POST /api/records '{"type":"task","fields":{"title":"Far future","due":"2999-01-01"}}'
req POST /api/records '{"type":"interaction","fields":{"kind":"meeting","summary":"Demo","contact":"'$DRAGOS'","company":"'$ACME'"}}'; MEET=$(js b.id)
req GET /api/records/$DRAGOS/related
expect 200 "b.items.length===2 && b.items.some(e=>e.record.id==='$TASK' && e.fields.join()==='contact') && b.items.some(e=>e.record.id==='$MEET' && e.fields.join()==='contact' && e.record.fields.summary==='Demo')" "related lists every referrer once, with its fields"
req GET /api/records/$ACME/related
expect 200 "b.items.some(e=>e.record.id==='$DRAGOS' && e.fields.join()==='company') && b.items.some(e=>e.record.id==='$MEET')" "related of a company: its people and interactions"
req GET /api/records/aaaaaaaaaaaaaaaaaaaaaaaaaa/related; expect 404 "" "related of unknown record is 404"
req POST /api/records/$DRAGOS/related; expect 405 "" "POST to related is 405"
req DELETE /api/records/$MEET; req GET /api/records/$ACME/related
expect 200 "!b.items.some(e=>e.record.id==='$MEET') && b.items.some(e=>e.record.id==='$DRAGOS')" "a deleted record is no longer related"
req GET /api/due; expect 200 "b.items.length===1 && b.items[0].id==='$TASK'" "GET /api/due lists open overdue tasks"
req POST /api/records '{"type":"interaction","fields":{"kind":"call","summary":"Talked <b>pricing</b> & terms"}}'
page=$(curl -s "$U/")
grep -q 'Send the proposal' <<<"$page" || fail "GET / does not show the due task"
grep -q 'Talked &lt;b&gt;pricing&lt;/b&gt; &amp; terms' <<<"$page" || fail "GET / does not show the interaction, escaped"
! grep -q '<b>pricing' <<<"$page" || fail "GET / let user text through as HTML"
pass "GET / already shows open due tasks and recent interactions (escaped), before any script runs"
req PATCH /api/records/$TASK '{"fields":{"done":true}}'; expect 200 "b.fields.done===true" "check a task off (boolean)"
req PATCH /api/records/$TASK '{"fields":{"done":"maybe"}}'; expect 400 "" "bad boolean is 400"
req GET /api/due; expect 200 "b.items.length===0" "a done task is not due"
req POST /api/records '{"type":"interaction","fields":{"kind":"call","summary":"old call","date":"2025-01-01"}}'
req POST /api/records '{"type":"interaction","fields":{"kind":"lunch","summary":"new lunch","date":"2026-02-01T12:00:00Z"}}'
req GET "/api/recent?limit=5"; expect 200 "b.items.length===3 && b.items[0].fields.summary.startsWith('Talked') && b.items[1].fields.summary==='new lunch'" "GET /api/recent: newest first"
soon=$(date -d '+3 days' +%m-%d); today=$(date +%m-%d); later=$(date -d '+60 days' +%m-%d)
req POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"Soon\",\"birthday\":\"1990-$soon\"}}"
req POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"Today\",\"birthday\":\"1985-$today\"}}"
req POST /api/records "{\"type\":\"contact\",\"fields\":{\"name\":\"Later\",\"birthday\":\"1970-$later\"}}"
req GET "/api/birthdays?days=30"
expect 200 "b.items.map(r=>r.fields.name).join()==='Today,Soon' && b.items[0].in_days===0 && b.items[1].in_days===3" "GET /api/birthdays: soonest first, within the horizon"
req GET "/api/birthdays?days=400"; expect 400 "" "birthdays horizon over a year is 400"
req DELETE /api/records/$TASK; expect 204 "" "DELETE is 204"
[ -z "$BODY" ] || fail "204 with a body"
req GET /api/records/$TASK; expect 404 "" "a deleted record is 404"
req GET "/api/records/$TASK?deleted=1"; expect 200 "b.id==='$TASK' && b.deleted===true" "?deleted=1 shows a deleted record (the page says what happened to it)"
req DELETE /api/records/$TASK; expect 404 "" "deleting twice is 404"
req PATCH /api/records/$TASK '{"fields":{"title":"Send the proposal"}}'; expect 200 "b.deleted===false" "PATCH restores a deleted record (undo)"
req PUT /api/records/$TASK '{}'; expect 405 "" "PUT is 405"
req GET /api/nothing; expect 404 "b.error.code==='not_found'" "unknown API path is 404"

# ----- conflicts
"$MAKE_CONFLICT" "$WORK/a" "$DRAGOS" title "Buyer" "Head of purchasing" || fail "make_conflict failed"
req GET /api/records/$DRAGOS
expect 200 "b.conflicts.length===1 && b.conflicts[0].field==='title' && ['Buyer','Head of purchasing'].includes(b.conflicts[0].value) && b.conflicts[0].winner.value!==b.conflicts[0].value && !!b.conflicts[0].device && !!b.conflicts[0].at" "a conflict shows in the record"
req GET /api/conflicts; expect 200 "b.items.length===1 && b.items[0].id==='$DRAGOS'" "GET /api/conflicts"
req GET /api/status; expect 200 "b.conflicts===1" "status counts conflicts"
expect 200 "b.addresses.join()==='127.0.0.1:$LPORT'" "status names where peers reach this device (serve's listener)"

# ----- pairing from the page: an invitation, read before it is redeemed
req POST /api/invitations '{}'
expect 201 "b.invitation.startsWith('clientele://') && b.invitation.endsWith('@127.0.0.1:$LPORT') && b.addresses.join()==='127.0.0.1:$LPORT' && Date.parse(b.expires) > Date.now() + 9*60000" \
  "POST /api/invitations: a 10-minute invitation naming the listener"
INV=$(js b.invitation)
req POST /api/invitations '{"ttl":30}'; expect 400 "b.error.code==='invalid'" "a ttl under a minute is refused"
req POST /api/invitations '{"ttl":600,"x":1}'; expect 400 "" "an unknown key is refused"
NOTOKEN=1 req POST /api/invitations '{}'; expect 403 "" "no invitation without the page's token"
req POST /api/join "{\"invitation\":\"$INV\"}"; expect 400 "/this very device/.test(b.error.message)" "its own invitation is refused"
req POST /api/join '{"invitation":"clientele://nope"}'; expect 400 "/invitation/.test(b.error.message)" "a broken invitation is named"
req POST /api/join '{"invitation":7}'; expect 400 "" "an invitation must be a string"
OTHER=$(NAME=x cl b init --name other >/dev/null; cl b peer invite --addr 127.0.0.1:1 2>/dev/null)
req POST /api/join "{\"invitation\":\"$OTHER\"}"
expect 200 "b.device_id==='$(cl b id | head -1)' && b.addresses.join()==='127.0.0.1:1' && b.paired===false" "reading an invitation names the device and its addresses, pairs nothing"
req POST /api/join "{\"invitation\":\"$OTHER\",\"pair\":true}"
expect 502 "/could not pair/.test(b.error.message)" "an invitation whose device cannot be reached: 502 with the reason"
req GET /api/peers; expect 200 "b.items.length===0" "…and nothing paired"
req PATCH /api/records/$DRAGOS '{"fields":{"title":"Head of purchasing"}}'; expect 200 "b.conflicts.length===0 && b.fields.title==='Head of purchasing'" "resolving = PATCH the kept value"
# a field of several items merges instead: both phones typed on two devices are kept
"$MAKE_CONFLICT" "$WORK/a" "$DRAGOS" phone "+40 1" "+40 2" || fail "make_conflict (phone) failed"
req GET /api/records/$DRAGOS
expect 200 "b.conflicts.length===0 && b.fields.phones.map(p=>p.value).sort().join()==='+40 1,+40 2' && ['+40 1','+40 2'].includes(b.fields.phone)" "concurrent phones are both kept, not a conflict"
req GET /api/conflicts; expect 200 "b.items.length===0" "…and not listed as a conflict"
req PATCH /api/records/$DRAGOS '{"fields":{"phones":[{"value":"+40 2","label":"work","pref":true},{"value":"+40 1","label":"mobile"}]}}'
expect 200 "b.fields.phone==='+40 2' && b.fields.phones.length===2 && b.fields.phones[1].label==='mobile'" "PATCH phones sets the list"
req PATCH /api/records/$DRAGOS '{"fields":{"phones":[{"value":"not a phone"}]}}'; expect 400 "" "every item is checked"
req PATCH /api/records/$DRAGOS '{"fields":{"title":[1]}}'; expect 400 "" "a single-value field takes no list"

"$MAKE_CONFLICT" "$WORK/a" "$ACME" deleted "Acme Ltd" "" || fail "make_conflict (deleted) failed"
req GET /api/records/$ACME
expect 200 "b.conflicts.length===1 && b.conflicts[0].field==='deleted'" "delete vs restore on two devices is a conflict"
req DELETE /api/records/$ACME; expect 204 "" "resolve it: delete…"
req PATCH /api/records/$ACME '{"fields":{"name":"Acme Ltd"}}'; expect 200 "b.conflicts.length===0 && b.deleted===false" "…and restore: no conflict left"

# ----- devices
req GET /api/status
expect 200 "b.device_id===\"$(cl a id)\" && b.name==='laptop' && b.op_count>10 && Array.isArray(b.peers) && Array.isArray(b.pending) && typeof b.can_sync==='boolean'" "GET /api/status"
OTHER=$(cl b init | tail -1)
DEAD=127.0.0.1:$(free_port)  # nobody listens: a sync attempt fails fast
req POST /api/peers "{\"id\":\"$OTHER\",\"addr\":\"$DEAD\",\"name\":\"desktop\"}"
expect 201 "b.id==='$OTHER' && b.name==='desktop' && b.addr==='$DEAD' && b.last_sync===null" "POST /api/peers pairs"
req GET /api/peers; expect 200 "b.items.length===1 && b.items[0].id==='$OTHER'" "GET /api/peers"
req GET /api/status; expect 200 "b.peers.length===1 && b.peers[0].id==='$OTHER' && typeof b.peers[0].last_error==='string' && 'last_sync' in b.peers[0]" "status lists the peer with last sync and last error"
D2=$(digest)
req POST /api/peers '{"id":"NOT-A-DEVICE"}'; expect 400 "b.error.code==='invalid'" "bad device id is 400"
req POST /api/peers "{\"id\":\"$(cl a id)\"}"; expect 400 "" "pairing with itself is 400"
req POST /api/peers "{\"id\":\"$OTHER\",\"name\":5}"; expect 400 "" "name must be a string"
NOTOKEN=1 req POST /api/peers "{\"id\":\"$OTHER\"}"; expect 403 "" "pairing needs the token"
req DELETE /api/peers/$OTHER; expect 204 "" "DELETE /api/peers/ID unpairs"
req DELETE /api/peers/$OTHER; expect 404 "" "unpairing twice is 404"
req GET /api/peers; expect 200 "b.items.length===0" "no peers left"
req DELETE /api/pending/$OTHER; expect 404 "b.error.code==='not_found'" "refusing an absent request is 404"
# A real pending request: b pairs with a, but a does not know b.
cl b peer add "$(cl a id)" --addr 127.0.0.1:$LPORT >/dev/null
timeout 20 "$BIN" --data "$WORK/b" sync >/dev/null 2>&1 || true
req GET /api/status
if [ "$(js b.pending.length)" = 1 ]; then
  expect 200 "b.pending[0].id==='$OTHER' && b.pending[0].attempts>=1" "an unknown device shows as a pending request"
  req DELETE /api/pending/$OTHER; expect 204 "" "DELETE /api/pending/ID refuses a request"
  req GET /api/status; expect 200 "b.pending.length===0" "the refused request is gone"
else
  echo "note: no pending request appeared (peer sync refused b differently); skipping the refuse check"
fi
req DELETE /api/pending/garbage; expect 404 "" "pending with a bad id is 404"
req GET /api/status
if [ "$(js b.can_sync)" = true ]; then
  req POST /api/sync; expect 202 "" "POST /api/sync starts a sync"
else
  req POST /api/sync; expect 503 "b.error.code==='unavailable'" "POST /api/sync without sync is 503"
fi
NOTOKEN=1 req POST /api/sync; expect 403 "" "POST /api/sync needs the token"

# ----- introductions from a peer (docs/introductions.md)
req PATCH /api/peers/$OTHER '{"introducer":true}'; expect 404 "b.error.code==='not_found'" "introductions from a device not paired is 404"
req POST /api/peers "{\"id\":\"$OTHER\"}"; expect 201 "b.introducer===false && b.introduced_by===null" "a new peer takes no introductions"
NOTOKEN=1 req PATCH /api/peers/$OTHER '{"introducer":true}'; expect 403 "" "turning introductions on needs the token"
req PATCH /api/peers/$OTHER '{"introducer":"yes"}'; expect 400 "" "introducer must be a boolean"
req PATCH /api/peers/$OTHER '{"introducer":true,"addr":"x"}'; expect 400 "" "PATCH of a peer takes introducer alone"
req PATCH /api/peers/$OTHER '{introducer'; expect 400 "" "bad JSON is 400"
req PATCH /api/peers/garbage '{"introducer":true}'; expect 404 "" "a bad id is 404"
req PATCH /api/peers/$OTHER '{"introducer":true}'; expect 200 "b.introducer===true && b.id==='$OTHER'" "PATCH turns introductions on"
req GET /api/peers; expect 200 "b.items.find(p=>p.id==='$OTHER').introducer===true" "GET /api/peers says introducer"
req PATCH /api/peers/$OTHER '{"introducer":false}'; expect 200 "b.introducer===false" "PATCH turns them off"
req POST /api/join '{"invitation":"clientele://x","introducer":1}'; expect 400 "" "join's introducer must be a boolean"

# ----- revoking a device for the whole mesh (docs/revocation.md)
NOTOKEN=1 req POST /api/peers/$OTHER/revoke; expect 403 "" "revoking needs the token"
req GET /api/peers/$OTHER/revoke; expect 405 "" "revoke is a POST"
req POST /api/peers/garbage/revoke; expect 404 "" "revoking a bad id is 404"
req POST /api/peers/$(cl a id)/revoke; expect 400 "" "a device cannot revoke itself"
req POST /api/peers/$OTHER/revoke; expect 204 "" "POST /api/peers/ID/revoke revokes"
req POST /api/peers/$OTHER/revoke; expect 409 "b.error.code==='exists'" "revoking twice is 409 (exists, as for an app name taken)"
req POST /api/peers "{\"id\":\"$OTHER\"}"; expect 403 "/revoked/.test(b.error.message)" "a revoked device cannot be paired again"

# ----- app passwords of the DAV server (the Devices page's "Address book & calendar apps")
# davst USER PASSWORD → the status of a PROPFIND of /dav/ with that app password (no page cookie)
davst() { command curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PROPFIND -H 'Depth: 0' -u "$1:$2" "$U/dav/"; }
req GET /api/dav-clients; expect 200 "Array.isArray(b.clients) && b.clients.length===0 && b.network===null" "GET /api/dav-clients: none at first (and no network address without --dav-listen)"
req POST /api/dav-clients '{"name":"phone"}'
expect 201 "b.name==='phone' && /^[a-z2-7]{32}\$/.test(b.password) && Object.keys(b).length===2" "POST /api/dav-clients: 201 with the name and a new password"
APW=$(js b.password)
[ "$(davst phone "$APW")" = 207 ] || fail "the new app password does not open /dav/"
[ "$(davst phone "$(wrong "$APW")")" = 401 ] || fail "a wrong app password opens /dav/"
pass "the password opens /dav/ (PROPFIND 207), a wrong one gets 401"
req GET /api/dav-clients
expect 200 "b.clients.length===1 && b.clients[0].name==='phone' && Math.abs(Date.parse(b.clients[0].added)-Date.now())<600000 && !('password' in b.clients[0])" \
  "GET /api/dav-clients lists it with the time it was added, no password"
req POST /api/dav-clients '{"name":"phone"}'; expect 409 "b.error.code==='exists' && /phone/.test(b.error.message)" "a name taken already is 409"
[ "$(davst phone "$APW")" = 207 ] || fail "a refused duplicate changed the first password"
cli_msg=$("$BIN" --data "$WORK/a" dav add 'bad:name' 2>&1 >/dev/null | sed 's/^clientele: //') || true
req POST /api/dav-clients '{"name":"bad:name"}'; expect 400 "b.error.code==='invalid' && b.error.message===$(node -e 'process.stdout.write(JSON.stringify(process.argv[1]))' "$cli_msg")" \
  "a name that cannot be a user name is 400 with the message the CLI gives"
req POST /api/dav-clients '{"name":""}'; expect 400 "" "an empty name is 400"
req POST /api/dav-clients "{\"name\":\"$(head -c 65 /dev/zero | tr '\0' a)\"}"; expect 400 "" "a name over 64 bytes is 400"
req POST /api/dav-clients '{"name":7}'; expect 400 "b.error.code==='invalid'" "a name that is not a string is 400"
req POST /api/dav-clients '{"name":"x","extra":1}'; expect 400 "" "an unknown key is 400"
req POST /api/dav-clients '{"name":'; expect 400 "" "bad JSON is 400"
NOTOKEN=1 req POST /api/dav-clients '{"name":"tablet"}'; expect 403 "b.error.code==='denied'" "adding an app needs the page's token"
NOTOKEN=1 req DELETE /api/dav-clients/phone; expect 403 "" "removing an app needs the page's token"
[ "$(command curl -s -o /dev/null -w '%{http_code}' "$U/api/dav-clients")" = 401 ] || fail "the app list answers without a login"
[ "$(command curl -s -o /dev/null -w '%{http_code}' -u "phone:$APW" "$U/api/dav-clients")" = 401 ] || fail "an app password opens the API"
req GET /api/dav-clients; expect 200 "b.clients.length===1" "nothing refused was stored"
req PUT /api/dav-clients '{}'; expect 405 "" "PUT /api/dav-clients is 405"
req GET /api/dav-clients/phone; expect 405 "" "GET /api/dav-clients/NAME is 405"
# a name with a space and non-ASCII letters, removed through its URL-encoded path
req POST /api/dav-clients '{"name":"Ana’s iPhone"}'; expect 201 "b.name==='Ana’s iPhone'" "a name with a space and a curly quote"
BPW=$(js b.password)
[ "$(davst "Ana’s iPhone" "$BPW")" = 207 ] || fail "the app 'Ana’s iPhone' cannot log in"
req DELETE "/api/dav-clients/Ana%E2%80%99s%20iPhone"; expect 204 "" "DELETE /api/dav-clients/NAME (URL-encoded) is 204"
req DELETE /api/dav-clients/phone; expect 204 "" "DELETE /api/dav-clients/phone is 204"
[ -z "$BODY" ] || fail "204 with a body"
[ "$(davst phone "$APW")" = 401 ] || fail "a removed app's password still opens /dav/"
pass "the removed app's password gets 401 at /dav/"
req DELETE /api/dav-clients/phone; expect 404 "b.error.code==='not_found'" "removing it again is 404"
req DELETE /api/dav-clients/bad:name; expect 404 "" "removing a name no app can have is 404"
req GET /api/dav-clients; expect 200 "b.clients.length===0" "the list is empty again"
cl a dav list | grep -q "^no DAV client" || fail "dav list disagrees with the API: $(cl a dav list)"
pass "dav list agrees: no client left"

# ----- merging a duplicate contact keeps the interactions of both
req POST /api/records '{"type":"contact","fields":{"name":"Ana Pop","email":"ana@pop.ro"}}'; K=$(js b.id)
req POST /api/records '{"type":"contact","fields":{"name":"Ana Pop (phone)","phone":"+40 700 111 222"}}'; O=$(js b.id)
req POST /api/records "{\"type\":\"interaction\",\"fields\":{\"kind\":\"call\",\"summary\":\"merge me\",\"contact\":\"$O\"}}"; IM=$(js b.id)
BEFORE=$(digest)
req POST /api/merge "{\"keep\":\"$K\"}"; expect 400 "" "merge needs both ids"
req POST /api/merge "{\"keep\":\"$K\",\"other\":\"$K\"}"; expect 400 "" "merging a record with itself is 400"
req POST /api/merge "{\"keep\":\"$K\",\"other\":\"$ACME\"}"; expect 400 "" "merging two types is 400"
req POST /api/merge '{"keep":"x","other":"y"}'; expect 400 "" "merge with malformed ids is 400"
NOTOKEN=1 req POST /api/merge "{\"keep\":\"$K\",\"other\":\"$O\"}"; expect 403 "" "merge needs the token"
[ "$(digest)" = "$BEFORE" ] || fail "a refused merge changed data"
req GET /api/merge; expect 405 "" "GET /api/merge is 405"
req POST /api/merge "{\"keep\":\"$K\",\"other\":\"$O\"}"; expect 200 "b.id==='$K' && b.fields.phone==='+40 700 111 222'" "POST /api/merge fills the kept record"
req GET /api/records/$O; expect 404 "" "the merged duplicate is gone"
req GET /api/records/$IM; expect 200 "b.fields.contact==='$K'" "the duplicate's interaction now names the kept contact"

# ----- websocket: a change by another process is pushed
node - "$PORT" "$SESSION" <<'JS' || fail "websocket did not report a change"
const port = process.argv[2], session = process.argv[3];
const { spawnSync } = require('child_process');
const net = require('net');
// A minimal websocket client (node 18 has no WebSocket): enough to read text frames.
const s = net.connect(port, '127.0.0.1', () => s.write(
  `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${port}\r\n` +
  `Cookie: ${session}\r\n\r\n`));
let buf = '', wrote = false;
const timer = setTimeout(() => { console.error('timeout; got: ' + buf); process.exit(1); }, 8000);
s.on('data', (d) => {
  buf += d.toString('latin1');
  if (!wrote && buf.includes('"hello"')) {
    wrote = true;
    const r = spawnSync(process.env.CLIENTELE_BIN, ['--data', process.env.WORK + '/a', 'put', 'company', 'name=From another process']);
    if (r.status !== 0) { console.error(r.stderr.toString()); process.exit(1); }
  }
  if (buf.includes('"type":"data"')) { clearTimeout(timer); s.destroy(); process.exit(0); }
});
JS
pass "websocket pushes {\"type\":\"data\"} after another process writes"

# ----- the schema table, as the page reads it
req GET /api/schema; expect 200 "b.types.length===5 && b.types.every(t=>t.fields.length && t.fields.some(f=>f.name===t.label))" "GET /api/schema: five types, each with its label field"
req GET /api/schema; expect 200 "b.types.find(t=>t.name==='contact').fields.some(f=>f.name==='city' && f.kind==='text')" "the schema has the contact's city"
req GET /api/schema; expect 200 "b.types.find(t=>t.name==='contact').fields.find(f=>f.name==='company').ref==='company'" "a reference names its type"
req GET /api/schema; expect 200 "b.types.find(t=>t.name==='deal').fields.find(f=>f.name==='stage').choices.join()==='lead,proposal,negotiation,won,lost'" "an enum lists its choices"
req POST /api/schema '{}'; expect 405 "" "POST /api/schema refused"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  -H 'Sec-WebSocket-Version: 13' -H "Origin: http://evil.test" --max-time 3 "$U/api/events" || true)
[ "$code" != 101 ] || fail "websocket from a foreign origin accepted"
pass "websocket from a foreign origin refused"
code=$(command curl -s -o /dev/null -w '%{http_code}' -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
  -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' -H "Origin: $U" --max-time 3 \
  "$U/api/events" || true)
[ "$code" != 101 ] || fail "websocket without a login accepted"
pass "websocket without a login refused"

# ----- concurrent requests (civetweb worker threads, each with its own txn)
req GET "/api/records?type=company&limit=1000"; before=$(js b.items.length)
jobs_=()
for i in $(seq 1 20); do
  curl -s -o /dev/null --max-time 20 -X POST -H "X-Clientele-Token: $TOKEN" --data-binary "{\"type\":\"company\",\"fields\":{\"name\":\"Parallel $i\"}}" "$U/api/records" & jobs_+=($!)
  curl -s -o /dev/null --max-time 20 "$U/api/records?type=company&q=parallel" & jobs_+=($!)
done
wait "${jobs_[@]}"
req GET "/api/records?type=company&limit=1000"; expect 200 "b.items.length===$before+20" "20 parallel creates next to 20 parallel reads"

# ----- stops cleanly with pages still listening, keeps its token
node -e '
const net = require("net"), port = process.argv[1];
for (let i = 0; i < 3; i++) {
  const s = net.connect(port, "127.0.0.1", () => s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`));
  s.on("error", () => {});
}
setTimeout(() => process.exit(0), 15000);' "$PORT" &
WSPID=$!
PIDS+=($WSPID)
sleep 0.5
kill -TERM "${PIDS[0]}"
for _ in $(seq 1 50); do kill -0 "${PIDS[0]}" 2>/dev/null || break; sleep 0.1; done
! kill -0 "${PIDS[0]}" 2>/dev/null || fail "serve did not stop on SIGTERM"
rc=0; wait "${PIDS[0]}" || rc=$?
[ $rc = 0 ] || fail "serve exited $rc: $(cat "$WORK/serve.log")"
kill "$WSPID" 2>/dev/null || true
PIDS=()
"$BIN" --data "$WORK/a" "${SERVE[@]}" >"$WORK/serve2.log" 2>&1 &
PIDS+=($!)
wait_port "$PORT"
grep -q "$TOKEN" <(curl -s "$U/") || fail "token changed after a restart"
pass "serve stops on SIGTERM; the token survives a restart"
expect_exit 1 cl a serve --ui 127.0.0.1:$PORT --listen 127.0.0.1:$(free_port) --no-discovery
expect_exit 1 cl a serve --ui nonsense --listen 127.0.0.1:$(free_port) --no-discovery
expect_exit 2 cl a serve --sync-interval 0
pass "serve reports a busy port and a bad address"
echo "all API tests passed"
