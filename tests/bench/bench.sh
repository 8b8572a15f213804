#!/usr/bin/env bash
# make bench: xenchanneld's relay next to its baselines, one table.
#
# Every figure is measured in this run, on a private simulated host (real
# xenstored, the xensim preload), and is the median of BENCH_REPS (3)
# repetitions with their min and max. A repetition runs for a fixed time:
# BENCH_WARMUP (0.1 s) not counted, then BENCH_SECONDS (0.4 s) counted
# (pings: BENCH_PING_SECONDS, 1 s). The guest is tests/bench/bench_guest
# writing and reading its ring directly; the host end is bench_run.
#
# What is relayed (ring -> one process -> unix socket or pty, and back):
#   daemon    xenchanneld, a socket channel and a pty channel
#   minimal   tests/bench/bench_minrelay, the smallest relay with the same
#             hops (the point of comparison: ratios are daemon / minimal)
#   raw ring  bench_run as the ring's backend itself: no relay at all
#   socat     socat between a pty and a unix socket, no ring (context)
# Cases: throughput guest->host (g2h) and host->guest (h2g) for write
# sizes BENCH_SIZES (1 64 2048 65536 bytes: a byte, a line, the `out`
# ring, a bulk write); the round trip of a
# one-byte ping; under two pinnings (taskset), "one" (guest, relay and
# client all on CPU 0) and "split" (the guest on CPU 0, the relay and the
# client on CPU 1, as a guest's vCPU and dom0's); and a few cases under
# split beside two CPU hogs (`yes`, unpinned). Then, on a second host with
# BENCH_CHANNELS (1000) channels: the daemon's CPU per guest notification
# that moves data with 1, 100 and 1,000 channels, its memory per idle
# channel, the time of the attaches; and its user-space instructions per
# MiB (callgrind) next to the minimal relay's.
#
# Progress goes to stderr, the table to stdout; the figures are kept in
# $XCH_OUT/bench/last/ for make bench-plots.
set -eu
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
reps=${BENCH_REPS:-3}
secs=${BENCH_SECONDS:-0.4}
warm=${BENCH_WARMUP:-0.1}
ping_secs=${BENCH_PING_SECONDS:-1}
sizes=${BENCH_SIZES:-1 64 2048 65536}
channels=${BENCH_CHANNELS:-1000}
b=$out/bench
xenhost=$out/testbed/xenhost
xt=$out/bin/xcd-test
xl=$out/bin/xl-channel
xcd=${BENCH_XCD:-$out/sbin/xenchanneld} # another build's, to compare
only=${BENCH_ONLY:-} # "daemon": the daemon's cases alone (bench_ab.sh)
last=$b/last
started=$(date +%s)
load_before=$(cut -d" " -f1-3 /proc/loadavg)
tmp=$(mktemp -d /tmp/xcb.XXXXXX) # short: socket paths live in it
A=$tmp/a
B=$tmp/b
res=$tmp/results
pids=()
hogs=()

