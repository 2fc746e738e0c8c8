#!/usr/bin/env bash
# Runs one JavaScript test suite (a tests/*.JsTests folder) with node's built-in runner against the test server
# (RealtimeEvents.SignalR.TestServer, which the tests start). Prints node's spec report and writes a TAP report whose
# summary lines ("# pass N", "# fail N", "# cancelled N") tests/run.sh counts.
#   $1: the suite's folder.
#   $2 (optional): the TAP file to write. The default is artifacts/test-results/<suite>.tap under the repository.
#   REALTIME_SIGNALR_TEST_SERVER (optional): the test server's dll. Without it the server is built (incrementally) first.
# Exits non-zero when a test failed or could not run. One file at a time: each file starts its own server.
set -euo pipefail
suite="$(cd "$1" && pwd)"
name="$(basename "$suite")"
results="${2:-$suite/../../artifacts/test-results/$name.tap}"
mkdir -p "$(dirname "$results")"
results="$(cd "$(dirname "$results")" && pwd)/$(basename "$results")"
cd "$suite"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Node.js 20 or later with npm is required for $name; 'node' or 'npm' was not found on PATH." >&2
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

exec node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results" \
    ./*.test.mjs
