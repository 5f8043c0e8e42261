#!/usr/bin/env bash
# Contacts exported by other programs (one fixture per layout, written from
# each product's documented columns, invented people): every layout imports
# with names, emails, phones, companies and notes in the right fields, the
# mapping used is printed, and a second import of the same file changes
# nothing. Then the character sets Excel and Outlook write.
source "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/import/csv" && pwd)
CHECK="$(dirname "$0")/check_layout.py"

for layout in google google-legacy outlook linkedin thunderbird hubspot salesforce pipedrive; do
  d=$layout
  cl "$d" import "$DATA/$layout.csv" >"$WORK/$d.out" 2>"$WORK/$d.err" || fail "$layout: $(cat "$WORK/$d.err")"
  grep -q "imported 2 contact records: 2 new" "$WORK/$d.out" || fail "$layout: $(cat "$WORK/$d.out")"
  grep -q "name ← .*'" "$WORK/$d.err" || fail "$layout: the mapping is not printed: $(cat "$WORK/$d.err")"
  grep -q "emails ← " "$WORK/$d.err" || fail "$layout: no emails in the mapping"
  cl "$d" list contact --json >"$WORK/$d.contacts.json"
  cl "$d" list company --json >"$WORK/$d.companies.json"
  python3 "$CHECK" "$layout" "$WORK/$d.contacts.json" "$WORK/$d.companies.json" || fail "$layout: fields"
  before=$(cl "$d" digest)
  cl "$d" import "$DATA/$layout.csv" >"$WORK/$d.again" 2>/dev/null
  grep -q "0 new, 0 updated, 2 unchanged" "$WORK/$d.again" || fail "$layout: again: $(cat "$WORK/$d.again")"
  [ "$(cl "$d" digest)" = "$before" ] || fail "$layout: a second import changed the book"
  [ "$(cl "$d" list company | wc -l)" -eq 2 ] || fail "$layout: companies doubled"
done
grep -q "the 3 lines before the header skipped" "$WORK/linkedin.err" || fail "LinkedIn's preamble not named"
# a family name of several words is kept as the columns give it (the name alone would say "Cruz")
printf 'First Name,Middle Name,Last Name,E-mail Address\r\nMaría,José,de la Cruz,mj@cruz.example\r\n' >"$WORK/parts.csv"
cl parts import "$WORK/parts.csv" >/dev/null 2>&1 || fail "the name parts file was refused"
cl parts list contact --json | grep -q '"name":"María José de la Cruz".*"given_name":"María José","family_name":"de la Cruz"' ||
  fail "the name parts are not kept: $(cl parts list contact --json)"
pass "8 layouts (Google, Google legacy, Outlook, LinkedIn, Thunderbird, HubSpot, Salesforce, Pipedrive): fields right, mapping printed, a second import changes nothing"

# ----- character sets: UTF-16 with a BOM (Excel's "Unicode text"), Windows-1252 and -1250
python3 - "$DATA/outlook.csv" "$WORK" <<'PY'
import sys
text = open(sys.argv[1], encoding='utf-8').read()
open(sys.argv[2] + '/utf16.csv', 'wb').write(b'\xff\xfe' + text.replace('București', 'Bucuresti').encode('utf-16-le'))
open(sys.argv[2] + '/utf16be.csv', 'wb').write(b'\xfe\xff' + text.encode('utf-16-be'))
rows = 'First Name,Last Name,E-mail Address\r\nFrançois,Lefèvre,francois@example.com\r\nZoë,Müller,zoe@example.com\r\n'
open(sys.argv[2] + '/cp1252.csv', 'wb').write(rows.encode('cp1252'))
rows = 'First Name,Last Name,E-mail Address\r\nŁukasz,Wąsowski,lukasz@example.com\r\nŞtefan,Ţăranu,stefan@example.com\r\n'
open(sys.argv[2] + '/cp1250.csv', 'wb').write(rows.encode('cp1250'))
PY
cl u16 import "$WORK/utf16.csv" >/dev/null 2>"$WORK/u16.err" || fail "UTF-16 LE refused: $(cat "$WORK/u16.err")"
cl u16 list contact | grep -q "Ana-Maria Popescu" || fail "UTF-16 LE: names wrong"
cl u16be import "$WORK/utf16be.csv" >/dev/null 2>&1 || fail "UTF-16 BE refused"
cl u16be list contact --json | grep -q '"city": *"București"' || fail "UTF-16 BE: letters wrong"
cl w52 import "$WORK/cp1252.csv" >/dev/null 2>"$WORK/w52.err" || fail "Windows-1252 refused: $(cat "$WORK/w52.err")"
grep -q "not UTF-8: read as WINDOWS-1252" "$WORK/w52.err" || fail "no notice of the assumed encoding: $(cat "$WORK/w52.err")"
cl w52 list contact | grep -q "François Lefèvre" || fail "Windows-1252: letters wrong: $(cl w52 list contact)"
cl w50 import "$WORK/cp1250.csv" >/dev/null 2>"$WORK/w50.err" || fail "Windows-1250 refused"
grep -q "read as WINDOWS-1250" "$WORK/w50.err" || fail "Windows-1250 not recognised: $(cat "$WORK/w50.err")"
cl w50 list contact | grep -q "Łukasz Wąsowski" || fail "Windows-1250: letters wrong: $(cl w50 list contact)"
cl forced import --encoding windows-1250 "$WORK/cp1252.csv" >/dev/null 2>&1 || fail "--encoding refused"
cl forced list contact | grep -q "Lefčvre" || fail "--encoding was not obeyed: $(cl forced list contact)"
expect_exit 2 cl x import --encoding windows-1250 "$DATA/../google.vcf"
pass "UTF-16 LE/BE with a BOM, Windows-1252 and 1250 guessed with a notice, --encoding obeyed"

