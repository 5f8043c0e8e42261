#!/usr/bin/env bash
# import / export / merge through the real binary: vCard read back by an
# independent parser (python3-vobject), the JSON backup restoring the same
# digest (a conflict included), 50,000 CSV rows, malformed files refused whole.
source "$(dirname "$0")/lib.sh"
DATA=$(cd "$(dirname "$0")/../data/import" && pwd)

digest() { cl "$1" digest; }

# ----- vCard: samples in, 4.0 out, read by vobject -----
cl a import "$DATA/google.vcf" >/dev/null
cl a import "$DATA/apple.vcf" >/dev/null
cl a import "$DATA/outlook.vcf" >/dev/null
cl a import "$DATA/rfc6350.vcf" >/dev/null
cl a put contact name="Zoë \"Z\" O'Brien; Jr." email=zoe@example.com phone="+44 20 7946 0000" \
  notes="line one
line two, with commas; and semicolons \\ backslash" >/dev/null
cl a export --format vcard >"$WORK/out.vcf"
[ "$(grep -c '^BEGIN:VCARD' "$WORK/out.vcf")" -eq "$(cl a list contact | wc -l)" ] || fail "one card per contact"
grep -q $'^VERSION:4.0\r$' "$WORK/out.vcf" || fail "vCard 4.0 with CRLF"
cl a list contact --json >"$WORK/contacts.json"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if "$PY" -c 'import vobject' 2>/dev/null; then
  "$PY" - "$WORK/out.vcf" "$WORK/contacts.json" <<'EOF' || fail "vobject reads back other names, emails or phones"
import json, sys, vobject
cards = {}
for c in vobject.readComponents(open(sys.argv[1], encoding='utf-8').read()):
    emails = sorted(e.value for e in c.contents.get('email', []))
    tels = sorted(t.value for t in c.contents.get('tel', []))
    cards[c.uid.value] = (c.fn.value, emails, tels)
items = json.load(open(sys.argv[2]))['items']
assert len(items) == len(cards), (len(items), len(cards))
for r in items:
    f = r['fields']
    every = lambda one, many: sorted(i['value'] for i in f[many]) if many in f else [f[one]] if one in f else []
    want = (f['name'], every('email', 'emails'), every('phone', 'phones'))
    assert cards[r['id']] == want, (cards[r['id']], want)
print('vobject read %d cards' % len(cards))
EOF
  pass "exported vCard read by python3-vobject: same names, emails, phones"
else
  echo "SKIP: python3-vobject is not installed (tools/deps.sh test installs it)"
fi

# ----- several phones and emails, labelled, one preferred: through vCard and back -----
ANA=$(cl a put contact name="Ana Mureșan" \
  phones='[{"value":"+40 753 624 162","label":"mobile","pref":true},{"value":"+40 21 310 00 00","label":"work"},{"value":"+40 264 000 111","label":"home"}]' \
  emails='[{"value":"ana@acme.ro","label":"work"},{"value":"ana.m@posta.ro","label":"home","pref":true}]')
cl a export --format vcard >"$WORK/many.vcf"
if "$PY" -c 'import vobject' 2>/dev/null; then
  "$PY" - "$WORK/many.vcf" "$ANA" <<'EOF' || fail "vobject does not read the 3 phones and 2 emails with their types"
import sys, vobject
for c in vobject.readComponents(open(sys.argv[1], encoding='utf-8').read()):
    if c.uid.value != sys.argv[2]:
        continue
    tels = {t.value: [x.lower() for x in t.params.get('TYPE', [])] + t.params.get('PREF', []) for t in c.contents['tel']}
    emails = {e.value: [x.lower() for x in e.params.get('TYPE', [])] + e.params.get('PREF', []) for e in c.contents['email']}
    assert tels == {'+40 753 624 162': ['cell', '1'], '+40 21 310 00 00': ['work'], '+40 264 000 111': ['home']}, tels
    assert emails == {'ana@acme.ro': ['work'], 'ana.m@posta.ro': ['home', '1']}, emails
    break
else:
    raise SystemExit('no card for Ana')
EOF
  pass "3 phones and 2 emails exported as vCard with their types and PREF, read by python3-vobject"
