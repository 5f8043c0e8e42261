#!/usr/bin/env bash
# The page's port against hostile input (issue 15, docs/security.md and
# docs/reliability.md): deeply nested JSON, \u0000 in strings. A refused
# request stores nothing and `serve` stays up.
source "$(dirname "$0")/../integration/lib.sh"

PORT=$(free_port)
U=http://127.0.0.1:$PORT
cl a init --name laptop >/dev/null
"$BIN" --data "$WORK/a" serve --ui 127.0.0.1:$PORT --listen 127.0.0.1:$(free_port) --no-discovery \
  >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!; PIDS+=($SERVE_PID)
wait_port "$PORT"
TOKEN=$(curl -s "$U/" | grep -o 'name="clientele-token" content="[a-z0-9]*"' | sed 's/.*content="//; s/"$//')
[ ${#TOKEN} -ge 32 ] || fail "no token in the page"

# post FILE → $STATUS, $BODY
post() {
  STATUS=$(curl -s -o "$WORK/.body" -w '%{http_code}' --max-time 20 -X POST -H "X-Clientele-Token: $TOKEN" \
    -H 'Content-Type: application/json' --data-binary "@$1" "$U/api/records")
  BODY=$(cat "$WORK/.body")
}
alive() {
  kill -0 "$SERVE_PID" 2>/dev/null || fail "serve died after $1: $(tail -3 "$WORK/serve.log")"
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$U/api/status")" = 200 ] || fail "serve does not answer after $1"
}
# nest KIND DEPTH → a record body whose notes value is nested DEPTH deep
nest() {
  python3 - "$1" "$2" >"$WORK/deep.json" <<'PY'
import sys
kind, d = sys.argv[1], int(sys.argv[2])
inner = '[' * d + ']' * d if kind == 'arrays' else '{"a":' * d + '1' + '}' * d
sys.stdout.write('{"type":"company","fields":{"name":"Deep","notes":%s}}' % inner)
PY
}

D0=$(cl a digest)
for kind in arrays objects; do
  for d in 100 1000 100000; do
    nest "$kind" "$d"
    post "$WORK/deep.json"
    [ "$STATUS" = 400 ] || fail "$kind nested $d deep: status $STATUS ($BODY)"
    grep -q '"code":"invalid"' <<<"$BODY" || fail "$kind nested $d deep: $BODY"
    alive "$kind nested $d deep"
  done
done
# the bare brackets of the crash report (810 levels, no record around them)
python3 -c "import sys; sys.stdout.write('[' * 810)" >"$WORK/bare.json"
post "$WORK/bare.json"; [ "$STATUS" = 400 ] || fail "810 bare brackets: $STATUS"
alive "810 bare brackets"
[ "$(cl a digest)" = "$D0" ] || fail "a deep body stored something"
pass "JSON nested 100, 1,000 and 100,000 deep (arrays and objects) is 400; serve stays up"

printf '%s' '{"type":"company","fields":{"name":"Acme\u0000 hidden"}}' >"$WORK/nul.json"
post "$WORK/nul.json"
[ "$STATUS" = 400 ] || fail "\\u0000 in a string: status $STATUS ($BODY)"
grep -q 'u0000' <<<"$BODY" || fail "\\u0000: the message does not say why: $BODY"
[ "$(cl a digest)" = "$D0" ] || fail "a body with \\u0000 stored something"
# an escaped backslash before u0000 is the text \u0000, not a NUL
printf '%s' '{"type":"company","fields":{"name":"Acme \\u0000 literal"}}' >"$WORK/lit.json"
post "$WORK/lit.json"
[ "$STATUS" = 201 ] || fail "the text \\\\u0000 was refused: $STATUS ($BODY)"
grep -q '"name":"Acme \\\\u0000 literal"' <<<"$BODY" || fail "the text \\\\u0000 came back as $BODY"
pass "a \\u0000 in a JSON string is 400 (not cut short); the text \\\\u0000 is kept"
