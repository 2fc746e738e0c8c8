#!/usr/bin/env bash
# Runs every test in the repository on a fresh machine: installs what the tests need, runs them, and ends with one
# line "N passed, N failed" counted from the TRX results. Exits non-zero when anything failed or nothing ran.
# Extra arguments go to `dotnet test` (for example --no-build, or --filter "FullyQualifiedName~Resume").
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required (https://dotnet.microsoft.com/download); 'dotnet' was not found on PATH." >&2
    exit 1
fi

# The core package's tests need nothing beyond the SDK. Later packages add their installs here (a broker, a browser).

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

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
    exit 1
fi
