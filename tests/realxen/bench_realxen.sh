#!/usr/bin/env bash
# make bench-realxen: one boot of the real-Xen tier running
# tests/realxen/dom0/bench.sh, xenchanneld beside QEMU's channel backend for
# each guest type (PV, PVH, HVM, one after the other); prints a table of
# the figures and the xenchanneld/QEMU ratios per type. Figures, never
# assertions: the exit status only says whether the boot ran.
set -eu
: "${RX_DIR:?}" "${XCH_SRC:?}"
log=$RX_DIR/bench-serial.log
out=$RX_DIR/bench.txt
rm -f "$log"
"$XCH_SRC/tests/realxen/boot.sh" bench "$log" "${RX_BOOT_SECS:-1800}" || true
tr -d '\r' <"$log" | grep -E '^RXT (ok|not ok)' || true
tr -d '\r' <"$log" | sed -n 's/^RXB //p' >"$RX_DIR/bench.raw"
if ! [ -s "$RX_DIR/bench.raw" ]; then
    echo "bench-realxen: no figures; serial log: $log" >&2
    exit 1
fi

# Throughputs: the best of the rounds; round trips: the median. The last
# offline verdict of a channel counts (a "lost" line may turn out "late").
# Keys: MEASURE.TYPE.BACKEND.CONN; one block of rows per guest type.
awk '
function best(k, v) { if (!(k in b) || v + 0 > b[k] + 0) b[k] = v }
$1 ~ /^(g2h|h2g)\./ { best($1, $2) }
$1 ~ /^rtt\./      { b[$1] = $2 }
$1 ~ /^offline\./  { off[$1] = $2 }
{ split($1, f, "."); if (!(f[2] in seen)) { seen[f[2]] = 1; types[++nt] = f[2] } }
function ratio(x, u) { return (u + 0 > 0) ? sprintf("%.2f", x / u) : "-" }
END {
    printf "%-40s %12s %12s %8s\n", "", "xenchanneld", "QEMU", "ratio"
    split("sock pty", cs, " ")
    for (j = 1; j <= nt; j++) {
        t = types[j]
        for (i = 1; i <= 2; i++) {
            c = cs[i]
            x = "." t ".x." c
            u = "." t ".u." c
            printf "%-40s %12.1f %12.1f %8s\n", t " guest->host KiB/s (" c ")",
                b["g2h" x], b["g2h" u], ratio(b["g2h" x], b["g2h" u])
            printf "%-40s %12.1f %12.1f %8s\n", t " host->guest KiB/s (" c ")",
                b["h2g" x], b["h2g" u], ratio(b["h2g" x], b["h2g" u])
            printf "%-40s %12.2f %12.2f %8s\n", t " round trip ms (" c ")",
                b["rtt" x], b["rtt" u], ratio(b["rtt" x], b["rtt" u])
            printf "%-40s %12s %12s\n", t " written with no client (" c ")",
                off["offline" x], off["offline" u]
        }
    }
}' "$RX_DIR/bench.raw" | tee "$out"
echo "serial log: $log; table: $out"
