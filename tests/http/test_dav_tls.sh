#!/usr/bin/env bash
# DAV beyond loopback (`serve --dav-listen`, docs/dav.md): only when asked,
# only with a client that can log in, only over TLS with the device's
# certificate whose fingerprint serve prints; vdirsyncer (Debian) pins that
# fingerprint and syncs; nothing but /dav/ is reachable there; strangers'
# idle connections are bounded.
source "$(dirname "$0")/../integration/lib.sh"
source "$(dirname "$0")/dav_lib.sh"
DAV_USER=phone

PY=/usr/bin/python3
command -v vdirsyncer >/dev/null || { echo "SKIP: vdirsyncer is not installed (tools/deps.sh test)"; exit 77; }

cl a init --name laptop >/dev/null
P=$(cl a put contact name="Ana Pop" phone="+40 721 000 001")
TLS=$(free_port)

# ----- only with a client that can log in
expect_exit 1 cl a serve --ui "127.0.0.1:$(free_port)" --listen "127.0.0.1:$(free_port)" --no-discovery \
  --dav-listen "127.0.0.1:$TLS"
grep -q "no DAV client can log in yet" <<<"$ERR" || fail "serve --dav-listen without a client says: $ERR"
pass "serve --dav-listen refuses to start while no DAV client can log in"

PW=$(cl a dav add phone | sed -n 's/^  password: *//p')
start_serve a --dav-listen "127.0.0.1:$TLS"
port_up "$TLS" "$PID_a" || fail "nothing listens on the --dav-listen port: $(tail -3 "$WORK/a.log")"
FP=$(sed -n 's/.*trust it: \([0-9A-F:]*\)$/\1/p' "$WORK/a.log")
[ ${#FP} = 95 ] || fail "serve printed no certificate fingerprint: $(cat "$WORK/a.log")"

# ----- the fingerprint is the certificate's, as a TLS client sees it
SEEN=$("$PY" - "$TLS" <<'PY'
import hashlib, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as s:
    with ctx.wrap_socket(s) as t:
        d = hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest().upper()
        print(":".join(d[i:i + 2] for i in range(0, 64, 2)))
PY
)
[ "$SEEN" = "$FP" ] || fail "the printed fingerprint $FP is not the certificate's $SEEN"
pass "serve prints the SHA-256 fingerprint of the certificate TLS clients see"

# ----- what the TLS port answers
S="https://127.0.0.1:$TLS"
code() { command curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "$@" || true; }
[ "$(code -u "phone:$PW" -X PROPFIND -H 'Depth: 0' "$S/dav/")" = 207 ] || fail "PROPFIND over TLS with the password"
[ "$(code -X PROPFIND -H 'Depth: 0' "$S/dav/")" = 401 ] || fail "PROPFIND over TLS without a password is not 401"
[ "$(code -u "phone:nope" "$S/dav/contacts/")" = 401 ] || fail "a wrong password over TLS is not 401"
[ "$(code "$S/")" = 404 ] || fail "the page is reachable over the DAV port"
[ "$(code "$S/api/records?type=contact")" = 404 ] || fail "the API is reachable over the DAV port"
[ "$(code -u "phone:$PW" -H "Host: 127.0.0.1:$UI_a" "$S/dav/")" = 403 ] || fail "a Host naming another port passed"
st=$(command curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$TLS/dav/" || true)
[ "$st" = 000 ] || fail "plain HTTP on the TLS port answered $st"
[ "$(code -u "phone:$PW" "http://127.0.0.1:$UI_a/dav/contacts/")" = 200 ] || fail "the loopback DAV server stopped answering"
pass "over TLS: the DAV server with its passwords and nothing else (no page, no API, no plain HTTP)"

# ----- the Devices page is told where phones reach it, and the fingerprint
ui_login a
NET=$(curl -s "http://127.0.0.1:$UI_a/api/dav-clients")
node -e 'const b=JSON.parse(process.argv[1]); if (!b.network || b.network.fingerprint!==process.argv[2] ||
  !b.network.urls.includes(`https://127.0.0.1:${process.argv[3]}/dav/`)) process.exit(1)' "$NET" "$FP" "$TLS" ||
  fail "GET /api/dav-clients does not name the TLS address and fingerprint: $NET"
pass "the Devices page's API names the TLS address and the certificate's fingerprint"

# ----- vdirsyncer pins the fingerprint and syncs over TLS
vconf() { vdir_conf carddav "$S/dav/contacts/" .vcf "verify_fingerprint = \"$1\""; }
vconf "$(sed 's/^../00/' <<<"$FP")"
vdirsyncer -c "$WORK/vdir.conf" discover >"$WORK/vdir.out" 2>&1 || true # with collections = null: no request
vdirsyncer -c "$WORK/vdir.conf" sync >"$WORK/vdir.out" 2>&1 && fail "vdirsyncer accepted a certificate of another fingerprint"
# (aiohttp's ServerFingerprintMismatch: the pinned and the seen digest; the
# same config with the right fingerprint works below)
grep -q "127.0.0.1', $TLS" "$WORK/vdir.out" || fail "vdirsyncer failed, but not on the certificate: $(cat "$WORK/vdir.out")"
[ -z "$(ls "$WORK/vdir")" ] || fail "cards came from a server whose fingerprint did not match"
rm -rf "$WORK/status"; mkdir -p "$WORK/status"
pass "vdirsyncer refuses the server when the fingerprint pinned is not its certificate's"
vconf "$FP"
vsync discover
vsync sync
grep -l "FN:Ana Pop" "$WORK/vdir"/*.vcf >/dev/null || fail "the card did not come over TLS"
sed -i 's/^FN:Ana Pop/FN:Ana Pop-Ionescu/' "$WORK/vdir"/*.vcf
vsync sync
cl a get "$P" | grep -q "Ana Pop-Ionescu" || fail "the edit made over TLS did not reach clientele: $(cl a get "$P")"
pass "vdirsyncer, pinning the printed fingerprint, syncs two-way over TLS"

# ----- strangers' idle connections are bounded: 8 from one address, each
# dropped by the handshake's 10 s deadline
exec {s1}<>/dev/tcp/127.0.0.1/$TLS; exec {s2}<>/dev/tcp/127.0.0.1/$TLS; exec {s3}<>/dev/tcp/127.0.0.1/$TLS
exec {s4}<>/dev/tcp/127.0.0.1/$TLS; exec {s5}<>/dev/tcp/127.0.0.1/$TLS; exec {s6}<>/dev/tcp/127.0.0.1/$TLS
exec {s7}<>/dev/tcp/127.0.0.1/$TLS; exec {s8}<>/dev/tcp/127.0.0.1/$TLS
sleep 0.5
[ "$(code -u "phone:$PW" -X PROPFIND -H 'Depth: 0' "$S/dav/")" = 000 ] || fail "a 9th connection from one address was served"
t0=$SECONDS
until [ "$(code -u "phone:$PW" -X PROPFIND -H 'Depth: 0' "$S/dav/")" = 207 ]; do
  [ $((SECONDS - t0)) -lt 15 ] || fail "8 idle connections still hold the DAV port after 15 s"
  sleep 0.5
done
exec {s1}>&- {s2}>&- {s3}>&- {s4}>&- {s5}>&- {s6}>&- {s7}>&- {s8}>&-
pass "8 idle connections from one address fill its share; the handshake deadline frees them within $((SECONDS - t0)) s"