cleanup() {
    local i p
    set +e
    for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null && wait "${pids[i]}" 2>/dev/null
    done
    "$xenhost" stop "$A" 2>/dev/null
    "$xenhost" stop "$B" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { echo "bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

# Waits (at most 60 s) until FILE has a line; prints its first line.
first_line() {
    local i
    for ((i = 0; i < 6000; i++)); do
        if [ -s "$1" ] && [ "$(wc -l <"$1")" -ge 1 ]; then
            head -n 1 "$1"
            return 0
        fi
        sleep 0.01
    done
    die "nothing in $1; $(cat "${1%.out}.err" 2>/dev/null)"
}

# Waits until FILE has a line matching the extended regexp RE.
wait_grep() { # FILE RE
    local i
    for ((i = 0; i < 12000; i++)); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    die "no '$2' in $1"
}

ncpu=$(nproc)
cpu_guest=0
cpu_host=$((ncpu > 1 ? 1 : 0))

# ---- host A: the relays ----

mkdir -p "$A" "$last"
: >"$res"
say "host A: xenstored, daemon, guests, minimal relays"
eval "$("$xenhost" start "$A")"
envA_lines=$("$xenhost" env "$A" --preload)
envA() { echo "$envA_lines"; }
for d in 1 2 3 4 5; do
    "$xenhost" domain-create "$A" "bench$d" --domid "$d" >/dev/null
done
ctl=$tmp/xcd.sock
(
    eval "$(envA)"
    exec "$xcd" --foreground --control "$ctl"
) 2>"$tmp/xcd.err" &
xcd_pid=$!
pids+=("$xcd_pid")
"$xt" wait-path "$ctl"

# start_guest NAME DOMID MODE...: a bench_guest in $tmp/NAME; its pid in
# gpid[NAME], its first output line in gline[NAME].
declare -A gpid gline
start_guest() {
    local name=$1 dom=$2 dir=$tmp/$1
    shift 2
    mkdir -p "$dir"
    (
        if [ "$dom" = 0 ]; then
            eval "$(envA)"
        else
            eval "$("$xenhost" guest-env "$A" "$dom" --preload)"
        fi
        exec "$b/bench_guest" --ctl "$dir/ctl" --stats "$dir/stats" "$@"
    ) >"$dir/g.out" 2>"$dir/g.err" &
    gpid[$name]=$!
    pids+=($!)
}

XENCHANNELD_CONTROL=$ctl "$xl" attach 1 \
    "name=bench.sock,connection=socket,path=$tmp/d.sock"
XENCHANNELD_CONTROL=$ctl "$xl" attach 2 "name=bench.pty,connection=pty"
start_guest dsock 1 --xs 1
start_guest dpty 2 --xs 1
start_guest msock 3 --direct 0
start_guest mpty 4 --direct 0
start_guest ring 5 --direct 0
for g in dsock dpty msock mpty ring; do
    gline[$g]=$(first_line "$tmp/$g/g.out")
done
"$xt" wait-path "$tmp/d.sock"
dpty_tty=$(xenstore-read /local/domain/2/device/console/1/tty)
[ -n "$dpty_tty" ] || die "the daemon's pty channel has no tty"

start_min() { # NAME GUEST ARGS...: the minimal relay on guest GUEST's ring
    local name=$1 g=$2 ref port dom
    shift 2
    read -r ref port <<<"${gline[$g]}"
    dom=$([ "$g" = msock ] && echo 3 || echo 4)
    (
        eval "$(envA)"
        exec "$b/bench_minrelay" --domid "$dom" --ref "$ref" --port "$port" "$@"
    ) >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    eval "${name}_pid=$!"
}
start_min minsock msock --socket "$tmp/m.sock"
start_min minpty mpty --pty
first_line "$tmp/minsock.out" >/dev/null
mpty_tty=$(first_line "$tmp/minpty.out")
read -r ring_ref ring_port <<<"${gline[ring]}"

# ---- cases ----

pin() { # CPU PID...: every thread
    local p
    for p in "${@:2}"; do taskset -apc "$1" "$p" >/dev/null; done
}

# set_pinning one|split: where the long-lived processes run.
set_pinning() {
    pinning=$1
    if [ "$1" = one ]; then
        gcpu=0 rcpu=0 ccpu=0
    else
        gcpu=$cpu_guest rcpu=$cpu_host ccpu=$cpu_host
    fi
    pin "$gcpu" "${gpid[@]}"
    pin "$rcpu" "$xcd_pid" "$minsock_pid" "$minpty_pid"
}

# run_case RELAY KIND CASE SIZE [SECONDS]: one line of results.
run_case() {
    local relay=$1 kind=$2 case=$3 size=$4 s=${5:-$secs} g ep cpu drops
    local line
    case $relay/$kind in
    daemon/socket) g=dsock ep=(--socket "$tmp/d.sock") cpu=$xcd_pid
        drops="$xt status $ctl 1 1 bytes_dropped" ;;
    daemon/pty) g=dpty ep=(--tty "$dpty_tty") cpu=$xcd_pid
        drops="$xt status $ctl 2 1 bytes_dropped" ;;
    minimal/socket) g=msock ep=(--socket "$tmp/m.sock") cpu=$minsock_pid drops= ;;
    minimal/pty) g=mpty ep=(--tty "$mpty_tty") cpu=$minpty_pid drops= ;;
    ring/-) g=ring ep=(--ring "5:$ring_ref:$ring_port") cpu= drops= ;;
    esac
    line=$(
        eval "$(envA)"
        taskset -c "$ccpu" "$b/bench_run" --guest "$tmp/$g" "${ep[@]}" \
            --case "$case" --size "$size" --seconds "$s" --warmup "$warm" \
            --reps "$reps" ${cpu:+--cpu-pid "$cpu"} ${drops:+--drops "$drops"}
    ) || die "$relay $kind $case $size failed"
    echo "pin=$pinning relay=$relay kind=$kind case=$line" >>"$res"
}