fi
cl v init --name other >/dev/null
cl v import "$WORK/many.vcf" >/dev/null
cl v get "$ANA" --json >"$WORK/ana.json"
node -e '
const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).fields;
const s = (l) => JSON.stringify(l);
const want = {phones: [{value:"+40 753 624 162",label:"mobile",pref:true},{value:"+40 21 310 00 00",label:"work"},{value:"+40 264 000 111",label:"home"}],
              emails: [{value:"ana@acme.ro",label:"work"},{value:"ana.m@posta.ro",label:"home",pref:true}]};
if (s(f.phones) !== s(want.phones) || s(f.emails) !== s(want.emails) || f.phone !== "+40 753 624 162" || f.email !== "ana.m@posta.ro")
  { console.error(s(f)); process.exit(1); }' "$WORK/ana.json" || fail "the vCard round trip changed the phones or emails: $(cat "$WORK/ana.json")"
pass "a contact with 3 phones and 2 emails survives a vCard round trip into another folder"

# ----- what address books hold beside: name parts, nickname, department, anniversary, profiles -----
printf '%s\r\n' 'BEGIN:VCARD' 'VERSION:3.0' 'FN:安藤 ロイド' 'N:安藤;ロイド;;;' 'NICKNAME:Roy' \
  'ORG:Acme Inc.;Sales' 'X-ANNIVERSARY:2010-06-12' 'URL;TYPE=WORK:https://roy.example' \
  'X-SOCIALPROFILE;TYPE=linkedin:https://www.linkedin.com/in/roy' 'PHOTO;ENCODING=b;TYPE=JPEG:AAAA' 'END:VCARD' \
  'BEGIN:VCARD' 'VERSION:3.0' 'FN:Jane Smith' 'N:Smith;Jane;;;' 'END:VCARD' >"$WORK/book.vcf"
cl ab init --name ab >/dev/null
cl ab import "$WORK/book.vcf" 2>"$WORK/ab.err" >/dev/null || fail "the address book card was refused: $(cat "$WORK/ab.err")"
grep -q "photo is not kept" "$WORK/ab.err" || fail "a dropped photo is not said: $(cat "$WORK/ab.err")"
cl ab list contact --json >"$WORK/ab.json"
ab_fields='
const items = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).items;
const by = (n) => items.find((r) => r.fields.name === n)?.fields ?? {};
const roy = by("安藤 ロイド"), jane = by("Jane Smith");
const got = JSON.stringify([roy.given_name, roy.family_name, roy.nickname, roy.department, roy.anniversary,
  (roy.profiles ?? []).map((p) => [p.value, p.label ?? null]), jane.given_name ?? null, jane.family_name ?? null]);
const want = JSON.stringify(["ロイド", "安藤", "Roy", "Sales", "2010-06-12",
  [["https://roy.example", "work"], ["https://www.linkedin.com/in/roy", "linkedin"]], null, null]);
if (got !== want) { console.error(got); process.exit(1); }'
node -e "$ab_fields" "$WORK/ab.json" || fail "the card's name parts, nickname, department, anniversary or profiles are not its fields"
cl ab export --format vcard >"$WORK/ab.vcf"
if "$PY" -c 'import vobject' 2>/dev/null; then
  "$PY" - "$WORK/ab.vcf" <<'EOF' || fail "vobject does not read the name parts, nickname, department, anniversary and profiles"
import sys, vobject
cards = {c.fn.value: c for c in vobject.readComponents(open(sys.argv[1], encoding='utf-8').read())}
roy, jane = cards['安藤 ロイド'], cards['Jane Smith']
assert (roy.n.value.family, roy.n.value.given) == ('安藤', 'ロイド'), roy.n.value
assert roy.nickname.value == 'Roy' and roy.org.value == ['Acme Inc.', 'Sales'], (roy.nickname.value, roy.org.value)
assert roy.anniversary.value == '20100612', roy.anniversary.value
assert sorted(u.value for u in roy.contents['url']) == ['https://roy.example', 'https://www.linkedin.com/in/roy']
assert (jane.n.value.family, jane.n.value.given) == ('Smith', 'Jane'), jane.n.value
EOF
  pass "name parts, nickname, department, anniversary and profiles exported as vCard, read by python3-vobject"
