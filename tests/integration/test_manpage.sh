#!/usr/bin/env bash
# docs/clientele.1 renders without a single groff warning (man --warnings),
# at the usual terminal widths, and covers every section, exit code, file and
# environment variable. Skipped (exit 77) where man is not installed.
source "$(dirname "$0")/lib.sh"
SRC=${CLIENTELE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
PAGE=$SRC/docs/clientele.1
[ -f "$PAGE" ] || fail "$PAGE is missing"
command -v man >/dev/null || { echo "SKIP: man is not installed (Debian packages man-db, groff-base)"; exit 77; }

export MANPAGER=cat PAGER=cat LC_ALL=C.UTF-8
for width in 80 60 120; do
  MANWIDTH=$width man --warnings -l "$PAGE" >"$WORK/man.$width" 2>"$WORK/err.$width" ||
    fail "man -l failed at width $width: $(cat "$WORK/err.$width")"
  [ ! -s "$WORK/err.$width" ] || fail "man warnings at width $width: $(cat "$WORK/err.$width")"
  [ -s "$WORK/man.$width" ] || fail "man printed nothing at width $width"
done
pass "renders without warnings at widths 60, 80, 120"

# Plain text of the page, without backspace overstrikes.
sed 's/.\x08//g' "$WORK/man.80" >"$WORK/man.txt"
# ... and as one line with single spaces, for phrases that wrap
tr -s '[:space:]' ' ' <"$WORK/man.txt" >"$WORK/man.flat"
need() { grep -q -- "$1" "$WORK/man.txt" || fail "the man page lacks '$1'"; }
for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -q "^$s" "$WORK/man.txt" || fail "no $s section"
done
for w in CLIENTELE_DATA XDG_DATA_HOME HOME CLIENTELE_LOG debug info warn error \
         key.pem cert.pem data.mdb lock.mdb "chmod" "--data" "--help" "--version" \
         "peer invite" "peer join" "peer add" "clientele.service"; do
  need "$w"
done
for code in 0 1 2; do grep -Eq "^ +$code +[A-Z]" "$WORK/man.txt" || fail "exit status $code undocumented"; done
# the contract of DESIGN §6, command by command, with every option
while IFS= read -r c; do
  [ -n "$c" ] || continue
  grep -Fq -- "$c" "$WORK/man.flat" || fail "the man page lacks the command '$c'"
done <<'LIST'
init [--name NAME]
serve [--ui HOST:PORT] [--listen HOST:PORT]
[--sync-interval SEC]
[--no-discovery]
[--discovery-port PORT]
put TYPE [ID] FIELD=VALUE
get ID [--json]
list TYPE [--query TEXT] [--limit N] [--json]
rm ID
history ID [--json]
due [--json]
peer add DEVICE-ID [--addr HOST:PORT] [--name NAME]
peer list [--json]
peer rm DEVICE-ID
peer invite [--addr HOST:PORT] [--ttl SEC]
peer join INVITATION
sync [DEVICE-ID|HOST:PORT]
import FILE [--type TYPE] [--format vcard|csv|json]
export --format vcard|csv|json [--type TYPE] [--output FILE]
merge KEEP-ID OTHER-ID
help [COMMAND]
LIST
for c in id digest; do grep -Eq "^ +$c( |\$)" "$WORK/man.txt" || fail "the man page lacks the command '$c'"; done
pass "every section, command, option, exit code, file and variable is there"
