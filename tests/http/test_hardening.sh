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
ui_login a
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

# ----- CORS preflight: no Access-Control-* header, whatever the Host
for host in "evil.test:$PORT" "127.0.0.1:$PORT"; do
  H=$(curl -s -D - -o /dev/null -X OPTIONS -H "Host: $host" -H "Origin: http://evil.test" \
    -H "Access-Control-Request-Method: POST" -H "Access-Control-Request-Headers: X-Clientele-Token" "$U/api/records")
  grep -qi '^access-control' <<<"$H" && fail "OPTIONS with Host $host answered with CORS headers: $H"
  grep -q '^HTTP/1.1 2' <<<"$H" && fail "OPTIONS with Host $host answered 2xx: $H"
done
pass "a CORS preflight gets no Access-Control-Allow-Origin (foreign Host or ours)"

# ----- HEAD: headers only, so that the next response on the connection is intact
SESSION=$(awk '$6 ~ /^clientele_session_/ {print $6 "=" $7}' "$WORK/cookies")
python3 - "$PORT" "$SESSION" <<'PY' || fail "HEAD sent a body"
import socket, sys
port, cookie = int(sys.argv[1]), sys.argv[2]
for path in ("/api/status", "/api/records?type=company", "/api/nope", "/", "/app.js"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    host = f"127.0.0.1:{port}"
    s.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n"
              f"GET /api/status HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    if not rest.startswith(b"HTTP/1.1 200"):
        print(f"HEAD {path}: after its headers came {rest[:60]!r}")
        sys.exit(1)
    if b"content-length:" not in head.lower():
        print(f"HEAD {path}: no Content-Length")
        sys.exit(1)
PY
pass "HEAD answers headers only (API, errors, page, assets); the next response on the connection is intact"

# ----- a body of exactly 1 MiB is taken, one byte more is 413
python3 - "$WORK" <<'PY'
import sys
body = b'{"type":"company","fields":{"name":"Exactly one MiB"}}'
open(sys.argv[1] + "/mib.json", "wb").write(body + b" " * (1024 * 1024 - len(body)))
open(sys.argv[1] + "/mib1.json", "wb").write(body + b" " * (1024 * 1024 + 1 - len(body)))
PY
[ "$(stat -c %s "$WORK/mib.json")" = 1048576 ] || fail "test body is not 1 MiB"
post "$WORK/mib.json"; [ "$STATUS" = 201 ] || fail "a body of exactly 1 MiB: $STATUS ($BODY)"
post "$WORK/mib1.json"; [ "$STATUS" = 413 ] || fail "a body of 1 MiB + 1: $STATUS"
pass "a body of exactly 1 MiB is taken (201), 1 MiB + 1 byte is 413"

# ----- at most 16 live pages (websockets), even when 20 open at once
N=$(node -e '
const net = require("net"), port = process.argv[1], cookie = process.argv[2];
let hellos = 0;
for (let i = 0; i < 20; i++) {
  const s = net.connect(port, "127.0.0.1", () => s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: ${cookie}\r\n\r\n`));
  let got = "";
  s.on("data", (d) => { got += d.toString("latin1"); if (got.includes("\"hello\"")) { hellos++; got = ""; } });
  s.on("error", () => {});
}
setTimeout(() => { console.log(hellos); process.exit(0); }, 3000);' "$PORT" "$SESSION")
[ "$N" = 16 ] || fail "$N of 20 websockets opened at once were let in (cap 16)"
alive "20 websockets"
pass "20 websockets at once: exactly 16 get live updates"

# ----- slow clients: 40 dripping a request header and 10 saying nothing, for 12 s
python3 "$(dirname "$0")/../integration/strangers.py" --port "$PORT" --http --drip 40 --idle 10 --seconds 12 \
  --sources 127.0.0.1 >"$WORK/slow.out" &
SLOW=$!; PIDS+=($SLOW)
sleep 2
for i in 1 2 3 4 5 6; do
  t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 "$U/api/status")
  [ "${t%% *}" = 200 ] || fail "request $i with slow clients at the door: $t"
  awk -v s="${t#* }" 'BEGIN { exit !(s < 2) }' || fail "request $i took ${t#* } s with slow clients at the door"
  sleep 1
done
wait "$SLOW"
S=$(cat "$WORK/slow.out"); hold=$(sed 's/.*max_hold_ms=\([0-9]*\).*/\1/' <<<"$S")
[ "$hold" -le 7000 ] || fail "a slow client held a worker $hold ms ($S)"
alive "50 slow clients"
pass "50 slow-header and idle clients: the page answers in under 2 s; each is dropped by 5 s ($S)"
