#!/bin/sh
# Console ring throughput between two processes through the testbed's
# preload (bench_ring), next to a pipe moving the same bytes in ring-sized
# writes between two processes (bench_ring --mode pipe) for comparison.
# Figures only. Runs in a private simulated host (no xenstored needed).
set -eu
out=${XCH_OUT:?XCH_OUT not set}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
XENSIM_DIR=$dir "$out/testbed/xensim-ctl" init
XENSIM_DIR=$dir "$out/testbed/xensim-ctl" domain-state 1 running
export XENSIM_DIR="$dir" XENSIM_DOMID=0 LD_PRELOAD="$out/lib/xensim.so"
export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
"$out/bench/bench_ring" --mode stream
"$out/bench/bench_ring" --mode echo --bytes $((64 << 20))
"$out/bench/bench_ring" --mode pipe
