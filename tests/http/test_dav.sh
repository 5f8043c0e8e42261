#!/usr/bin/env bash
# The DAV address book of `clientele serve` (docs/dav.md), tried as an
# address book and a phone would: app passwords, discovery, vdirsyncer (the
# Debian package) syncing two-way with a folder of .vcf files, sync-collection
# tokens, ETags that refuse a stale write, bad requests that store nothing,
# and a DAV edit merging per field with a paired device's edit.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/dav_lib.sh"
DAV_USER=phone

command -v vdirsyncer >/dev/null || { echo "SKIP: vdirsyncer is not installed (tools/deps.sh test)"; exit 77; }

cl a init --name laptop >/dev/null
cl b init --name office >/dev/null
start_serve a
U="http://127.0.0.1:$UI_a"
D="$U/dav"
digest() { cl a digest; }

etag_of() { grep -i '^etag:' "$WORK/.hdr" | tr -d '\r' | sed 's/^[Ee][Tt][Aa][Gg]: *//'; }

C=$(cl a put company name="Acme SA" industry=Software)
P=$(cl a put contact name="Ana Pop" company="$C" email=ana@acme.ro phone="+40 721 000 001" title=Buyer)
Q=$(cl a put contact name="Radu Ionescu" email=radu@example.com)

# ----- app passwords
expect_exit 2 cl a dav add
expect_exit 1 cl a dav add "bad:name"
OUT=$(cl a dav add phone)
PW=$(sed -n 's/^  password: *//p' <<<"$OUT")
[ ${#PW} = 32 ] || fail "dav add printed no password: $OUT"
expect_exit 1 cl a dav add phone
grep -q "already" <<<"$ERR" || fail "a second 'dav add phone' says: $ERR"
cl a dav list | grep -q "^phone" || fail "dav list does not name phone"
grep -rqa "$PW" "$WORK/a" && fail "the folder holds the app password in clear"
pass "dav add prints a password once (the folder keeps its hash); dav list names the client; names are checked"

# ----- who may ask
before=$(digest)
st=$(command curl -s -o /dev/null -w '%{http_code}' -X PROPFIND "$D/")
[ "$st" = 401 ] || fail "PROPFIND without a password: $st"
command curl -s -D - -o /dev/null -X PROPFIND "$D/" | grep -qi '^WWW-Authenticate: Basic' || fail "no Basic challenge"
st=$(command curl -s -o /dev/null -w '%{http_code}' -u "phone:wrong$PW" "$D/contacts/")
[ "$st" = 401 ] || fail "a wrong password: $st"
st=$(command curl -s -o /dev/null -w '%{http_code}' -u "tablet:$PW" "$D/contacts/")
[ "$st" = 401 ] || fail "another name with the password: $st"
st=$(command curl -s -o /dev/null -w '%{http_code}' -u "phone:$PW" -H "Host: evil.example:$UI_a" "$D/contacts/")
[ "$st" = 403 ] || fail "a foreign Host: $st"
st=$(command curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary $'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:X\r\nEND:VCARD\r\n' \
  "$D/contacts/x.vcf")
[ "$st" = 401 ] || fail "a PUT without a password: $st"
[ "$(digest)" = "$before" ] || fail "a refused request stored something"
dav OPTIONS /contacts/
grep -qi '^DAV: 1, 3, addressbook' "$WORK/.hdr" || fail "OPTIONS does not say DAV: $(cat "$WORK/.hdr")"
pass "no password, a wrong one, another name, a foreign Host: 401/403, nothing stored; OPTIONS says DAV"

# ----- discovery as clients do it
st=$(command curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X PROPFIND "$U/.well-known/carddav")
[ "$st" = "301 $U/dav/" ] || fail "/.well-known/carddav: $st"
dav PROPFIND / -H 'Depth: 0' --data-binary '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>'
expect 207 '<d:current-user-principal><d:href>/dav/</d:href>' "the principal is /dav/"
dav PROPFIND / -H 'Depth: 0' --data-binary '<x:propfind xmlns:x="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><x:prop><c:addressbook-home-set/><x:quota-used-bytes/></x:prop></x:propfind>'
expect 207 '<card:addressbook-home-set><d:href>/dav/</d:href>' "its address book home is /dav/"
grep -q '<d:quota-used-bytes/></d:prop><d:status>HTTP/1.1 404' <<<"$BODY" || fail "an unknown property is not 404: $BODY"
dav PROPFIND / -H 'Depth: 1' --data-binary '<propfind xmlns="DAV:"><prop><resourcetype/><displayname/></prop></propfind>'
expect 207 '<d:href>/dav/contacts/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/><card:addressbook/>' \
  "the home lists the address book"
pass "discovery: /.well-known/carddav, current-user-principal, addressbook-home-set, the book"

# ----- vdirsyncer, two-way with a folder of cards
vdir_conf carddav "$D/contacts/" .vcf
vsync discover
vsync sync
n=$(ls "$WORK/vdir" | wc -l)
[ "$n" = 3 ] || fail "vdirsyncer fetched $n cards, expected 3: $(ls "$WORK/vdir"; cat "$WORK/vdir.out")"
grep -l "FN:Ana Pop" "$WORK/vdir"/*.vcf >/dev/null || fail "Ana's card is not in the folder"
grep -q "ORG:Acme SA" "$(grep -l 'FN:Ana Pop' "$WORK/vdir"/*.vcf)" || fail "Ana's card does not name her company"
pass "vdirsyncer's first sync brings the book's 3 cards (contacts and the company) into the folder"

vsync sync
grep -Eqi "copying|updating|deleting" "$WORK/vdir.out" && fail "a second sync with nothing changed transferred: $(cat "$WORK/vdir.out")"
pass "a second sync with nothing changed transfers nothing"

# the folder's side: an edit, a new card, a deletion
ana=$(grep -l "FN:Ana Pop" "$WORK/vdir"/*.vcf); radu=$(grep -l "FN:Radu Ionescu" "$WORK/vdir"/*.vcf)
sed -i 's/^TITLE:Buyer/TITLE:Head of purchasing/' "$ana"
printf 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-made-42\r\nFN:Ioana Dinu\r\nN:Dinu;Ioana;;;\r\nTEL;TYPE=CELL:+40 744 123 456\r\nTEL;TYPE=WORK:+40 21 300 4000\r\nEMAIL:ioana@dinu.ro\r\nORG:Acme SA\r\nEND:VCARD\r\n' \
  >"$WORK/vdir/phone-made-42.vcf"
rm "$radu"
vsync sync
[ "$(cl a get "$P" --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0)).fields.title)')" = "Head of purchasing" ] ||
  fail "the folder's edit did not reach clientele: $(cl a get "$P")"
cl a get "$Q" >/dev/null 2>&1 && fail "the card deleted in the folder is still in clientele"
IO=$(cl a list contact --json | node -e 'const b=JSON.parse(require("fs").readFileSync(0)); const r=b.items.find(r=>r.fields.name==="Ioana Dinu"); process.stdout.write(r?r.id:"")')
[ -n "$IO" ] || fail "the card made in the folder is not in clientele"
cl a get "$IO" --json | grep -q '"company":"'"$C"'"' || fail "Ioana's ORG did not become Acme's id: $(cl a get "$IO" --json)"
cl a get "$IO" --json | grep -q '744 123 456' && cl a get "$IO" --json | grep -q '21 300 4000' || fail "Ioana's two phones: $(cl a get "$IO" --json)"
[ "$(cl a list company --json | grep -o '"name":"Acme SA"' | wc -l)" = 1 ] || fail "ORG made a second Acme"
dav GET /contacts/phone-made-42.vcf
expect 200 'UID:phone-made-42' "the card made by the client keeps its name and its UID"
# the client reads back what the book made of the two cards it wrote (no
# ETag came with the PUTs: RFC 6352 §6.3.2.3), and then is quiet
vsync sync
[ "$(grep -ci "to book_dav\|deleting" "$WORK/vdir.out")" = 0 ] || fail "the sync after the client's writes wrote again: $(cat "$WORK/vdir.out")"
[ "$(grep -ci "copying" "$WORK/vdir.out")" -le 2 ] || fail "the sync after the client's writes fetched more than its two cards: $(cat "$WORK/vdir.out")"
grep -q "^VERSION:4.0" "$WORK/vdir/phone-made-42.vcf" || fail "the client did not get the book's card back"
vsync sync
grep -Eqi "copying|updating|deleting" "$WORK/vdir.out" && fail "a sync with nothing changed transferred: $(cat "$WORK/vdir.out")"
pass "the folder's edit, new card (two phones, its ORG found) and deletion reach clientele; the client gets the book's cards back once, then syncs quietly"

# clientele's side
cl a put contact "$P" phone="+40 721 999 999" >/dev/null
R=$(cl a put contact name="Mihai Stan" email=mihai@stan.ro)
cl a rm "$IO" >/dev/null
vsync sync
grep -q "721 999 999" "$ana" || fail "clientele's edit did not reach the folder: $(cat "$ana")"
grep -l "FN:Mihai Stan" "$WORK/vdir"/*.vcf >/dev/null || fail "clientele's new contact is not in the folder"
[ -e "$WORK/vdir/phone-made-42.vcf" ] && fail "the card deleted in clientele is still in the folder"
pass "clientele's edit, new contact and deletion reach the folder"

# ----- sync-collection (RFC 6578): the changes since a token, not the book
dav REPORT /contacts/ --data-binary '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>'
expect 207 '<d:sync-token>http://clientele.invalid/sync/[0-9]+</d:sync-token>' "an initial sync-collection lists the book with a token"
[ "$(grep -o '<d:response>' <<<"$BODY" | wc -l)" = 3 ] || fail "the initial sync-collection lists $(grep -o '<d:response>' <<<"$BODY" | wc -l) cards, not 3"
TOKEN=$(sed -n 's/.*<d:sync-token>\([^<]*\)<.*/\1/p' <<<"$BODY")
sync_since() { dav REPORT /contacts/ --data-binary "<d:sync-collection xmlns:d=\"DAV:\"><d:sync-token>$1</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"; }
sync_since "$TOKEN"
expect 207 '<d:sync-token>' "nothing changed: no card"
grep -q '<d:response>' <<<"$BODY" && fail "a sync-collection with nothing changed lists: $BODY"
cl a put contact "$R" title=Engineer >/dev/null
cl a rm "$Q" >/dev/null 2>&1 || true
cl a put company "$C" name="Acme Group" >/dev/null
sync_since "$TOKEN"
[ "$STATUS" = 207 ] || fail "sync-collection after changes: $STATUS"
grep -q "$R.vcf" <<<"$BODY" || fail "the edited contact is not among the changes: $BODY"
grep -q "$C.vcf" <<<"$BODY" || fail "the renamed company is not among the changes: $BODY"
grep -q "$P.vcf</d:href><d:propstat>" <<<"$BODY" || fail "the renamed company's contact (whose card names it) is not among the changes: $BODY"
[ "$(grep -o '<d:response>' <<<"$BODY" | wc -l)" = 3 ] || fail "the changes list more than what changed: $BODY"
cl a rm "$R" >/dev/null
sync_since "$TOKEN"
grep -q "$R.vcf</d:href><d:status>HTTP/1.1 404" <<<"$BODY" || fail "a deleted card is not told as 404: $BODY"
sync_since "http://clientele.invalid/sync/999999"
expect 403 'valid-sync-token' "a token this book never gave is refused (the client starts over)"
pass "sync-collection: the cards changed since the token (a renamed company's people too), deletions as 404"

# ----- ETags: a stale write is refused and stores nothing
dav GET "/contacts/$P.vcf"
E1=$(etag_of); CARD=$BODY
[[ "$E1" =~ ^\"[0-9a-f]{32}\"$ ]] || fail "no strong ETag on GET: '$E1'"
cl a put contact "$P" title="Director" >/dev/null
before=$(digest)
dav PUT "/contacts/$P.vcf" -H "If-Match: $E1" -H 'Content-Type: text/vcard' --data-binary "$CARD"
expect 412 "" "a PUT with a stale ETag is refused (412)"
[ "$(digest)" = "$before" ] || fail "the refused PUT stored something"
dav PUT "/contacts/$P.vcf" -H 'If-None-Match: *' -H 'Content-Type: text/vcard' --data-binary "$CARD"
expect 412 "" "If-None-Match: * on an existing card is refused"
dav DELETE "/contacts/$P.vcf" -H "If-Match: $E1"
expect 412 "" "a DELETE with a stale ETag is refused"
[ "$(digest)" = "$before" ] || fail "a refused write stored something"
dav GET "/contacts/$P.vcf"; E2=$(etag_of)
[ "$E2" != "$E1" ] || fail "the ETag did not change with the card"
dav PUT "/contacts/$P.vcf" -H "If-Match: $E2" -H 'Content-Type: text/vcard' --data-binary "${BODY/Director/Owner}"
expect 204 "" "a PUT with the current ETag is stored"
cl a get "$P" | grep -q "title: Owner" || fail "the PUT's title is not stored: $(cl a get "$P")"

# ----- bad requests store nothing
before=$(digest)
dav PROPFIND / -H 'Depth: 0' --data-binary '<propfind xmlns="DAV:"><prop><getetag/></pro'
expect 400 "" "malformed XML is 400"
dav PROPFIND / --data-binary '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaa">]><propfind xmlns="DAV:"><allprop/></propfind>'
expect 400 "" "a DOCTYPE (entities) is refused"
dav PUT /contacts/new.vcf --data-binary $'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Half'
expect 400 "" "a broken vCard is 400"
dav PUT /contacts/new.vcf --data-binary $'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:B\r\nEND:VCARD\r\n'
expect 400 "" "two cards in one resource are 400"
dav PUT /contacts/new.vcf --data-binary $'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bad Mail\r\nEMAIL:not-an-address\r\nEND:VCARD\r\n'
expect 400 "" "a value its field refuses is 400 (not hidden in notes)"
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' 'a' >"$WORK/big"
dav PUT /contacts/big.vcf --data-binary @"$WORK/big"
expect 413 "" "a body over the limit is 413"
dav PUT /contacts/x/../../etc.vcf --data-binary "$CARD"
[ "$STATUS" = 404 ] || [ "$STATUS" = 400 ] || fail "a path with .. : $STATUS"
dav MKCOL /contacts/sub/
[ "$STATUS" -ge 400 ] || fail "MKCOL: $STATUS"
[ "$(digest)" = "$before" ] || fail "a refused request stored something"
pass "malformed XML, a DOCTYPE, broken or double vCards, a refused value, an oversized body, odd paths: 4xx, nothing stored"

# ----- a DAV edit and a paired device's edit of another field both survive; the same field is a conflict
# b runs no serve: it is offline until it syncs by hand (a serve of its own
# would push its edit to a at once, and the two would not be concurrent)
pair a b
cl b sync "$(cl a id)" >/dev/null
dav GET "/contacts/$P.vcf"; E=$(etag_of)
cl b put contact "$P" email=ana.pop@acme.ro >/dev/null                 # the office, offline
dav PUT "/contacts/$P.vcf" -H "If-Match: $E" --data-binary "${BODY/TITLE:Owner/TITLE:Partner}"   # the phone
expect 204 "" "the phone's edit is stored"
cl b sync "$(cl a id)" >/dev/null
for d in a b; do
  cl $d get "$P" | grep -q "title: Partner" || fail "$d lost the phone's title: $(cl $d get "$P")"
  cl $d get "$P" | grep -q "email: ana.pop@acme.ro" || fail "$d lost the office's email: $(cl $d get "$P")"
done
pass "an edit through DAV and a paired device's edit of another field both survive the sync"
dav GET "/contacts/$P.vcf"; E=$(etag_of)
cl b put contact "$P" title="Office title" >/dev/null
dav PUT "/contacts/$P.vcf" -H "If-Match: $E" --data-binary "${BODY/TITLE:Partner/TITLE:Phone title}"
cl b sync "$(cl a id)" >/dev/null
ui_login a
curl -s -H "X-Clientele-Token: x" "$U/api/conflicts" | grep -q "Phone title\|Office title" ||
  fail "the same field edited on the phone and the office is not a conflict: $(curl -s "$U/api/conflicts")"
pass "the same field edited through DAV and on a paired device is a conflict the page shows"

# ----- the kept sync tokens are bounded: the last 1,000 moments (dav.h)
sync_since ""
OLD=$(sed -n 's/.*<d:sync-token>\([^<]*\)<.*/\1/p' <<<"$BODY")
for i in $(seq 1001); do
  cl a put contact "$P" title="Buyer $i" >/dev/null
  sync_since "" # a new moment answered: a token kept
done
RECENT=$(sed -n 's/.*<d:sync-token>\([^<]*\)<.*/\1/p' <<<"$BODY")
sync_since "$OLD"
expect 403 "valid-sync-token" "a token older than the last 1,000 moments is refused (the client starts over)"
sync_since "$RECENT"
expect 207 "<d:sync-token>" "the latest token is honoured"

# ----- a client shut out
cl a dav rm phone >/dev/null
dav PROPFIND /contacts/ -H 'Depth: 0'
expect 401 "" "a removed client is refused at its next request"
expect_exit 1 cl a dav rm phone
