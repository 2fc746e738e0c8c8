#!/usr/bin/env bash
# Runs every test in the repository on a fresh machine: installs what the tests need, runs them, and ends with one
# line "N passed, N failed" counted from the TRX results and the JavaScript suite's TAP summary. Exits non-zero when
# anything failed or nothing ran.
# Extra arguments go to `dotnet test` (for example --no-build, or --filter "FullyQualifiedName~Resume").
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required (https://dotnet.microsoft.com/download); 'dotnet' was not found on PATH." >&2
    exit 1
fi

# The SignalR adapter's JavaScript suite needs Node.js and npm (for the official @microsoft/signalr client).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
    else
        echo "Node.js and npm are required for the SignalR JavaScript tests; install them (apt-get install nodejs npm)." >&2
        exit 1
    fi
fi

results="${TEST_RESULTS_DIR:-artifacts/test-results}"
rm -rf "$results"
mkdir -p "$results"

status=0
dotnet test RealtimeEvents.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

passed=0
failed=0
shopt -s nullglob
for trx in "$results"/*.trx; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    value() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    passed=$((passed + $(value passed)))
    failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "dotnet test exited with $status without a failed test in the results (build error or crashed test host)." >&2
    failed=1
fi

# The SignalR JavaScript suite runs the official @microsoft/signalr client against the test server built above; its
# TAP summary ("# pass N", "# fail N") counts in the line below.
tap="$results/signalr-js.tap"
js_status=0
REALTIME_SIGNALR_TEST_SERVER="$PWD/tests/RealtimeEvents.SignalR.TestServer/bin/Release/net10.0/RealtimeEvents.SignalR.TestServer.dll" \
    bash tests/RealtimeEvents.SignalR.JsTests/run.sh "$tap" || js_status=$?
js_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
js_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
js_cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
if [ -z "$js_passed" ] || [ -z "$js_failed" ]; then
    echo "The SignalR JavaScript suite left no TAP summary in $tap (exit status $js_status)." >&2
    failed=$((failed + 1))
else
    passed=$((passed + js_passed))
    js_failed=$((js_failed + ${js_cancelled:-0}))
    failed=$((failed + js_failed))
    if [ "$js_status" -ne 0 ] && [ "$js_failed" -eq 0 ]; then
        echo "The SignalR JavaScript suite exited with $js_status without a failed test." >&2
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