fi
for f in vcard csv; do
  cl ab export --format $f >"$WORK/ab-out.$f"
  cl ab import "$WORK/ab-out.$f" 2>/dev/null | grep -q " 0 new, 0 updated" || fail "re-importing the $f export changed the book"
  cl ab-$f init --name ab-$f >/dev/null
  expect_exit 0 cl ab-$f import "$WORK/ab-out.$f"
  cl ab-$f list contact --json >"$WORK/ab-$f.json"
  node -e "$ab_fields" "$WORK/ab-$f.json" || fail "the $f round trip lost a name part, nickname, department, anniversary or profile"
done
pass "the address book's other fields are fields: read from vCard, kept through vCard and CSV round trips"

# ----- vCard under --dry-run and --skip-bad: every bad card named, the good ones kept -----
printf '%s\r\n' 'BEGIN:VCARD' 'VERSION:3.0' 'FN:Good One' 'EMAIL:good@one.example' 'END:VCARD' \
  'BEGIN:VCARD' 'VERSION:3.0' 'NOTE:nobody' 'END:VCARD' \
  'BEGIN:VCARD' 'VERSION:9.9' 'FN:Future Card' 'END:VCARD' \
  'BEGIN:VCARD' 'VERSION:3.0' 'FN:Good Two' 'a line without a colon' 'END:VCARD' \
  'BEGIN:VCARD' 'VERSION:3.0' 'FN:Good Three' 'END:VCARD' >"$WORK/mixed.vcf"
cl mx init --name mx >/dev/null
before=$(cl mx digest)
expect_exit 1 cl mx import "$WORK/mixed.vcf"   # without the flags: all or nothing
expect_exit 1 cl mx import --dry-run "$WORK/mixed.vcf"   # a dry run that would refuse cards exits 1
printf '%s\n' "$OUT" >"$WORK/mx.out"; printf '%s\n' "$ERR" >"$WORK/mx.err"
[ "$(cl mx digest)" = "$before" ] || fail "a vCard dry run stored something"
grep -q "nothing was stored; 3 cards would be refused" "$WORK/mx.out" || fail "dry run report: $(cat "$WORK/mx.out")"
grep -q "would import 2 cards: 2 new" "$WORK/mx.out" || fail "dry run counts: $(cat "$WORK/mx.out")"
for want in "line 6: a card without a name" "line 11: vCard version '9.9'" "line 17"; do
  grep "^clientele: refused: mixed.vcf: " "$WORK/mx.err" | grep -q "$want" || fail "the dry run does not name '$want': $(cat "$WORK/mx.err")"
done
cl mx import --skip-bad "$WORK/mixed.vcf" >"$WORK/mx.out" 2>/dev/null || fail "--skip-bad: $(cat "$WORK/mx.out")"
grep -q "3 cards refused, written to $WORK/mixed.refused.vcf" "$WORK/mx.out" || fail "skip-bad report: $(cat "$WORK/mx.out")"
[ "$(cl mx list contact | awk '{print $2, $3}' | sort | tr '\n' ,)" = "Good One,Good Three," ] || fail "the good cards: $(cl mx list contact)"
[ "$(grep -c '^BEGIN:VCARD' "$WORK/mixed.refused.vcf")" -eq 3 ] && grep -q '^FN:Good Two' "$WORK/mixed.refused.vcf" &&
  grep -q '^a line without a colon' "$WORK/mixed.refused.vcf" || fail "the refused cards are not written as they were: $(cat "$WORK/mixed.refused.vcf")"
pass "vCard --dry-run names every bad card (no name, unknown version, a broken line) and stores nothing; --skip-bad keeps the good ones and writes the bad ones to NAME.refused.vcf"

# ----- the same through CSV: every item with its label and the preferred one, the company by name -----
CO=$(cl a put company name="Transilvania Trade SRL")
cl a put contact "$ANA" company="$CO" >/dev/null
cl a export --format csv >"$WORK/many.csv"
head -1 "$WORK/many.csv" | grep -q ',company name,referred_by name,email label,email 2,email 2 label,phone label,phone 2,phone 2 label,phone 3,phone 3 label' ||
  fail "the CSV header lacks the names and items columns: $(head -1 "$WORK/many.csv")"
