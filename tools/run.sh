#!/usr/bin/env bash
# Build clientele (installing what is missing) and start it on the default
# data folder: the page at http://127.0.0.1:8080. Extra arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCLIENTELE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
exec build/clientele serve "$@"
