#!/usr/bin/env bash
# Browser tests (the script named, test_page.cjs unless told): installs playwright-core (pinned in package-lock.json) into the
# build folder with `npm ci`, then drives the real page in Debian's headless
# Chromium (/usr/bin/chromium; a browser is never downloaded).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP: /usr/bin/chromium is missing (tools/deps.sh test installs Debian's chromium)"; exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are missing (tools/deps.sh test installs them)"; exit 77
fi
dir=${CLIENTELE_BUILD:-$here}/browser-node
mkdir -p "$dir"
if ! cmp -s "$here/package-lock.json" "$dir/package-lock.json" || [ ! -d "$dir/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  # never download a browser: playwright-core has no install step, and we say so
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund --loglevel=error)
fi
NODE_PATH="$dir/node_modules" exec timeout 500 node "$here/${1:-test_page.cjs}"
