# Shared helpers of the integration tests (sourced). Every test runs in its own
# temporary folder, talks only to 127.0.0.1, and cleans up its processes
# (KEEP_WORK=1 keeps the folder, its data and serve logs, to look at a failure).
set -euo pipefail
BIN=${CLIENTELE_BIN:?CLIENTELE_BIN must name the clientele binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clientele-it-XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  [ -n "${KEEP_WORK:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
# wrong SECRET — the secret with its last letter changed to another (a secret may end in any letter)
wrong() { case $1 in *a) echo "${1%?}b" ;; *) echo "${1%?}a" ;; esac; }

# cl NAME ARGS… — run clientele on device NAME's data folder
cl() { local d=$1; shift; "$BIN" --data "$WORK/$d" "$@"; }

# expect_exit CODE CMD… — run CMD, check its exit status, keep its stderr in $ERR
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$WORK/.out" 2>"$WORK/.err"; local got=$?; set -e
  ERR=$(cat "$WORK/.err"); OUT=$(cat "$WORK/.out")
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want (stderr: $ERR)"
}

# free_port — a TCP port on 127.0.0.1 nobody listens on right now, below the
# kernel's ephemeral range (32768+) so that no outgoing connection takes it
# between this check and the bind
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 12000 ))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}

# wait_port PORT — until something listens on 127.0.0.1:PORT (10 s at most)
wait_port() {
  port_up "$1" || fail "nothing listens on port $1"
}

# port_up PORT [PID] — something listens on 127.0.0.1:PORT within 10 s (false
# as soon as PID, when given, has died)
port_up() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

# start_serve NAME — run `serve` for device NAME on free loopback ports, with
# no discovery; sets PORT_<NAME> (peers) and UI_<NAME>, PID_<NAME>. Tries new
# ports if a port was taken between the check and the bind.
start_serve() { # start_serve NAME [more serve options]
  local d=$1 port ui pid
  shift
  for _ in 1 2 3; do
    port=$(free_port); ui=$(free_port)
    "$BIN" --data "$WORK/$d" serve --ui "127.0.0.1:$ui" --listen "127.0.0.1:$port" --no-discovery \
      --sync-interval 3600 "$@" >>"$WORK/$d.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    printf -v "PORT_$d" '%s' "$port"; printf -v "UI_$d" '%s' "$ui"; printf -v "PID_$d" '%s' "$pid"
    # the ports answer, and it is this serve that holds them: it logs the web
    # UI once both its listeners are bound (another test's process may have
    # taken a port between free_port and the bind)
    if port_up "$port" "$pid" && port_up "$ui" "$pid" && serving "$d" "$ui" "$pid"; then
      return 0
    fi
    echo "note: serve of $d did not start (ports $port, $ui), trying others: $(tail -1 "$WORK/$d.log")"
  done
  fail "serve of $d does not start: $(tail -3 "$WORK/$d.log")"
}

# serving NAME UI PID — PID logged that it serves the web UI on port UI (10 s at most)
serving() {
  for _ in $(seq 1 100); do
    grep -q "web UI on http://127.0.0.1:$2/" "$WORK/$1.log" 2>/dev/null && kill -0 "$3" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_serve NAME — SIGTERM and wait (clean shutdown)
stop_serve() {
  local v="PID_$1"; local pid=${!v}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  fail "serve of $1 did not stop on SIGTERM"
}

# pair A B — A and B each add the other (with addresses when they serve)
pair() {
  local a=$1 b=$2 pa="PORT_$1" pb="PORT_$2"
  cl "$a" peer add "$(cl "$b" id)" ${!pb:+--addr 127.0.0.1:${!pb}} >/dev/null
  cl "$b" peer add "$(cl "$a" id)" ${!pa:+--addr 127.0.0.1:${!pa}} >/dev/null
}

# same_digest A B… — every device holds the same data (deleted records too)
same_digest() {
  local first; first=$(cl "$1" digest --all)
  for d in "$@"; do [ "$(cl "$d" digest --all)" = "$first" ] || fail "digest of $d differs from $1"; done
}

# is_paired A B — B is among A's paired devices (not merely pending)
is_paired() {
  cl "$1" peer list --json | sed 's/"pending".*//' | grep -q "$(cl "$2" id)"
}

# ui_login NAME — log curl in to NAME's page as its owner does (clientele
# open --print-url: a one-time link that sets a session cookie); from then on
# every `curl` of the test sends the cookies of $WORK/cookies
ui_login() {
  local url rc=0
  url=$(cl "$1" open --print-url 2>"$WORK/open.err") || fail "open --print-url of $1: $(cat "$WORK/open.err")"
  command curl -s -o /dev/null -b "$WORK/cookies" -c "$WORK/cookies" "$url" || rc=$?
  [ "$rc" = 0 ] || fail "cannot log in to the page of $1 (curl exit $rc on $url; its serve: $(tail -3 "$WORK/$1.log" 2>/dev/null))"
  curl() { command curl -b "$WORK/cookies" "$@"; }
}