# ----- --map, dates, mangled numbers, extensions, a nameless row
printf 'Full Name,Handy,Mail,Geburtstag,Firma\nAna Pop,4.91511E+11,ana@x.example,14.03.1970,Acme\nJo Roe,+49 151 1234 ext. 23,,12/03/1988,\n,,nobody@x.example,,\n' >"$WORK/own.csv"
cl own import --map 'Handy=phone:mobile;Mail=email;Geburtstag=birthday;Firma=company' "$WORK/own.csv" \
  >/dev/null 2>"$WORK/own.err" || fail "--map: $(cat "$WORK/own.err")"
grep -q "turned into a number by a spreadsheet" "$WORK/own.err" || fail "the mangled phone is not named"
grep -q "read day first" "$WORK/own.err" || fail "the guessed date order is not said"
grep -q "named 'nobody@x.example' after its email" "$WORK/own.err" || fail "the nameless row: $(cat "$WORK/own.err")"
cl own list contact --json >"$WORK/own.json"
python3 - "$WORK/own.json" <<'PY' || fail "--map fields wrong"
import json, sys
p = {r['fields']['name']: r['fields'] for r in json.load(open(sys.argv[1]))['items']}
assert p['Ana Pop']['birthday'] == '1970-03-14', p['Ana Pop']
assert '4.91511E+11' in p['Ana Pop']['notes'], p['Ana Pop']
assert p['Ana Pop']['email'] == 'ana@x.example'
assert p['Jo Roe']['birthday'] == '1988-03-12', p['Jo Roe']
assert p['Jo Roe']['phone'] == '+49 151 1234 x23', p['Jo Roe']
assert p['Jo Roe']['phones'][0]['label'] == 'mobile', p['Jo Roe']
assert 'nobody@x.example' in p
PY
cl own2 import --date-order mdy --map 'Handy=phone;Mail=email;Geburtstag=birthday' "$WORK/own.csv" >/dev/null 2>&1
cl own2 list contact --json | grep -q '"birthday": *"1988-12-03"' || fail "--date-order mdy not obeyed"
expect_exit 1 cl own3 import --map 'Nope=email' "$WORK/own.csv"
grep -q "the file has no column 'Nope'" <<<"$ERR" || fail "--map with a missing column: $ERR"
expect_exit 1 cl own3 import --map 'Mail=shoe size' "$WORK/own.csv"
grep -q "not a field a column can fill" <<<"$ERR" || fail "--map with an unknown field: $ERR"
pass "--map, --date-order, 14.03.1970 and 12/03/1988, a phone Excel mangled named, ext. kept, a nameless row named"

# ----- --dry-run and --skip-bad: every bad row named, the good ones imported, the bad ones to fix
# (in another program's layout a value no field takes goes to notes instead:
# clientele's own columns are where a row can be refused)
cat >"$WORK/rows.csv" <<'CSV'
name,email,birthday,phone
Ana Pop,ana@x.example,1970-03-14,+40 753 624 162
Bad Date,bad@x.example,1970-13-45,
Ion Ionescu,ion@x.example,,+40 721 000 111
Welcome Card,not an email,,
CSV
cl rows init >/dev/null
before=$(cl rows digest)
expect_exit 1 cl rows import --dry-run "$WORK/rows.csv"
grep -q "line 3.*birthday" <<<"$ERR" || fail "dry run: the bad date is not named: $ERR"
grep -q "line 5.*email" <<<"$ERR" || fail "dry run: the bad email is not named: $ERR"
grep -q "would import 2 contact records: 2 new" <<<"$OUT" || fail "dry run: $OUT"
grep -q "2 rows would be refused" <<<"$OUT" || fail "dry run: $OUT"
[ "$(cl rows digest)" = "$before" ] || fail "a dry run stored something"
[ "$(cl rows list contact | wc -l)" -eq 0 ] || fail "a dry run created contacts"
expect_exit 1 cl rows import "$WORK/rows.csv"   # without the flags: all or nothing, as before
[ "$(cl rows list contact | wc -l)" -eq 0 ] || fail "a refused import stored rows"
cl rows import --skip-bad "$WORK/rows.csv" >"$WORK/skip.out" 2>"$WORK/skip.err" || fail "skip-bad: $(cat "$WORK/skip.err")"
grep -q "2 rows refused, written to $WORK/rows.refused.csv" "$WORK/skip.out" || fail "skip-bad: $(cat "$WORK/skip.out")"
[ "$(cl rows list contact | wc -l)" -eq 2 ] || fail "skip-bad: the good rows are not all in"
head -1 "$WORK/rows.refused.csv" | grep -q "^name,email,birthday,phone" \
  || fail "the refused file lacks the header"
[ "$(grep -c . "$WORK/rows.refused.csv")" -eq 3 ] || fail "the refused file: $(cat "$WORK/rows.refused.csv")"
sed -i 's/1970-13-45/1970-12-05/; s/not an email/welcome@x.example/' "$WORK/rows.refused.csv"
cl rows import "$WORK/rows.refused.csv" >/dev/null 2>&1 || fail "the fixed refused rows do not import"
[ "$(cl rows list contact | wc -l)" -eq 4 ] || fail "after the fixed rows: $(cl rows list contact)"
cl again init >/dev/null
cl again import --skip-bad "$WORK/rows.csv" >"$WORK/skip2.out" 2>/dev/null
grep -q "rows.refused-2.csv" "$WORK/skip2.out" || fail "a second refused file overwrote the first: $(cat "$WORK/skip2.out")"
pass "--dry-run names every bad row and stores nothing; --skip-bad imports the rest and writes the bad ones to fix"
