# shellcheck shell=bash disable=SC2034 # variables for the sourcing tests
# Shared by tests/integration/test_daemon_*.sh (sourced): TAP output
# (tests/lib/tap.sh), a private simulated host, xenchanneld and guest simulators under the
# testbed's preload, and waits on real conditions (no sleeps).
#
# After sourcing: $out $src $tmp $host $xl $xt (xcd-test) $ctl (control
# socket), dom0's xenstore environment exported, an EXIT trap that stops
# what was started and removes $tmp.
set -u
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
. "$src/tests/lib/tap.sh"
xenhost=$out/testbed/xenhost
xl=$out/bin/xl-channel
xt=$out/bin/xcd-test
xcd=$out/sbin/xenchanneld

tmp=$(mktemp -d)
host=$tmp/host
ctl=$tmp/control.sock
mkdir -p "$host"
xcd_pid=
dt_pids=()
export XENCHANNELD_CONTROL=$ctl

# Guests stop before the daemon: a guest shutting down closes its channels
# and waits for the backend's answer, which a stopped daemon never gives.
# shellcheck disable=SC2317 # called by the EXIT trap
dt_cleanup() {
    local pid
    for pid in "${dt_pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ -n "$xcd_pid" ] && kill "$xcd_pid" 2>/dev/null && wait "$xcd_pid"
    "$xenhost" stop "$host" 2>/dev/null
    [ -n "${XCD_KEEP:-}" ] || rm -rf "$tmp"
}
trap dt_cleanup EXIT

tap_logs() {
    local f
    for f in "$tmp"/*.err "$host"/xenstored.log; do
        [ -f "$f" ] && tail -n 40 "$f" | sed "s|^|# $(basename "$f"): |"
    done
}

dt_done() { tap_done; }

dt_start() { # [XENSTORED-OPTION...]
    eval "$("$xenhost" start "$host" "$@")" || bail "testbed starts"
}

# Starts xenchanneld in the foreground under the preload; $xcd_pid. Waits
# for its readiness through $NOTIFY_SOCKET. XCD_WRAP (e.g. valgrind ...)
# runs in front of it, XCD_ARGS are more options, XCD_DOMID a domain other
# than dom0 to run it in (a driver domain, through its xenbus bridge).
start_daemon() {
    local notify=$tmp/notify.sock
    rm -f "$notify"
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
s.settimeout(120)
while True:
    m = s.recv(4096).decode()
    if "READY=1" in m.split("\n"):
        print("ready", flush=True)
        break
' "$notify" >"$tmp/notify.out" &
    local py=$!
    "$xt" wait-path "$notify" || return 1
    (
        if [ -n "${XCD_DOMID:-}" ]; then
            eval "$("$xenhost" guest-env "$host" "$XCD_DOMID" --preload)"
        else
            eval "$("$xenhost" env "$host" --preload)"
        fi
        export NOTIFY_SOCKET=$notify
        # shellcheck disable=SC2086 # XCD_WRAP, XCD_ARGS are word lists
        exec ${XCD_WRAP:-} "$xcd" --foreground --control "$ctl" ${XCD_ARGS:-}
    ) 2>>"$tmp/xenchanneld.err" &
    xcd_pid=$!
    # Whichever ends first: the listener (READY came, or its timeout) or
    # a daemon that failed before READY, which must not cost the timeout.
    wait -n "$py" "$xcd_pid"
    if ! kill -0 "$xcd_pid" 2>/dev/null; then
        kill "$py" 2>/dev/null
        wait "$py" 2>/dev/null
        xcd_pid=
        return 1
    fi
    wait "$py"
    grep -qx ready "$tmp/notify.out"
}

stop_daemon() {
    local rc=0
    [ -n "$xcd_pid" ] || return 0
    kill -TERM "$xcd_pid" 2>/dev/null
    wait "$xcd_pid" || rc=$?
    xcd_pid=
    return $rc
}

# Starts the guest simulator of domain $1 serving channels in directory
# $2; its progress lines are readable on fd $3 (a number 3..9).
start_guest() { # DOMID DIR FD [GUESTSIM-OPTION...]
    mkdir -p "$2"
    mkfifo "$tmp/gs-$1.out"
    (
        eval "$("$xenhost" guest-env "$host" "$1" --preload)"
        exec "$out/bin/xch-guestsim" --dir "$2" --foreground "${@:4}"
    ) >"$tmp/gs-$1.out" 2>>"$tmp/guestsim-$1.err" &
    dt_pids+=($!)
    eval "exec $3<\"$tmp/gs-$1.out\""
    wait_line "$3" ready
}

be_path() { echo "/local/domain/0/backend/console/$1/$2"; }
fe_path() { echo "/local/domain/$1/device/console/$2"; }

# Descriptors and mappings of the daemon (for leak checks).
daemon_fds() { find "/proc/$xcd_pid/fd" -mindepth 1 | wc -l; }
# "fd target" of every descriptor of the daemon, sorted, into file $1.
fd_snapshot() { find "/proc/$xcd_pid/fd" -mindepth 1 -printf '%f %l\n' | sort >"$1"; }
daemon_maps() { wc -l <"/proc/$xcd_pid/maps"; }

# Writes channel N of guest DOM by hand, in the layout of SPEC §3, LIMIT
# in FE and BE as the spec's limit= puts it: FE first, so that
# the backend finds its type when BE appears, and FE state 1 last, since
# the frontend probes a device in state 1.
add_channel() { # DOM N NAME CONNECTION PATH LIMIT
    local fe be lx=/libxl/$1/device/console/$2
    fe=$(fe_path "$1" "$2")
    be=$(be_path "$1" "$2")
    xenstore-write "$fe" "" &&
        xenstore-chmod "$fe" "n$1" r0 &&
        xenstore-write "$fe/backend" "$be" "$fe/backend-id" 0 \
            "$fe/protocol" vt100 "$fe/name" "$3" "$fe/limit" "$6" \
            "$fe/type" xenchanneld "$fe/tty" "" &&
        for k in name limit type tty; do
            xenstore-chmod "$fe/$k" n0 "r$1" || return 1
        done &&
        xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$1" \
            "$be/online" 1 "$be/protocol" vt100 "$be/name" "$3" \
            "$be/connection" "$4" "$be/limit" "$6" &&
        { [ "$4" != socket ] || xenstore-write "$be/path" "$5"; } &&
        xenstore-write "$be/state" 1 &&
        xenstore-chmod -r "$be" n0 "r$1" &&
        xenstore-write "$lx/frontend" "$fe" "$lx/backend" "$be" \
            "$lx/frontend-id" "$1" "$lx/online" 1 "$lx/state" 1 \
            "$lx/protocol" vt100 "$lx/name" "$3" "$lx/connection" "$4" \
            "$lx/limit" "$6" &&
        { [ "$4" != socket ] || xenstore-write "$lx/path" "$5"; } &&
        xenstore-write "$fe/state" 1
}
