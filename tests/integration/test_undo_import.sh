#!/usr/bin/env bash
# clientele undo-import takes an import back with ordinary writes: the digest
# from before it, on this device and on a paired one after a sync; what was
# changed since the import is left as it is; imports undo one after another.
source "$(dirname "$0")/lib.sh"

cl a init --name a >/dev/null
cl b init --name b >/dev/null
ACME=$(cl a put company name="Acme SRL")
ANA=$(cl a put contact name="Ana Pop" email=ana@acme.ro company="$ACME" \
  phones='[{"value":"+40 700 000 001","label":"mobile"}]')
GONE=$(cl a put contact name="Gone Person" email=gone@example.ro)
cl a rm "$GONE" >/dev/null
expect_exit 1 cl a undo-import
grep -q "no import to undo" <<<"$ERR" || fail "undo-import with no import: $ERR"
before=$(cl a digest)

# --- one CSV that creates a contact and a company, fills an empty field,
# changes a list and brings a deleted record back
cat >"$WORK/book.csv" <<CSV
id,name,title,phone,phone 2,company name
$ANA,Ana Pop,Buyer,+40 700 000 001,+40 700 000 002,
,Dan Ilie,,+40 711 111 111,,Globex SA
$GONE,Gone Person,Back again,,,
CSV
expect_exit 0 cl a import "$WORK/book.csv" --dry-run
expect_exit 1 cl a undo-import          # a dry run leaves nothing to undo
cl a import "$WORK/book.csv" >/dev/null
[ "$(cl a digest)" != "$before" ] || fail "the import changed nothing"
cl a export --format csv >"$WORK/same.csv"
cl a import "$WORK/same.csv" | grep -q " 0 new, 0 updated" || fail "re-importing the export changed something"
cl a list contact | grep -q "Dan Ilie" || fail "the import did not create Dan"
expect_exit 0 cl a undo-import
grep -q "undid the import of book.csv (.*): 2 records deleted" <<<"$OUT" || fail "undo-import said: $OUT"
[ "$(cl a digest)" = "$before" ] || fail "the digest after the undo is not the one from before the import"
cl a list contact | grep -q "Dan Ilie" && fail "Dan is still listed"
cl a list company | grep -q "Globex" && fail "the company the import made is still listed"
cl a get "$ANA" --json | grep -qF '"phones":[{"value":"+40 700 000 001","label":"mobile"}]' ||
  fail "Ana's phones are not the old ones: $(cl a get "$ANA" --json)"
cl a get "$ANA" | grep -q "title:" && fail "Ana's title is still there"
cl a list contact | grep -q "Gone Person" && fail "the record the import brought back is not deleted again"
expect_exit 1 cl a undo-import
pass "undo-import: created records deleted, changed fields restored (a list, an empty field, a deletion): the digest from before"

# --- what was changed since the import is left
cat >"$WORK/two.vcf" <<VCF
BEGIN:VCARD
VERSION:3.0
FN:Eva Lungu
EMAIL:eva@example.ro
END:VCARD
BEGIN:VCARD
VERSION:3.0
UID:$ANA
FN:Ana Pop
TITLE:Head of purchasing
NOTE:from the fair
END:VCARD
VCF
cl a import "$WORK/two.vcf" >/dev/null
EVA=$(cl a list contact | grep "Eva Lungu" | cut -d' ' -f1)
[ -n "$EVA" ] || fail "the vCard import did not create Eva"
cl a put contact "$EVA" notes="called her after the import" >/dev/null
cl a put contact "$ANA" title="Director" >/dev/null
expect_exit 0 cl a undo-import
grep -q "left alone, because changed since the import: 2" <<<"$OUT" || fail "undo-import should leave 2 alone: $OUT"
cl a get "$EVA" | grep -q "called her after the import" || fail "a record edited since the import was deleted"
cl a get "$ANA" | grep -q "title: Director" || fail "a field edited since the import was reverted"
cl a get "$ANA" | grep -q "from the fair" && fail "Ana's notes from the import were not taken back"
pass "undo-import leaves a record and a field changed since the import, takes back the rest"

# --- imports undo one after another, and the undo syncs like any edit
cl a rm "$EVA" >/dev/null
cl a put contact "$ANA" title="" >/dev/null
start_serve b
pair a b
cl a sync "$(cl b id)" >/dev/null
base=$(cl a digest)
printf 'name,email\nFirst Import,first@example.ro\n' >"$WORK/first.csv"
printf 'name,email\nSecond Import,second@example.ro\n' >"$WORK/second.csv"
cl a import "$WORK/first.csv" >/dev/null
cl a import "$WORK/second.csv" >/dev/null
cl a sync "$(cl b id)" >/dev/null
cl b list contact | grep -q "Second Import" || fail "b did not get the imports"
cl a undo-import | grep -q "second.csv" || fail "the newest import is not undone first"
cl a undo-import | grep -q "first.csv" || fail "the import before it is not undone second"
[ "$(cl a digest)" = "$base" ] || fail "two undos do not give the digest from before both imports"
cl a sync "$(cl b id)" >/dev/null
[ "$(cl b digest)" = "$base" ] || fail "the paired device does not get the undo"
cl b list contact | grep -q "Import" && fail "b still lists an undone import's contact"
pass "two imports undone newest first; the undo synced to a paired device: the same digest as before both"

# --- a field the import wrote while the paired device wrote it too: a conflict, left for the user
printf 'id,name,title\n%s,Ana Pop,Imported title\n' "$ANA" >"$WORK/clash.csv"
cl b put contact "$ANA" title="Typed on b" >/dev/null
cl a import "$WORK/clash.csv" >/dev/null
cl a sync "$(cl b id)" >/dev/null
cl a get "$ANA" --json | grep -q '"conflicts":\[{' || fail "no conflict after the concurrent edits: $(cl a get "$ANA" --json)"
expect_exit 0 cl a undo-import
grep -q "left alone, because changed since the import: 1" <<<"$OUT" || fail "the conflicted field was not left alone: $OUT"
cl a get "$ANA" --json | grep -q '"conflicts":\[{' || fail "the undo swallowed the conflict"
stop_serve b
pass "a field in conflict after the import is left by the undo (the conflict still shown)"
