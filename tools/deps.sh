#!/usr/bin/env bash
# Install the Debian packages clientele needs, only those missing.
#   tools/deps.sh build   — to build and run
#   tools/deps.sh test    — to build and run the whole test suite (adds cmocka,
#                           clang for the fuzzers, Chromium, Node.js and npm)
set -euo pipefail
what=${1:-build}
pkgs=(ca-certificates gcc libc6-dev make cmake pkg-config
      liblmdb-dev libmbedtls-dev libcjson-dev libcivetweb-dev libexpat1-dev)
if [ "$what" = test ]; then
  pkgs+=(libcmocka-dev lmdb-utils curl procps chromium fonts-dejavu-core nodejs npm python3 python3-vobject python3-cryptography)
  pkgs+=(vdirsyncer python3-caldav)   # real CardDAV/CalDAV clients (tests/http/test_dav.sh)
  pkgs+=(litmus)   # the WebDAV conformance suite, on the folder /dav/files/ (tests/http/test_litmus.sh)
  pkgs+=(man-db groff-base)   # the man page test renders docs/clientele.1
fi
missing=()
for p in "${pkgs[@]}"; do
  # node from another packaging (nodesource) counts as installed
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
