#!/usr/bin/env bash
# Runs the JavaScript tests of the browser client (src/RealtimeEvents.AspNetCore/Client/client.js) in Node, with `ws` and
# `eventsource` injected as its WebSocket and EventSource, against RealtimeEvents on a real Kestrel host
# (RealtimeEvents.SignalR.TestServer, started by the tests). Prints node's spec report and writes a TAP report whose
# summary lines ("# pass N", "# fail N") callers count.
#   $1 (optional): the TAP file to write. The default is artifacts/test-results/client-js.tap under the repository.
#   REALTIME_SIGNALR_TEST_SERVER (optional): the test server's dll. The default is the Release build next to this folder.
# Exits non-zero when a test failed or could not run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
results="${1:-$here/../../artifacts/test-results/client-js.tap}"
mkdir -p "$(dirname "$results")"
results="$(cd "$(dirname "$results")" && pwd)/$(basename "$results")"
cd "$here"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js 20 or later with npm is required for the browser client's JavaScript tests; 'node' or 'npm' was not found on PATH." >&2
    exit 1
fi

# npm ci when node_modules is missing or older than the lock file (npm writes node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

if [ -z "${REALTIME_SIGNALR_TEST_SERVER:-}" ]; then
    # Run on its own: build the test server (incremental, so a current build costs little), never test a stale one.
    dotnet build ../RealtimeEvents.SignalR.TestServer -c Release --nologo -v quiet
fi

# One file at a time: each file starts its own server.
exec node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results" \
    ./*.test.mjs
