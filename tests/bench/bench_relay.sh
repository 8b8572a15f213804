#!/usr/bin/env bash
# Guest -> host throughput through xenchanneld (socket channel), next to
# the raw console ring throughput (bench_ring --mode stream) measured in
# the same run, and their ratio. Figures only, never asserted. A private
# simulated host: xenstored, the daemon, the guest simulator; the guest's
# writer and the host's reader are xcd-test in --fast mode (no checking).
set -eu
out=${XCH_OUT:?XCH_OUT not set}
bytes=${BENCH_BYTES:-$((256 << 20))}
xenhost=$out/testbed/xenhost
xt=$out/bin/xcd-test
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    "$xenhost" stop "$tmp/host" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/host" "$tmp/guest"
eval "$("$xenhost" start "$tmp/host")"
dom=$("$xenhost" domain-create "$tmp/host" bench)

(
    eval "$("$xenhost" env "$tmp/host" --preload)"
    exec "$out/sbin/xenchanneld" --foreground --control "$tmp/control.sock"
) 2>"$tmp/xenchanneld.err" &
pids+=($!)
mkfifo "$tmp/gs.out"
(
    eval "$("$xenhost" guest-env "$tmp/host" "$dom" --preload)"
    exec "$out/bin/xch-guestsim" --dir "$tmp/guest" --foreground
) >"$tmp/gs.out" 2>"$tmp/guestsim.err" &
pids+=($!)
exec 3<"$tmp/gs.out"
read -r -t 60 line <&3 # ready
"$out/bin/xl-channel" attach "$dom" \
    "name=org.bench,connection=socket,path=$tmp/host.sock"
while read -r -t 60 line <&3; do
    [ "$line" = "connected org.bench" ] && break
done
"$xt" wait-path "$tmp/host.sock"

start=$(date +%s%N)
"$xt" stream --fast --connect "$tmp/guest/org.bench" --send "$bytes" &
w=$!
"$xt" stream --fast --connect "$tmp/host.sock" --recv "$bytes"
end=$(date +%s%N)
wait $w
relay=$(awk -v b="$bytes" -v ns=$((end - start)) \
    'BEGIN { printf "%.1f", b / 1048576 / (ns / 1e9) }')
echo "relay guest -> host through xenchanneld: $bytes bytes: $relay MiB/s"

ring=$(
    export XENSIM_DIR=$tmp/ring XENSIM_DOMID=0 LD_PRELOAD=$out/lib/xensim.so
    export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    mkdir -p "$XENSIM_DIR"
    LD_PRELOAD="" "$out/testbed/xensim-ctl" init
    LD_PRELOAD="" "$out/testbed/xensim-ctl" domain-state 1 running
    "$out/bench/bench_ring" --mode stream --bytes "$bytes"
)
echo "$ring"
ringrate=$(echo "$ring" | sed -n 's/.*: \([0-9.]*\) MiB\/s$/\1/p' | tail -n 1)
awk -v r="$relay" -v g="$ringrate" 'BEGIN {
    if (g > 0) printf "relay / raw ring: %.2f\n", r / g }'
