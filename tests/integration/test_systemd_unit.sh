#!/usr/bin/env bash
# tools/clientele.service: the systemd user unit passes `systemd-analyze
# verify` (skipped, exit 77, where systemd-analyze is missing), has the
# properties the operations guide promises, and the process it starts stops
# cleanly (exit 0) on SIGTERM.
source "$(dirname "$0")/lib.sh"
SRC=${CLIENTELE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
UNIT=$SRC/tools/clientele.service
[ -f "$UNIT" ] || fail "$UNIT is missing"

# --- what the unit promises ---
val() { sed -n "s/^$1=//p" "$UNIT"; }
[ "$(val ExecStart)" = "/usr/bin/clientele serve" ] || fail "ExecStart is '$(val ExecStart)'"
[ "$(val Restart)" = on-failure ] || fail "Restart is '$(val Restart)'"
[ "$(val WantedBy)" = default.target ] || fail "WantedBy is '$(val WantedBy)' (a user unit wants default.target)"
[ "$(val KillSignal)" = SIGTERM ] || fail "KillSignal is '$(val KillSignal)'"
[ "$(val StandardError)" = journal ] || fail "StandardError is '$(val StandardError)'"
grep -q '^User=' "$UNIT" && fail "a user unit must not set User="
pass "unit: ExecStart, Restart=on-failure, SIGTERM, journal, default.target"

# --- systemd-analyze verify ---
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$WORK/unit" "$WORK/run" "$WORK/man/man1"
  chmod 700 "$WORK/run"
  # verify checks that ExecStart exists and that Documentation=man:clientele(1)
  # opens: point them at the binary and the page of this tree.
  sed "s#^ExecStart=/usr/bin/clientele#ExecStart=$BIN#" "$UNIT" >"$WORK/unit/clientele.service"
  cp "$SRC/docs/clientele.1" "$WORK/man/man1/clientele.1"
  set +e
  MANPATH=$WORK/man XDG_RUNTIME_DIR=$WORK/run systemd-analyze --user verify "$WORK/unit/clientele.service" \
    >"$WORK/verify.out" 2>"$WORK/verify.err"
  rc=$?
  if grep -q "Failed to initialize manager\|Failed to lookup RuntimeDirectory" "$WORK/verify.err"; then
    # no user manager can be set up here: verify in system mode, same checks
    MANPATH=$WORK/man systemd-analyze verify "$WORK/unit/clientele.service" >"$WORK/verify.out" 2>"$WORK/verify.err"
    rc=$?
  fi
  set -e
  if grep -q "Failed to initialize manager\|Failed to lookup RuntimeDirectory" "$WORK/verify.err"; then
    echo "note: systemd-analyze cannot run here: $(head -1 "$WORK/verify.err")"
  else
    [ "$rc" -eq 0 ] || fail "systemd-analyze verify exited $rc: $(cat "$WORK/verify.err")"
    # unknown keys and bad values are only warnings: none allowed
    [ ! -s "$WORK/verify.err" ] || fail "systemd-analyze verify: $(cat "$WORK/verify.err")"
    pass "systemd-analyze verify: no error, no warning"
  fi
  verified=1
else
  verified=0
fi

# --- the service stops cleanly on SIGTERM (what KillSignal relies on) ---
if "$BIN" help serve >/dev/null 2>&1; then
  ui=$(free_port); listen=$(free_port)
  while [ "$listen" = "$ui" ]; do listen=$(free_port); done
  "$BIN" --data "$WORK/dev" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$listen" --no-discovery \
    >"$WORK/serve.out" 2>"$WORK/serve.err" &
  pid=$!; PIDS+=("$pid")
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ui") 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "serve exited at start: $(cat "$WORK/serve.err")"
    sleep 0.1
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$ui") 2>/dev/null || fail "serve does not listen on $ui: $(cat "$WORK/serve.err")"
  kill -TERM "$pid"
  for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "serve still runs 20 s after SIGTERM"
  set +e; wait "$pid"; rc=$?; set -e
  [ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM (stderr: $(cat "$WORK/serve.err"))"
  pass "serve exits 0 on SIGTERM"
else
  echo "note: no serve command in this build yet: SIGTERM check left out"
fi

if [ "$verified" = 0 ]; then
  echo "SKIP: systemd-analyze is not installed: the unit was checked but not verified"
  exit 77
fi
