#!/usr/bin/env bash
# The browser client's JavaScript tests (src/RealtimeEvents.AspNetCore/Client/client.js in Node, with `ws` and
# `eventsource` as its WebSocket and EventSource) against a real Kestrel host. Arguments: see tests/run-js-suite.sh.
exec bash "$(dirname "$0")/../run-js-suite.sh" "$(dirname "$0")" "$@"
