#!/usr/bin/env bash
# The help: `clientele --help`, `clientele help COMMAND`, `COMMAND --help` and
# `COMMAND -h` exit 0 and print usage without touching any data folder;
# unknown commands are usage errors (2); `--version` names the libraries.
# And the man page keeps up: every command and every option that
# `clientele --help` lists is in docs/clientele.1.
source "$(dirname "$0")/lib.sh"
SRC=${CLIENTELE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
export HOME=$WORK/home
unset CLIENTELE_DATA XDG_DATA_HOME

expect_exit 0 "$BIN" --help
grep -q '^usage: clientele \[--data DIR\] COMMAND' <<<"$OUT" || fail "--help printed: $OUT"
overview=$OUT
expect_exit 0 "$BIN" help
[ "$OUT" = "$overview" ] || fail "'help' differs from --help"

# The command lines of the overview: "  NAME ARGS…" between "commands:" and a blank line.
sed -n '/^commands:/,/^$/p' <<<"$overview" | sed '1d; /^$/d; s/^ *//; s/ | /\n/g' >"$WORK/usages"
[ "$(wc -l <"$WORK/usages")" -ge 5 ] || fail "too few commands in --help: $(cat "$WORK/usages")"

# The man page as plain text, one line with single spaces (phrases wrap).
MANTXT=""
if command -v man >/dev/null; then
  MANWIDTH=80 MANPAGER=cat PAGER=cat LC_ALL=C.UTF-8 man -l "$SRC/docs/clientele.1" 2>/dev/null |
    sed 's/.\x08//g' >"$WORK/man.txt"
  tr -s '[:space:]' ' ' <"$WORK/man.txt" >"$WORK/man.flat"
  MANTXT=$WORK/man.txt
else
  echo "note: man is not installed: the man page is not compared with --help"
fi

names=()
while IFS= read -r usage; do
  read -r name second _ <<<"$usage"
  [[ $name =~ ^[a-z][a-z-]*$ ]] || continue   # a continuation line
  [[ " ${names[*]:-} " == *" $name "* ]] || names+=("$name")
  expect_exit 0 "$BIN" help "$name"
  grep -q "^usage: clientele" <<<"$OUT" || fail "'help $name' printed no usage: $OUT"
  grep -qF -- "$usage" <<<"$OUT" || fail "'help $name' does not show '$usage': $OUT"
  helptext=$OUT
  for h in --help -h; do
    expect_exit 0 "$BIN" "$name" "$h"
    [ "$OUT" = "$helptext" ] || fail "'$name $h' differs from 'help $name'"
  done
  if [ -n "$MANTXT" ]; then
    # the command has an entry in the man page (a tag line: 7 spaces, the name)
    entry=$name
    [[ ${second:-} =~ ^[a-z]+$ ]] && entry="$name $second"   # "peer add …"
    grep -Eq "^ {7}$entry( |$)" "$MANTXT" || fail "the man page has no entry for '$entry' (from --help: '$usage')"
    for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$usage" | sort -u); do
      grep -qF -- "$opt" "$WORK/man.flat" || fail "the man page lacks $opt of '$usage'"
    done
  fi
done <"$WORK/usages"
[ -e "$HOME" ] && fail "help created $HOME"
pass "help, COMMAND --help and -h for: ${names[*]}"
[ -n "$MANTXT" ] && pass "every command and option of --help is in the man page"

# unknown commands and options are usage errors, reported on one line
expect_exit 2 "$BIN" help no-such-command
grep -q '^clientele: ' <<<"$ERR" || fail "error not on 'clientele: ' line: $ERR"
expect_exit 2 "$BIN" no-such-command --help
expect_exit 2 "$BIN" --no-such-option
expect_exit 2 "$BIN"
[ "$(wc -l <<<"$ERR")" -eq 1 ] || fail "usage error on more than one line: $ERR"
pass "unknown command or option: exit 2, one line on stderr"

expect_exit 0 "$BIN" --version
version=$(sed -n 's/^project(clientele VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
grep -q "^clientele $version\b" <<<"$OUT" || fail "--version printed '$OUT', expected clientele $version"
for lib in LMDB mbedTLS cJSON; do grep -q "$lib" <<<"$OUT" || fail "--version does not name $lib: $OUT"; done
pass "--version: $OUT"
[ -e "$HOME" ] && fail "help created $HOME"
true
