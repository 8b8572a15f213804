#!/usr/bin/env bash
# make bench-plots: throughput against write size, from the figures the
# last `make bench` kept ($XCH_OUT/bench/last/results.txt), one PNG per
# direction and pinning, into docs/performance/ (gnuplot: gnuplot-nox).
# BENCH_RESULTS names another results file.
set -eu
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
results=${BENCH_RESULTS:-$out/bench/last/results.txt}
dest=$src/docs/performance
command -v gnuplot >/dev/null ||
    { echo "bench-plots: gnuplot is not installed (gnuplot-nox)" >&2; exit 1; }
[ -f "$results" ] || { echo "bench-plots: no $results: run make bench" >&2; exit 1; }
mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One data file per series: size median min max.
series() { # PIN DIR RELAY KIND
    awk -v p="$1" -v d="$2" -v r="$3" -v k="$4" '
    {
        delete f
        for (i = 1; i <= NF; i++) {
            e = index($i, "=")
            if (e) f[substr($i, 1, e - 1)] = substr($i, e + 1)
        }
        if (f["pin"] == p && f["case"] == d && f["relay"] == r && f["kind"] == k) {
            split(f["mib_s"], m, ":")
            print f["size"], m[1], m[2], m[3]
        }
    }' "$results" | sort -n
}

for pin in one split; do
    for dir in g2h h2g; do
        n=0
        plot=""
        for s in "daemon socket" "daemon pty" "minimal socket" "minimal pty" \
            "ring -" "socat socket"; do
            read -r relay kind <<<"$s"
            f=$tmp/$pin-$dir-$relay-$kind.dat
            series "$pin" "$dir" "$relay" "$kind" >"$f"
            [ -s "$f" ] || continue
            n=$((n + 1))
            case $relay in
            daemon) title="xenchanneld, $kind" ;;
            minimal) title="minimal relay, $kind" ;;
            ring) title="raw ring (no relay)" ;;
            socat) title="socat pty <-> unix socket (no ring)" ;;
            esac
            plot+="${plot:+, }'$f' using 1:2:3:4 with yerrorlines lw 2 title '$title'"
        done
        [ "$n" -gt 0 ] || continue
        what=$([ "$dir" = g2h ] && echo "guest -> host" || echo "host -> guest")
        where=$([ "$pin" = one ] && echo "all on one CPU" ||
            echo "guest on CPU 0, relay and client on CPU 1")
        gnuplot <<EOF
set terminal pngcairo size 900,560 font "sans,10"
set output '$dest/throughput-$dir-$pin.png'
set title "Throughput $what, $where (median, min-max)"
set xlabel "write size (bytes)"
set ylabel "MiB/s"
set logscale x 2
set logscale y 10
set format x "%.0f"
set key inside bottom right box opaque
set grid
plot $plot
EOF
        echo "bench-plots: $dest/throughput-$dir-$pin.png"
    done
done
