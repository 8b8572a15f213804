#!/usr/bin/env bash
# Event channels and grants of the xensim preload between two processes:
# runs tests/testbed/test_evtchn.c under the preload. Prints TAP.
set -u
src=${XCH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${XCH_OUT:-$src/build}
xenhost=$out/testbed/xenhost

T=$(mktemp -d)
trap '"$xenhost" stop "$T" >/dev/null 2>&1; rm -rf "$T"' EXIT
trap 'exit 143' TERM INT # so that the EXIT trap runs on a timeout too
"$xenhost" start "$T" >/dev/null || {
    echo "Bail out! xenhost start failed"
    exit 1
}
eval "$("$xenhost" env "$T" --preload)"
"$out/testbed/test_evtchn" &
wait $! # interruptible: a timeout still cleans up
