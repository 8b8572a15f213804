#!/usr/bin/env bash
# How far behind a host reader falls on a loaded host, to size
# xenchanneld's per-channel bound (--buffer-limit): a guest writes as fast
# as it can through the daemon (socket channel, default settings) to a
# reader that reads as fast as it can; the reader times the gaps between
# its reads for BENCH_LAG_SECONDS (5) and reports the relay rate and the
# gaps' p50/p99/p99.9/max. Each of BENCH_LAG_RUNS (3) runs is done on a
# quiet host, then beside two busy processes (`yes`, unpinned), then with
# the reader sharing CPU 0 with a busy process pinned there (where the
# issue saw a 1 MiB bound lose bytes every time). While the
# reader does not read, the daemon buffers rate x gap bytes (an upper
# bound: a gap may also be the reader waiting for a daemon that was not
# running, which buffers nothing): the bound must exceed that. The writer
# also publishes its count, so the reader sees directly the most that was
# ever in flight (the daemon's buffer, plus about 400 KiB in the two unix
# sockets and the ring). Figures only, never asserted; also the bytes the
# default bound dropped. Each run has a channel of its own.
set -eu
out=${XCH_OUT:?XCH_OUT not set}
seconds=${BENCH_LAG_SECONDS:-5}
runs=${BENCH_LAG_RUNS:-3}
xenhost=$out/testbed/xenhost
xt=$out/bin/xcd-test
# xcd-test gives up after this many seconds: longer than a run.
export XCD_TEST_TIMEOUT=$((seconds + 300))
forever=$((1 << 50))
tmp=$(mktemp -d)
pids=()
hogs=()
cleanup() {
    local p
    for p in "${hogs[@]}" "${pids[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    "$xenhost" stop "$tmp/host" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/host" "$tmp/guest"
eval "$("$xenhost" start "$tmp/host")"
dom=$("$xenhost" domain-create "$tmp/host" bench)
ctl=$tmp/control.sock

(
    eval "$("$xenhost" env "$tmp/host" --preload)"
    exec "$out/sbin/xenchanneld" --foreground --control "$ctl"
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
"$xt" wait-path "$ctl"
run=0

# One run on a new channel (devid 1, detached afterwards): prints "LABEL rate R MiB/s reads N gap-us
# p50 A p99 B p999 C max D backlog-max B dropped E"; the reader goes on
# reading until the writer is gone, so that nothing it leaves behind
# counts.
measure() { # LABEL [READER-WRAPPER...]
    local label=$1 r w stats dropped name devid=1
    shift
    run=$((run + 1))
    name=org.bench.lag$run
    XENCHANNELD_CONTROL=$ctl "$out/bin/xl-channel" attach "$dom" \
        "devid=$devid,name=$name,connection=socket,path=$tmp/$devid.sock"
    while read -r -t 60 line <&3; do
        [ "$line" = "connected $name" ] && break
    done
    "$xt" wait-path "$tmp/$devid.sock"
    rm -f "$tmp/r.out" "$tmp/counter"
    mkfifo "$tmp/r.out"
    "$@" "$xt" stream --fast --connect "$tmp/$devid.sock" --recv "$forever" \
        --gaps-ms $((seconds * 1000)) --counter "$tmp/counter" \
        >"$tmp/r.out" 2>/dev/null &
    r=$!
    exec 4<"$tmp/r.out"
    "$xt" wait-xs "/local/domain/0/backend/console/$dom/$devid/client-connected" 1
    "$xt" stream --fast --connect "$tmp/guest/$name" --send "$forever" \
        --counter "$tmp/counter" 2>/dev/null &
    w=$!
    read -r -t $((seconds + 120)) stats <&4
    dropped=$("$xt" status "$ctl" "$dom" "$devid" bytes_dropped)
    kill "$w" "$r" 2>/dev/null
    wait "$w" "$r" 2>/dev/null || true
    exec 4<&-
    XENCHANNELD_CONTROL=$ctl "$out/bin/xl-channel" detach "$dom" "$devid"
    echo "$label $stats dropped ${dropped:-0}"
}

results=$tmp/results
for _ in $(seq "$runs"); do
    measure quiet >>"$results" # not in a pipe: devid counts on
    tail -n 1 "$results"
done
yes >/dev/null &
hogs+=($!)
yes >/dev/null &
hogs+=($!)
for _ in $(seq "$runs"); do
    measure two-hogs >>"$results"
    tail -n 1 "$results"
done
kill "${hogs[@]}"
wait "${hogs[@]}" 2>/dev/null || true
hogs=()
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
    taskset -c 0 yes >/dev/null &
    hogs+=($!)
    for _ in $(seq "$runs"); do
        measure reader-shares-cpu0 taskset -c 0 >>"$results"
        tail -n 1 "$results"
    done
    kill "${hogs[@]}"
    wait "${hogs[@]}" 2>/dev/null || true
    hogs=()
fi

# Per condition: the lowest and highest rate, the worst gaps, and what the
# daemon must hold at the highest rate for the longest gap.
awk '{
    label = $1
    for (i = 2; i < NF; i++) {
        if ($i == "rate") rate = $(i + 1)
        if ($i == "p99") p99 = $(i + 1)
        if ($i == "max") max = $(i + 1)
        if ($i == "dropped") dropped = $(i + 1)
        if ($i == "backlog-max") backlog = $(i + 1)
    }
    if (!(label in hi) || rate > hi[label]) hi[label] = rate
    if (!(label in lo) || rate < lo[label]) lo[label] = rate
    if (p99 > wp99[label]) wp99[label] = p99
    if (max > wmax[label]) wmax[label] = max
    if (backlog > wbacklog[label]) wbacklog[label] = backlog
    drops[label] += dropped
    order[++n] = label
} END {
    for (k = 1; k <= n; k++) {
        l = order[k]
        if (done[l]++) continue
        printf "%s: rate %.1f..%.1f MiB/s, worst gap p99 %.1f ms, max %.1f ms;" \
            " rate x max gap = %.1f MiB; most in flight %.1f MiB;" \
            " dropped %d bytes\n", l, lo[l], hi[l], wp99[l] / 1000,
            wmax[l] / 1000, hi[l] * wmax[l] / 1e6, wbacklog[l] / 1048576,
            drops[l]
    }
}' "$results"
echo "default bound (--buffer-limit): 16 MiB"
