#!/usr/bin/env bash
# A guest's xenbus bridge multiplexes several libxenstore clients: runs
# tests/testbed/test_bridge.c as a guest of a fresh testbed. Prints TAP.
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
D=$("$xenhost" domain-create "$T" muxguest) || {
    echo "Bail out! domain-create failed"
    exit 1
}
eval "$("$xenhost" guest-env "$T" "$D")"
"$out/testbed/test_bridge" &
wait $! # interruptible: a timeout still cleans up
