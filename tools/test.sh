#!/usr/bin/env bash
# Build clientele (installing what is missing) and run the whole test suite.
#   tools/test.sh              — the Release build in build/
#   tools/test.sh --sanitize   — the AddressSanitizer + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test
dir=build flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = --sanitize ]; then
  dir=build-asan flags=(-DCMAKE_BUILD_TYPE=Debug -DCLIENTELE_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)"
ctest --test-dir "$dir" --output-on-failure -j2
