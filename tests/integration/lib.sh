# Shared helpers of the integration tests (sourced). Every test runs in its own
# temporary folder, talks only to 127.0.0.1, and cleans up its processes.
set -euo pipefail
BIN=${CLIENTELE_BIN:?CLIENTELE_BIN must name the clientele binary}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/clientele-it-XXXXXX")
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# cl NAME ARGS… — run clientele on device NAME's data folder
cl() { local d=$1; shift; "$BIN" --data "$WORK/$d" "$@"; }

# expect_exit CODE CMD… — run CMD, check its exit status, keep its stderr in $ERR
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$WORK/.out" 2>"$WORK/.err"; local got=$?; set -e
  ERR=$(cat "$WORK/.err"); OUT=$(cat "$WORK/.out")
  [ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want (stderr: $ERR)"
}

# free_port — a TCP port on 127.0.0.1 nobody listens on right now
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}

# wait_port PORT — until something listens on 127.0.0.1:PORT (10 s at most)
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1"
}