grep "^$ANA," "$WORK/many.csv" | grep -q ',Transilvania Trade SRL,' || fail "the company's name is not beside its id"
cl csv init --name csv >/dev/null
expect_exit 0 cl csv import "$WORK/many.csv"   # contacts alone: their companies are found by name
cl csv get "$ANA" --json >"$WORK/ana-csv.json"
cl csv get "$CO" >/dev/null || fail "the company was not created with the id the file gives it"
node -e '
const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).fields;
const s = (l) => JSON.stringify(l.slice().sort((a, b) => a.value < b.value ? -1 : 1));
const phones = [{value:"+40 753 624 162",label:"mobile",pref:true},{value:"+40 21 310 00 00",label:"work"},{value:"+40 264 000 111",label:"home"}];
const emails = [{value:"ana@acme.ro",label:"work"},{value:"ana.m@posta.ro",label:"home",pref:true}];
if (s(f.phones) !== s(phones) || s(f.emails) !== s(emails) || f.phone !== "+40 753 624 162" || f.email !== "ana.m@posta.ro" ||
    f.company !== process.argv[2])
  { console.error(JSON.stringify(f)); process.exit(1); }' "$WORK/ana-csv.json" "$CO" ||
  fail "the CSV round trip changed the phones, emails or company: $(cat "$WORK/ana-csv.json")"
before=$(digest csv)
expect_exit 0 cl csv import "$WORK/many.csv"
echo "$OUT" | grep -q " 0 new, 0 updated" || fail "a second import of the CSV: $OUT"
[ "$(digest csv)" = "$before" ] || fail "a second import of the CSV changed the data"
cl a export --format csv --type company >"$WORK/many-co.csv"
expect_exit 0 cl csv import "$WORK/many-co.csv" --type company
[ "$(cl csv list company | grep -c 'Transilvania Trade SRL')" = 1 ] || fail "companies imported after contacts were doubled"
before_a=$(digest a)
expect_exit 0 cl a import "$WORK/many.csv"
echo "$OUT" | grep -q " 0 new, 0 updated" || fail "re-importing the export into its own folder: $OUT"
[ "$(digest a)" = "$before_a" ] || fail "re-importing the CSV export changed the data"
pass "3 phones and 2 emails survive a CSV round trip (labels, preferred); the company found by its name, with its id; re-imports change nothing"

# a referral that points at a later row of the file (Xena was referred by Yuri, who came after)
XENA=$(cl ref put contact name="Xena Ionescu")
YURI=$(cl ref put contact name="Yuri Pop" referred_by="$XENA")
cl ref put contact "$XENA" referred_by="$YURI" >/dev/null
cl ref export --format csv >"$WORK/ref.csv"
cl ref2 init --name ref2 >/dev/null
expect_exit 0 cl ref2 import "$WORK/ref.csv"
cl ref2 get "$XENA" | grep -q "referred_by: $YURI" || fail "a referral to a later row was lost: $(cl ref2 get "$XENA")"
[ "$(digest ref2)" = "$(digest ref)" ] || fail "the CSV copy of two referrals differs from the original"
pass "a referral to a row further down the file is kept (references to the same type wait for the last row)"

# standard input: the format from the text; iOS line ends (CR CR LF)
cl in init --name in >/dev/null
printf 'name,email\nPiped Paula,paula@example.ro\n' | cl in import - >/dev/null || fail "import - of CSV"
printf 'BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Ioana iOS\r\r\nTEL;type=CELL:+40 722 000 111\r\r\nEND:VCARD\r\r\n' |
  cl in import - >/dev/null || fail "import - of an iOS vCard"
cl in list contact | grep -q "Piped Paula  paula@example.ro" || fail "the piped CSV row is not there"
cl in list contact --json | grep -q '"+40 722 000 111"' || fail "the piped iOS card lost its phone"
printf 'name\nX\n' | expect_exit 2 cl in import - --format xml
pass "import - reads standard input (CSV, and an iOS vCard with CR CR LF line ends)"