# socat between a pty and a unix socket: a new pair for each case (socat
# serves one connection), the guest's end on the pty.
run_socat() { # CASE SIZE [SECONDS]
    local s=${3:-$secs} spid gp line
    rm -f "$tmp/s.pty" "$tmp/s.sock"
    mkdir -p "$tmp/socat"
    taskset -c "$rcpu" socat "PTY,link=$tmp/s.pty,raw,echo=0" \
        "UNIX-LISTEN:$tmp/s.sock" 2>>"$tmp/socat.err" &
    spid=$!
    "$xt" wait-path "$tmp/s.sock"
    "$xt" wait-path "$tmp/s.pty"
    taskset -c "$gcpu" "$b/bench_guest" --ctl "$tmp/socat/ctl" \
        --stats "$tmp/socat/stats" --tty "$tmp/s.pty" \
        >"$tmp/socat/g.out" 2>"$tmp/socat/g.err" &
    gp=$!
    first_line "$tmp/socat/g.out" >/dev/null
    line=$(taskset -c "$ccpu" "$b/bench_run" --guest "$tmp/socat" \
        --socket "$tmp/s.sock" --case "$1" --size "$2" --seconds "$s" \
        --warmup "$warm" --reps "$reps" --cpu-pid "$spid") ||
        die "socat $1 $2 failed"
    kill "$gp" "$spid" 2>/dev/null || true
    wait "$gp" "$spid" 2>/dev/null || true
    rm -f "$tmp/socat/g.out"
    echo "pin=$pinning relay=socat kind=socket case=$line" >>"$res"
}

# Baselines are skipped when only the daemon is wanted.
baseline() { [ "$only" != daemon ] && "$@"; return 0; }

throughput_and_ping() {
    local dir size kind
    for dir in g2h h2g; do
        for size in $sizes; do
            for kind in socket pty; do
                run_case daemon "$kind" "$dir" "$size"
                baseline run_case minimal "$kind" "$dir" "$size"
            done
            baseline run_case ring - "$dir" "$size"
            baseline run_socat "$dir" "$size"
        done
    done
    for kind in socket pty; do
        run_case daemon "$kind" ping 1 "$ping_secs"
        baseline run_case minimal "$kind" ping 1 "$ping_secs"
    done
    baseline run_case ring - ping 1 "$ping_secs"
    baseline run_socat ping 1 "$ping_secs"
    run_case daemon socket tick 1
    baseline run_case minimal socket tick 1
}

phases=${BENCH_PHASES:-relay callgrind scale}
has() { case " $phases " in *" $1 "*) return 0 ;; esac; return 1; }

has relay && for p in one split; do
    set_pinning "$p"
    say "pinning $p: throughput and pings"
    throughput_and_ping
done
has relay && [ "$only" != daemon ] && {
say "pinning split beside two CPU hogs"
yes >/dev/null &
hogs+=($!)
yes >/dev/null &
hogs+=($!)
set_pinning split
pinning=split+hogs
for dir in g2h h2g; do
    for kind in socket pty; do
        run_case daemon "$kind" "$dir" 2048
        run_case minimal "$kind" "$dir" 2048
    done
done
for kind in socket pty; do
    run_case daemon "$kind" ping 1 "$ping_secs"
    run_case minimal "$kind" ping 1 "$ping_secs"
done
kill "${hogs[@]}" 2>/dev/null || true
wait "${hogs[@]}" 2>/dev/null || true
hogs=()
}

