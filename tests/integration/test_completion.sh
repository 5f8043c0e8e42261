#!/usr/bin/env bash
# tools/clientele.bash-completion completes every command and every option
# that `clientele --help` lists, the record types and the export formats.
source "$(dirname "$0")/lib.sh"
SRC=${CLIENTELE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
source "$SRC/tools/clientele.bash-completion"
set +u   # completion functions are written for interactive shells

complete_line() {  # complete_line WORD… — the last word is the one being completed
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
  _clientele 2>/dev/null || true
  REPLY_WORDS=" ${COMPREPLY[*]} "
}
offers() {  # offers WORD REPLY-OF…
  local want=$1; shift
  complete_line "$@"
  [[ $REPLY_WORDS == *" $want "* ]] || fail "completing '$*' does not offer '$want' (got:$REPLY_WORDS)"
}

"$BIN" --help | sed -n '/^commands:/,/^$/p' | sed '1d; /^$/d; s/^ *//; s/ | /\n/g' >"$WORK/usages"
n=0
while IFS= read -r usage; do
  read -r name second _ <<<"$usage"
  [[ $name =~ ^[a-z][a-z-]*$ ]] || continue
  offers "$name" clientele ""
  offers "$name" clientele --data /tmp ""
  words=(clientele "$name")
  if [[ ${second:-} =~ ^[a-z]+$ ]]; then
    offers "$second" clientele "$name" ""
    words+=("$second")
  fi
  for opt in $(grep -oE -- '--[a-z][a-z-]*' <<<"$usage" | sort -u); do
    offers "$opt" "${words[@]}" --
  done
  offers --help "${words[@]}" --
  n=$((n + 1))
done <"$WORK/usages"
pass "$n commands of --help and their options complete"

for opt in --data --help --version; do offers "$opt" clientele --; done
for t in company contact interaction task deal; do
  offers "$t" clientele put ""
  offers "$t" clientele list ""
  offers "$t" clientele export --type ""
done
for f in vcard csv json; do offers "$f" clientele export --format ""; done
offers "name=" clientele put contact ""
offers "referred_by=" clientele put contact ""
offers "stage=" clientele put deal abcdef ""
for s in add list rm invite join; do offers "$s" clientele peer ""; done
offers put clientele help ""
pass "types, formats, fields, peer subcommands"

mkdir -p "$WORK/files/books"; : >"$WORK/files/book.csv"
cd "$WORK/files"
offers book.csv clientele import bo
offers books clientele --data boo
pass "file names after import, folders after --data"