# companies named alike: case, punctuation and the legal form do not make another company
cl co init --name co >/dev/null
cl co put company name="ACME Inc." >/dev/null
printf 'name,company\nA1,"Acme, Inc."\nA2,acme\nA3,ACME Industries\nA4,"Acme, Inc."\nA5,Brașov Tehnic S.R.L.\nA6,BRASOV TEHNIC SRL\n' >"$WORK/alike.csv"
expect_exit 0 cl co import "$WORK/alike.csv"
[ "$(cl co list company | wc -l)" = 3 ] || fail "companies named alike were doubled: $(cl co list company)"
[ "$(grep -c "taken to be 'ACME Inc.'" <<<"$ERR")" = 2 ] || fail "one notice per spelling expected: $ERR"
grep -q "line 7: company 'BRASOV TEHNIC SRL' taken to be 'Brașov Tehnic S.R.L.'" <<<"$ERR" || fail "no notice for SRL: $ERR"
acme=$(cl co list company | grep "ACME Inc." | cut -d' ' -f1)
[ "$(cl co list contact --json | grep -o "\"company\": *\"$acme\"" | wc -l)" = 3 ] || fail "A1, A2, A4 are not all at ACME Inc."
pass "'Acme, Inc.', 'acme' and 'ACME Inc.' are one company, with a notice per spelling; 'ACME Industries' another"

# importing our own export again updates by UID: nothing new, nothing changed
before=$(digest a)
expect_exit 0 cl a import "$WORK/out.vcf"
echo "$OUT" | grep -q " 0 new, 0 updated" || fail "re-import of the export: $OUT"
[ "$(digest a)" = "$before" ] || fail "re-importing the export changed the data"
pass "vCard export re-imports as updates (UID = record id)"

# ----- malformed files are refused whole -----
before=$(digest a)
for f in truncated garbage latin1; do
  expect_exit 1 cl a import "$DATA/$f.vcf"
  [[ "$ERR" == "clientele: $f.vcf: line "* ]] || fail "$f.vcf: error should name the line: $ERR"
done
printf 'name,email\nGood,good@example.com\nBad,not-an-email\n' >"$WORK/bad.csv"
expect_exit 1 cl a import "$WORK/bad.csv"
[[ "$ERR" == "clientele: bad.csv: line 3: "*email* ]] || fail "bad.csv: $ERR"
head -c 300 "$WORK/out.vcf" >"$WORK/cut.vcf"
expect_exit 1 cl a import "$WORK/cut.vcf"
[ "$(digest a)" = "$before" ] || fail "a refused file changed the data"
pass "truncated, binary, wrongly encoded and invalid files refused whole, digest unchanged"

# ----- usage errors -----
expect_exit 2 cl a export
expect_exit 2 cl a export --format xml
expect_exit 2 cl a import "$WORK/contacts.txt"
expect_exit 2 cl a import "$DATA/google.vcf" --type deal
expect_exit 1 cl a import "$WORK/missing.csv"
[[ "$ERR" == "clientele: cannot read"* ]] || fail "missing file: $ERR"
pass "usage errors exit 2, a missing file exits 1"

# ----- JSON backup: an empty folder restores the same digest -----
cl a export --format json >"$WORK/a.json"
expect_exit 0 cl b import "$WORK/a.json"
[ "$(digest a)" = "$(digest b)" ] || fail "restored digest differs"
cl a export --format json --output "$WORK/a2.json" >/dev/null
expect_exit 0 cl b import "$WORK/a2.json"
echo "$OUT" | grep -q "restored 0 new ops" || fail "second restore: $OUT"
pass "json backup restores an identical digest"

