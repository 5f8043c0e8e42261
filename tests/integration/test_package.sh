#!/usr/bin/env bash
# The .deb: build it with cpack from the build folder (into a temporary
# folder, so the build tree is left alone), check its control fields and its
# Depends against the libraries the binary really links, check its contents,
# then unpack it with dpkg -x into a clean folder and run the unpacked binary.
# Skipped (exit 77) where dpkg-deb is missing and in the sanitizer build.
source "$(dirname "$0")/lib.sh"
SRC=${CLIENTELE_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${CLIENTELE_BUILD:?CLIENTELE_BUILD must name the build folder}

skip() { echo "SKIP: $*"; exit 77; }
command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed: cannot build or inspect a .deb"
if [ "${CLIENTELE_SANITIZE:-0}" = 1 ] || grep -q '^CLIENTELE_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  skip "sanitizer build: the .deb is built and checked from the Release build"
fi
CPACK=${CLIENTELE_CPACK:-}
[ -n "$CPACK" ] && [ -x "$CPACK" ] || CPACK=$(command -v cpack || true)
[ -n "$CPACK" ] || skip "cpack is not installed"
[ -f "$BUILD/CPackConfig.cmake" ] || fail "$BUILD/CPackConfig.cmake missing: tools/package.cmake not included?"

# --- build the package ---
# With the Makefile generator, cpack first builds the 'preinstall' target, which
# would relink the binary under the feet of the tests running beside this one
# whenever a source changed since the build. Naming the Ninja generator (it has
# no preinstall step; ninja itself is never run) packages the build as it is.
nobuild=()
grep -q '^set(CPACK_CMAKE_GENERATOR "Unix Makefiles")' "$BUILD/CPackConfig.cmake" &&
  nobuild=(-D CPACK_CMAKE_GENERATOR=Ninja)
"$CPACK" --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" "${nobuild[@]}" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; fail "cpack failed"; }
shopt -s nullglob
debs=("$WORK"/pkg/clientele_*.deb)
[ ${#debs[@]} -eq 1 ] || { cat "$WORK/cpack.log" >&2; fail "expected one clientele_*.deb, got: ${debs[*]:-none}"; }
grep -qi "warning\|error" "$WORK/cpack.log" && { cat "$WORK/cpack.log" >&2; fail "cpack warned"; }
DEB=${debs[0]}
pass "cpack built $(basename "$DEB")"

# --- control fields ---
field() { dpkg-deb -f "$DEB" "$1"; }
version=$(sed -n 's/^project(clientele VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ "$(field Package)" = clientele ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version-1" ] || fail "Version is '$(field Version)', expected $version-1"
if command -v dpkg >/dev/null; then
  arch=$(dpkg --print-architecture)
  [ "$(field Architecture)" = "$arch" ] || fail "Architecture is '$(field Architecture)', expected $arch"
fi
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
[ -n "$(field Description)" ] || fail "no Description"
dpkg-deb -I "$DEB" >"$WORK/info" || fail "dpkg-deb -I failed"
depends=$(field Depends)
# the package names of the Debian 12 runtime libraries (dpkg -S on their .so files)
for p in libc6 liblmdb0 libmbedtls14 libmbedx509-1 libmbedcrypto7 libcjson1 libcivetweb1 libexpat1; do
  grep -Eq "(^|, )$p( \(|,|$)" <<<"$depends" || fail "Depends lacks $p: $depends"
done
dep_names=$(tr ',' '\n' <<<"$depends" | sed -E 's/^ +//; s/ .*//')
if command -v dpkg-query >/dev/null; then
  for p in $dep_names; do
    # each one is a real package: the build machine has it installed (as a
    # dependency of the -dev package the build used)
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
      fail "Depends names '$p', which is not an installed Debian package here"
  done
  pass "Depends: $depends"
fi

# Every library the binary needs belongs to a package named in Depends.
if command -v readelf >/dev/null && command -v ldd >/dev/null; then
  ldd "$BIN" >"$WORK/ldd" || fail "ldd $BIN failed"
  for lib in $(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    path=$(awk -v l="$lib" '$1 == l && $3 ~ /^\// {print $3}' "$WORK/ldd")
    [ -n "$path" ] || fail "cannot find where $lib comes from"
    owner=""
    for cand in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
      owner=$(dpkg -S "$cand" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$owner" ] && break
    done
    [ -n "$owner" ] || fail "no Debian package owns $path ($lib)"
    grep -qx "$owner" <<<"$dep_names" || fail "$lib comes from $owner, which Depends lacks"
    echo "  $lib -> $owner"
  done
  pass "every NEEDED library of the binary belongs to a package in Depends"
fi

# --- contents ---
dpkg-deb -c "$DEB" >"$WORK/contents" || fail "dpkg-deb -c failed"
has() {  # has MODE PATH
  grep -Eq "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" "$WORK/contents" ||
    { cat "$WORK/contents" >&2; fail "the package lacks $2 (mode $1, root/root)"; }
}
has -rwxr-xr-x usr/bin/clientele
has -rw-r--r-- usr/share/man/man1/clientele.1.gz
has -rw-r--r-- usr/lib/systemd/user/clientele.service
has -rw-r--r-- usr/share/bash-completion/completions/clientele
has -rw-r--r-- usr/share/doc/clientele/README.md
has -rw-r--r-- usr/share/doc/clientele/operations.md
awk '{print $6}' "$WORK/contents" | grep -v '^\./usr/' | grep -vx '\./' &&
  fail "files outside /usr in the package"
grep -q "$BUILD\|$SRC" "$WORK/contents" && fail "build paths in the package"
awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" {print; bad=1} END {exit bad}' "$WORK/contents" ||
  fail "folders in the package must be 0755"
pass "contents: binary, man page, systemd user unit, bash completion, docs"

# --- unpack in a clean folder and run it ---
ROOT=$WORK/root
dpkg -x "$DEB" "$ROOT" || fail "dpkg -x failed"
X=$ROOT/usr/bin/clientele
expect_exit 0 "$X" --version
grep -q "^clientele $version" <<<"$OUT" || fail "--version printed '$OUT'"
pass "unpacked binary: $OUT"
expect_exit 0 "$X" --help
grep -q '^usage: clientele' <<<"$OUT" || fail "--help printed '$OUT'"
expect_exit 0 "$X" --data "$WORK/dev" init --name packaged
[ -n "$OUT" ] || fail "init printed no device id"
expect_exit 0 "$X" --data "$WORK/dev" id
pass "unpacked binary creates a data folder"

cmp -s "$ROOT/usr/lib/systemd/user/clientele.service" "$SRC/tools/clientele.service" ||
  fail "the packaged unit differs from tools/clientele.service"
cmp -s "$ROOT/usr/share/bash-completion/completions/clientele" "$SRC/tools/clientele.bash-completion" ||
  fail "the packaged completion differs from tools/clientele.bash-completion"
gzip -dc "$ROOT/usr/share/man/man1/clientele.1.gz" | cmp -s - "$SRC/docs/clientele.1" ||
  fail "the packaged man page differs from docs/clientele.1"
if command -v man >/dev/null; then
  MANWIDTH=80 MANPAGER=cat PAGER=cat man --warnings -l "$ROOT/usr/share/man/man1/clientele.1.gz" \
    >"$WORK/man.txt" 2>"$WORK/man.err" || fail "man cannot render the packaged page"
  [ ! -s "$WORK/man.err" ] || fail "man warnings: $(cat "$WORK/man.err")"
fi
pass "packaged unit, completion and man page are the ones in the sources"
echo "ok: package $(basename "$DEB")"