# ---- instructions per MiB (callgrind) ----

# callgrind_run NAME PID RELAY KIND: instrumentation on around one g2h and
# one h2g case of 1 s (4 KiB writes) through the relay under callgrind.
callgrind_run() {
    local pid=$2 c line ir dump
    for c in g2h h2g; do
        LD_PRELOAD= callgrind_control -i on "$pid" >/dev/null 2>&1
        LD_PRELOAD= callgrind_control -z "$pid" >/dev/null 2>&1
        pinning=callgrind
        line=$(
            eval "$(envA)"
            "$b/bench_run" --guest "$tmp/$3" "${@:5}" --case "$c" \
                --size 4096 --seconds 1 --warmup 0 --reps 1
        ) || die "callgrind $1 $c failed"
        LD_PRELOAD= callgrind_control -d "$c" "$pid" >/dev/null 2>&1
        LD_PRELOAD= callgrind_control -i off "$pid" >/dev/null 2>&1
        dump=$(ls -t "$tmp/cg.$1".* 2>/dev/null | head -n 1)
        ir=$(sed -n 's/^summary: *//p' "$dump" 2>/dev/null | tail -n 1)
        rm -f "$tmp/cg.$1".*
        echo "callgrind relay=$1 case=$c ir=${ir:-0} $(echo "$line" |
            grep -o 'moved=[0-9]*')" >>"$res"
    done
}

if ! has callgrind; then
    :
elif command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    say "instructions per MiB under callgrind"
    set_pinning split
    kill "$xcd_pid"
    wait "$xcd_pid" 2>/dev/null || true
    "$xt" wait-path "$tmp/d.sock" --gone
    (
        eval "$(envA)"
        exec valgrind -q --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$tmp/cg.daemon" "$xcd" --foreground \
            --control "$ctl"
    ) 2>"$tmp/xcd-cg.err" &
    xcd_pid=$!
    pids+=("$xcd_pid")
    "$xt" wait-path "$tmp/d.sock"
    callgrind_run daemon "$xcd_pid" dsock - --socket "$tmp/d.sock"
    kill "$minsock_pid"
    wait "$minsock_pid" 2>/dev/null || true
    read -r ref port <<<"${gline[msock]}"
    rm -f "$tmp/m.sock"
    (
        eval "$(envA)"
        exec valgrind -q --tool=callgrind --instr-atstart=no \
            --callgrind-out-file="$tmp/cg.minimal" "$b/bench_minrelay" \
            --domid 3 --ref "$ref" --port "$port" --socket "$tmp/m.sock"
    ) >/dev/null 2>"$tmp/min-cg.err" &
    minsock_pid=$!
    pids+=("$minsock_pid")
    "$xt" wait-path "$tmp/m.sock"
    callgrind_run minimal "$minsock_pid" msock - --socket "$tmp/m.sock"
else
    say "no valgrind: no instruction counts"
fi
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
"$xenhost" stop "$A"

