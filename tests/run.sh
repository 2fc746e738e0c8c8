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

# What the tests need beyond the SDK: Node.js and npm (the JavaScript suites: the official @microsoft/signalr client and
# the browser client), and Chromium (the sample dashboard's browser tests drive Debian's /usr/bin/chromium through
# Playwright, which must not download browsers of its own).
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        echo "Installing ${missing[*]} with apt-get."
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "The tests need ${missing[*]}; install them (apt-get install ${missing[*]})." >&2
        exit 1
    fi
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

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

# The JavaScript suites (tests/*.JsTests: the official @microsoft/signalr client, and the browser client) run against
# the test server built above; each one's TAP summary ("# pass N", "# fail N", "# cancelled N") counts in the line below.
export REALTIME_SIGNALR_TEST_SERVER="$PWD/tests/RealtimeEvents.SignalR.TestServer/bin/Release/net10.0/RealtimeEvents.SignalR.TestServer.dll"
for suite in tests/*.JsTests; do
    name=$(basename "$suite")
    tap="$results/$name.tap"
    js_status=0
    bash "$suite/run.sh" "$tap" || js_status=$?
    js_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
    js_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
    js_cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
    if [ -z "$js_passed" ] || [ -z "$js_failed" ]; then
        echo "$name left no TAP summary in $tap (exit status $js_status)." >&2
        failed=$((failed + 1))
        continue
    fi

    passed=$((passed + js_passed))
    js_failed=$((js_failed + ${js_cancelled:-0}))
    failed=$((failed + js_failed))
    if [ "$js_status" -ne 0 ] && [ "$js_failed" -eq 0 ]; then
        echo "$name exited with $js_status without a failed test." >&2
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
