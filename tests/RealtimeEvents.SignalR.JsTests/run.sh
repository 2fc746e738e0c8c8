#!/usr/bin/env bash
# The official @microsoft/signalr client against RealtimeEventsHub on a real Kestrel host. Arguments: see
# tests/run-js-suite.sh.
exec bash "$(dirname "$0")/../run-js-suite.sh" "$(dirname "$0")" "$@"