# ---- host B: 1,000 channels ----
has scale && {

say "host B: $channels channels over $(((channels + 6) / 7)) guests"
mkdir -p "$B" "$tmp/idle"
eval "$("$xenhost" start "$B")"
idle_doms=$(((channels - 1 + 6) / 7))
last_dom=$((idle_doms + 1))
envB_lines=$("$xenhost" env "$B" --preload)
envB() { echo "$envB_lines"; }
"$xenhost" domain-create "$B" active --domid 1 >/dev/null
seq 2 "$last_dom" | xargs -P 4 -I{} "$xenhost" domain-create "$B" idle{} \
    --domid {} >/dev/null
ctlB=$tmp/xcdb.sock
(
    eval "$(envB)"
    exec "$xcd" --foreground --control "$ctlB"
) 2>"$tmp/xcdb.err" &
xcdb_pid=$!
pids+=("$xcdb_pid")
"$xt" wait-path "$ctlB"
(
    eval "$(envB)"
    exec "$b/bench_frontends" 2 "$last_dom"
) >"$tmp/fe.out" 2>"$tmp/fe.err" &
pids+=($!)
wait_grep "$tmp/fe.out" '^ready'
mkdir -p "$tmp/act"
(
    eval "$("$xenhost" guest-env "$B" 1 --preload)"
    exec "$b/bench_guest" --ctl "$tmp/act/ctl" --stats "$tmp/act/stats" \
        --xs 1
) >"$tmp/act/g.out" 2>"$tmp/act/g.err" &
act_pid=$!
pids+=("$act_pid")
pinning=split
pin "$cpu_guest" "$act_pid"
pin "$cpu_host" "$xcdb_pid"

mem() { # KEY: kB of /proc/PID/status (RssAnon, RssFile, RssShmem, VmRSS)
    awk -v k="$1:" '$1 == k { print $2 }' "/proc/$xcdb_pid/status"
}

# The channel that moves bytes: batch 1 of the attaches.
t0=$(date +%s%N)
XENCHANNELD_CONTROL=$ctlB "$xl" attach 1 \
    "name=active,connection=socket,path=$tmp/act.sock"
first_line "$tmp/act/g.out" >/dev/null
t1=$(date +%s%N)
echo "attach batch=1 n=1 ns=$((t1 - t0))" >>"$res"
"$xt" wait-path "$tmp/act.sock"

per_event() { # N: channels the daemon serves
    local line
    line=$(
        eval "$(envB)"
        taskset -c "$cpu_host" "$b/bench_run" --guest "$tmp/act" \
            --socket "$tmp/act.sock" --case tick --seconds 1 --warmup "$warm" \
            --reps "$reps" --cpu-pid "$xcdb_pid"
    ) || die "per-event cost with $1 channels failed"
    echo "scale channels=$1 anon_kib=$(mem RssAnon) rss_kib=$(mem VmRSS)" \
        "file_kib=$(mem RssFile) shmem_kib=$(mem RssShmem) case=$line" >>"$res"
}
per_event 1

# attach_idle FROM TO: channels FROM..TO-1 of the idle ones (7 a guest),
# timed until the frontends saw the last one connected.
attach_idle() {
    local i dom t0 tl n=$(($2 - $1))
    t0=$(date +%s%N)
    for ((i = $1; i < $2; i++)); do
        dom=$((2 + i / 7))
        XENCHANNELD_CONTROL=$ctlB "$xl" attach "$dom" \
            "name=idle$i,connection=socket,path=$tmp/idle/$i" ||
            die "attaching idle channel $i failed"
    done
    ta=$(date +%s%N)
    wait_grep "$tmp/fe.out" "^connected $2 "
    tl=$(awk -v n="$2" '$1 == "connected" && $2 == n { print $3 }' "$tmp/fe.out")
    echo "attach batch=$(($1 + 2)) n=$n ns=$((tl - t0)) cmds_ns=$((ta - t0))" >>"$res"
}
mid=$((channels < 100 ? channels : 100))
say "attaching $((mid - 1)) idle channels"
attach_idle 0 $((mid - 1))
per_event "$mid"
if [ "$channels" -gt "$mid" ]; then
    say "attaching $((channels - mid)) more"
    attach_idle $((mid - 1)) $((channels - 1))
    per_event "$channels"
fi
fds=$(find "/proc/$xcdb_pid/fd" -mindepth 1 | wc -l)
echo "fds daemon=$fds" >>"$res"
}

# ---- the table ----
cp "$res" "$last/results.txt"
{
    echo "xenchanneld relay benchmark, $(date -u +%Y-%m-%dT%H:%MZ)," \
        "commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "load before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg);" \
        "$ncpu CPUs; $reps repetitions of ${secs}s (pings ${ping_secs}s)" \
        "after ${warm}s; figures median (min-max)"
    awk -f "$src/tests/bench/bench_table.awk" "$res"
    echo "run took $(($(date +%s) - started)) s"
} | tee "$last/table.txt"
