# Shared by the DAV tests (tests/http/test_dav.sh, test_caldav.sh,
# test_dav_tls.sh, test_litmus.sh); sourced after tests/integration/lib.sh.
# A test sets D (the server's …/dav URL), DAV_USER and PW (an app password
# from `clientele dav add`).

# dav METHOD PATH [curl args]: curl as the DAV client; sets STATUS and BODY
# (the headers in $WORK/.hdr)
dav() {
  local m=$1 p=$2; shift 2
  STATUS=$(command curl -s -o "$WORK/.body" -D "$WORK/.hdr" -w '%{http_code}' --max-time 20 -X "$m" \
    -u "$DAV_USER:$PW" "$@" "$D$p")
  BODY=$(cat "$WORK/.body")
}

expect() { # expect STATUS GREP-PATTERN DESCRIPTION
  [ "$STATUS" = "$1" ] || fail "$3: status $STATUS, expected $1 (body: ${BODY:0:600})"
  [ -z "$2" ] || grep -Eq "$2" <<<"$BODY" || fail "$3: the answer lacks /$2/ (body: ${BODY:0:800})"
  pass "$3"
}

# vdir_conf TYPE URL EXT [more lines for the DAV storage]: a vdirsyncer
# config ($WORK/vdir.conf) that pairs the collection at URL (TYPE carddav or
# caldav) with the folder $WORK/vdir/ of EXT files; vsync runs it.
vdir_conf() {
  local type=$1 url=$2 ext=$3; shift 3
  mkdir -p "$WORK/vdir" "$WORK/status"
  {
    printf '[general]\nstatus_path = "%s/status/"\n\n' "$WORK"
    printf '[pair book]\na = "local"\nb = "dav"\ncollections = null\nconflict_resolution = "a wins"\n\n'
    printf '[storage local]\ntype = "filesystem"\npath = "%s/vdir/"\nfileext = "%s"\n\n' "$WORK" "$ext"
    printf '[storage dav]\ntype = "%s"\nurl = "%s"\nusername = "%s"\npassword = "%s"\n' "$type" "$url" "$DAV_USER" "$PW"
    printf '%s\n' "$@"
  } >"$WORK/vdir.conf"
}
vsync() { vdirsyncer -c "$WORK/vdir.conf" "$@" >"$WORK/vdir.out" 2>&1 || fail "vdirsyncer $*: $(cat "$WORK/vdir.out")"; }
