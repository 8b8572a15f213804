#!/bin/sh
# Replay every fuzz target over its checked-in corpus (no mutation): a
# regression check that is deterministic and takes well under a second.
set -u
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:-.}
rc=0
n=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
for corpus in "$src"/tests/fuzz/corpus/*/; do
    name=$(basename "$corpus")
    n=$((n + 1))
    if "$out/fuzz/$name" -runs=0 "$corpus" >"$log" 2>&1
    then
        echo "ok $n - $name replays its corpus"
    else
        echo "not ok $n - $name replays its corpus"
        cat "$log"
        rc=1
    fi
done
[ "$n" -gt 0 ] || { echo "not ok 1 - no fuzz corpus found"; echo "1..1"; exit 1; }
echo "1..$n"
exit $rc
