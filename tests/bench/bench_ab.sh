#!/usr/bin/env bash
# Compares two xenchanneld binaries on make bench's relay cases (the
# daemon's alone), interleaved: RUNS (5) runs of each, A then B, each run
# a fresh simulated host. For every case the median over the runs of each
# run's median, B / A, and the daemon's CPU per MiB (or per event) B / A.
#   XCH_OUT=build XCH_SRC=. tests/bench/bench_ab.sh XCD-A XCD-B [RUNS]
#   tests/bench/bench_ab.sh --report DIR   (the table of runs kept in DIR)
# BENCH_* variables pass to bench.sh. Figures only.
set -eu
if [ "${1:-}" = --report ]; then
    keep=${2:?--report DIR}
    runs=0
else
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
a=${1:?usage: bench_ab.sh XCD-A XCD-B [RUNS]}
b=${2:?usage: bench_ab.sh XCD-A XCD-B [RUNS]}
runs=${3:-5}
keep=${BENCH_AB_DIR:-$(mktemp -d)}
mkdir -p "$keep"
echo "bench_ab: A $a, B $b, $runs runs; load $(cut -d' ' -f1-3 /proc/loadavg); results in $keep" >&2
for ((i = 1; i <= runs; i++)); do
    for v in A B; do
        bin=$a
        [ "$v" = B ] && bin=$b
        echo "bench_ab: run $i $v" >&2
        BENCH_XCD=$bin BENCH_PHASES=relay BENCH_ONLY=daemon \
            "$src/tests/bench/bench.sh" >/dev/null
        cp "$out/bench/last/results.txt" "$keep/$v.$i"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
awk '
function med(s,    a) { split(s, a, ":"); return a[1] + 0 }
function median(list,    n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++)
        for (j = i + 1; j <= n; j++)
            if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n ? (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2) : 0
}
{
    v = FILENAME; sub(/.*\//, "", v); sub(/\..*/, "", v)
    delete f
    for (i = 1; i <= NF; i++) {
        e = index($i, "=")
        if (e) f[substr($i, 1, e - 1)] = substr($i, e + 1)
    }
    if (f["relay"] != "daemon") next
    k = f["pin"] " " f["kind"] " " f["case"] " " f["size"]
    if (!(k in seen)) { seen[k] = 1; order[++n] = k }
    if (f["case"] == "ping") { x = med(f["p50"]); y = med(f["p99"]) }
    else if (f["case"] == "tick") { x = med(f["event_us"]); y = med(f["events_per_s"]) }
    else { x = med(f["mib_s"]); y = med(f["cpu_us_per_mib"]) }
    fx[k, v] = fx[k, v] " " x
    fy[k, v] = fy[k, v] " " y
}
END {
    printf "%-28s %10s %10s %6s   %10s %10s %6s\n", "pin kind case size", "A", "B", "B/A", "A 2nd", "B 2nd", "B/A"
    print "(throughput: MiB/s, then CPU us/MiB; ping: p50, then p99 us; tick: CPU us/event, then events/s)"
    for (i = 1; i <= n; i++) {
        k = order[i]
        xa = median(fx[k, "A"]); xb = median(fx[k, "B"])
        ya = median(fy[k, "A"]); yb = median(fy[k, "B"])
        printf "%-28s %10.4g %10.4g %6.2f   %10.4g %10.4g %6.2f\n", k, xa, xb, (xa > 0 ? xb / xa : 0), ya, yb, (ya > 0 ? yb / ya : 0)
    }
}' "$keep"/A.* "$keep"/B.*
