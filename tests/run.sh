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
# the browser client), Chromium (the sample dashboard's browser tests drive Debian's /usr/bin/chromium through
# Playwright, which must not download browsers of its own), and RabbitMQ (tests/rabbitmq/test-broker.sh runs private
# brokers from the package's scripts in /usr/lib/rabbitmq/bin).
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        echo "Installing ${missing[*]} with apt-get."
        # RUNLEVEL=1: without systemd, the packages' scripts start services through invoke-rc.d, which starts a
        # service only when it has a start link in the current runlevel, read from $RUNLEVEL; rabbitmq-server has none
        # in runlevel 1, so the system broker is not started. (Under systemd it may start anyway; the tests never use
        # or touch it: their brokers have ports, epmd and data of their own.)
        apt-get update -qq && RUNLEVEL=1 apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "The tests need ${missing[*]}; install them (apt-get install ${missing[*]})." >&2
        exit 1
    fi
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# A private RabbitMQ broker for the tests (127.0.0.1 only, its own ports and epmd, data in a temporary directory),
# destroyed on exit, whether the tests pass, fail or are interrupted. Tests find it in REALTIME_RABBITMQ_URI and can
# start brokers of their own with REALTIME_RABBITMQ_BROKER_SCRIPT, under REALTIME_RABBITMQ_PRIVATE_BROKERS, which is
# cleaned up here too (a test process that was killed cannot stop its own). A REALTIME_RABBITMQ_URI already set is used
# as is.
export REALTIME_RABBITMQ_BROKER_SCRIPT="$PWD/tests/rabbitmq/test-broker.sh"
broker_tmp=$(mktemp -d)
export REALTIME_RABBITMQ_PRIVATE_BROKERS="$broker_tmp/private"
mkdir -p "$REALTIME_RABBITMQ_PRIVATE_BROKERS"
own_broker=
destroy_brokers() {
    local dir
    for dir in "$REALTIME_RABBITMQ_PRIVATE_BROKERS"/*/; do
        [ -d "$dir" ] || continue
        bash "$REALTIME_RABBITMQ_BROKER_SCRIPT" destroy "${dir%/}" >/dev/null 2>&1 || true
    done
    if [ -n "$own_broker" ]; then
        bash "$REALTIME_RABBITMQ_BROKER_SCRIPT" destroy "$own_broker" >/dev/null 2>&1 || true
    fi
    rm -rf "$broker_tmp"
}
trap destroy_brokers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${REALTIME_RABBITMQ_URI:-}" ]; then
    own_broker="$broker_tmp/broker"
    if ! REALTIME_RABBITMQ_URI=$(bash "$REALTIME_RABBITMQ_BROKER_SCRIPT" start "$own_broker"); then
        echo "The test RabbitMQ broker did not start (see above)." >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    export REALTIME_RABBITMQ_URI
    echo "RabbitMQ for the tests: $REALTIME_RABBITMQ_URI"
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

# Brokers go before the summary, so it stays the last line of the output.
destroy_brokers
trap - EXIT
echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
