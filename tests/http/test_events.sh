#!/usr/bin/env bash
# The page's live events mean something (issue 14): an open page beside a
# paired device that cannot be reached, with no edits, receives no "data"
# event for 60 s (the scheduler's failed syncs are "status"); an edit made by
# another process still arrives as "data" at once.
source "$(dirname "$0")/../integration/lib.sh"

export WORK
SECONDS_OPEN=${CLIENTELE_EVENTS_SECONDS:-60}
cl a init --name laptop >/dev/null; cl b init --name away >/dev/null
cl a put company name=Acme >/dev/null
cl a peer add "$(cl b id)" --addr "127.0.0.1:$(free_port)" >/dev/null # nothing listens there
UI=$(free_port)
"$BIN" --data "$WORK/a" serve --ui "127.0.0.1:$UI" --listen "127.0.0.1:$(free_port)" --no-discovery \
  --sync-interval 5 >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
wait_port "$UI"
ui_login a
SESSION=$(awk '$6 ~ /^clientele_session_/ {print $6 "=" $7}' "$WORK/cookies")

node - "$UI" "$SESSION" "$SECONDS_OPEN" <<'JS' || fail "the page's events are not what the data did"
const [port, session, quiet] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const { spawnSync } = require('child_process');
const net = require('net');
// A minimal websocket client (node 18 has no WebSocket): server frames are unmasked text.
const s = net.connect(port, '127.0.0.1', () => s.write(
  `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${port}\r\n` +
  `Cookie: ${session}\r\n\r\n`));
let buf = '';
const count = (t) => buf.split(`"type":"${t}"`).length - 1;
s.on('data', (d) => { buf += d.toString('latin1'); });
setTimeout(() => {
  const data = count('data'), status = count('status');
  console.log(`${quiet} s open, no edits: ${data} data events, ${status} status events`);
  if (data) { console.error('data events without a data change'); process.exit(1); }
  if (!status) { console.error('the failed syncs committed nothing: this test shows nothing'); process.exit(1); }
  const r = spawnSync(process.env.CLIENTELE_BIN, ['--data', process.env.WORK + '/a', 'put', 'company', 'name=From another process']);
  if (r.status !== 0) { console.error(r.stderr.toString()); process.exit(1); }
  const t0 = Date.now();
  const poll = setInterval(() => {
    if (count('data') === 1) { console.log(`the edit arrived as data in ${Date.now() - t0} ms`); process.exit(0); }
    if (Date.now() - t0 > 5000) { clearInterval(poll); console.error('no data event after an edit'); process.exit(1); }
  }, 50);
}, quiet * 1000);
JS
pass "$SECONDS_OPEN s beside an unreachable peer: no data event; another process's edit arrives as data"
grep -q "sync" "$WORK/serve.log" || fail "serve did not try to sync with the unreachable peer"
pass "serve tried the unreachable peer meanwhile"