# ----- a conflict: each folder's backup imported into the other -----
id=$(cl c put contact name="Jane Conflict")
cl c export --format json --output "$WORK/c0.json" >/dev/null
cl d import "$WORK/c0.json" >/dev/null
cl c put contact "$id" title="Buyer"
cl d put contact "$id" title="Head of purchasing"
cl c export --format json --output "$WORK/c.json" >/dev/null
cl d export --format json --output "$WORK/d.json" >/dev/null
cl c import "$WORK/d.json" >/dev/null
cl d import "$WORK/c.json" >/dev/null
[ "$(digest c)" = "$(digest d)" ] || fail "backups exchanged: digests differ"
cl c get "$id" --json | grep -q '"conflicts":\[{' || fail "no conflict recorded"
cl c export --format json --output "$WORK/c2.json" >/dev/null
cl e import "$WORK/c2.json" >/dev/null
[ "$(digest c)" = "$(digest e)" ] || fail "restore with a conflict: digests differ"
cl e get "$id" --json | grep -q '"conflicts":\[{' || fail "restored folder lost the conflict"
pass "a conflict survives backup and restore (equal digests)"

# ----- CSV: duplicates, update by id, merge -----
expect_exit 0 cl a import "$DATA/google.vcf"   # the same cards again: found, not duplicated
[ -z "$ERR" ] || fail "re-importing the same cards: $ERR"
[ "$(cl a list contact --query "Ana María" | wc -l)" -eq 1 ] || fail "re-import duplicated Ana"
printf 'name,email\nAnita Duplicate,ANA.PEREZ@gmail.com\n' >"$WORK/dup.csv"
expect_exit 0 cl a import "$WORK/dup.csv"
echo "$ERR" | grep -q "possible duplicate of [a-z0-9]* (same email)" || fail "no duplicate reported: $ERR"
first=$(cl a list contact --query "Ana María" | cut -d' ' -f1)
second=$(cl a list contact --query "Anita Duplicate" | cut -d' ' -f1)
[ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ] || fail "expected two Anas"
echo "$ERR" | grep -q "possible duplicate of $first (same email)" || fail "duplicate of the wrong one: $ERR"
task=$(cl a put task title="Call Ana" contact="$second")
expect_exit 0 cl a merge "$first" "$second"
expect_exit 1 cl a get "$second"   # deleted by the merge
[ "$(cl a list contact --query "Anita Duplicate" | cut -d' ' -f1)" = "$first" ] || fail "merge: the name is not kept in notes"
cl a get "$task" | grep -q "contact: $first" || fail "the task did not move to the kept contact"
printf 'id,phone\n%s,+34 600 000 000\n' "$first" >"$WORK/upd.csv"
expect_exit 0 cl a import "$WORK/upd.csv"
cl a get "$first" | grep -q "phone: +34 600 000 000" || fail "update by id"
cl a get "$first" | grep -q "email: ana.perez@gmail.com" || fail "update by id touched other fields"
pass "duplicates reported, merge moves references, CSV id column updates"

# ----- 50,000 CSV rows -----
{
  printf '\xEF\xBB\xBFname;email;phone;city;notes\r\n'
  for ((i = 0; i < 50000; i++)); do
    printf 'Person %d;p%d@example.com;+1 555 %07d;"Paris; France";"note ""%d""\nsecond line"\r\n' $i $i $i $i
  done
} >"$WORK/big.csv"
start=$(date +%s.%N)
expect_exit 0 cl big import "$WORK/big.csv"
end=$(date +%s.%N)
[ -z "$ERR" ] || fail "import printed on a pipe: $ERR"
secs=$(awk "BEGIN{printf \"%.2f\", $end - $start}")
echo "50,000-row CSV import took ${secs}s"
[ "$(cl big list contact | wc -l)" -eq 50000 ] || fail "list does not show 50,000 contacts"
cl big export --format csv >"$WORK/big-out.csv"
[ "$(head -1 "$WORK/big-out.csv")" = $'id,name,title,company,email,phone,address,city,birthday,notes,tags,referred_by,nickname,given_name,family_name,department,anniversary,profile,cadence,company name,referred_by name\r' ] \
  || fail "csv header"
expect_exit 0 cl big2 import "$WORK/big-out.csv"
[ "$(cl big2 list contact | wc -l)" -eq 50000 ] || fail "csv round trip"
cl big export --format csv >"$WORK/big-out2.csv"
cl big2 export --format csv | cmp -s - "$WORK/big-out.csv" || fail "csv round trip differs"
pass "50,000 CSV rows imported in ${secs}s, listed, exported and re-imported"
