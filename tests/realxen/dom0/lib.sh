# shellcheck shell=sh disable=SC3045 # busybox ash has read -t
# The real-Xen tier's library in dom0 (busybox ash): results, guests, their
# consoles, xenstore waits and the backend daemon. Sourced by /init and by
# every test, which runs in a shell of its own (rx_test).
#
# State shared between tests lives in files under $RX_RUN, because each test
# is a separate process. The functions' own variables start with "_" (shell
# variables are global: a test's $line must survive a gx).
#
# Results go to the serial log as
#   RXT begin ID
#   RXT ok ID - DESCRIPTION            or
#   RXT not ok ID - DESCRIPTION # WHY
# and tests/realxen/serial2tap.sh turns them into the runner's TAP.

RX_RUN=/run/rx
RX_DIR=/rx
export PATH=/usr/sbin:/usr/bin:/usr/lib/xen-4.17/bin

rx_log() {
    echo "RX: $*"
}

rx_uptime() {
    cut -d' ' -f1 /proc/uptime
}

# ---- results ----------------------------------------------------------

# rx_test ID SECS DESCRIPTION FUNCTION [NEEDED-ID...]
# Runs FUNCTION from the mode's script in a shell of its own with `set -eu`,
# killed after SECS. It passes when it returns 0. A test whose needed test
# failed fails at once (saying which), rather than waiting out its timeout.
rx_test() {
    id=$1 secs=$2 desc=$3 fn=$4
    shift 4
    echo "RXT begin $id ($(rx_uptime) s)"
    for need in "$@"; do
        if ! [ -e "$RX_RUN/passed.$need" ]; then
            echo "RXT not ok $id - $desc # needs $need, which failed"
            return 0
        fi
    done
    t0=$(rx_uptime)
    timeout -s KILL "$secs" sh -c \
        ". $RX_DIR/lib.sh && . $RX_DIR/$RX_MODE.sh && set -eu && $fn" \
        </dev/null
    rc=$?
    t1=$(rx_uptime)
    took=$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")
    if [ $rc -eq 0 ]; then
        touch "$RX_RUN/passed.$id"
        echo "RXT ok $id - $desc (${took} s)"
    elif [ $rc -eq 137 ]; then
        echo "RXT not ok $id - $desc # timed out after $secs s"
    else
        echo "RXT not ok $id - $desc # exit $rc after ${took} s"
    fi
}

# Inside a test: fail with a reason (the test's shell exits).
rx_fail() {
    echo "RX: FAIL: $*"
    exit 1
}

# rx_expect WHAT CMD...: run CMD, fail the test with WHAT if it fails.
rx_expect() {
    what=$1
    shift
    "$@" || rx_fail "$what"
}

# ---- xenstore ---------------------------------------------------------

# xs_wait SECS PATH VALUE...: wait (on a watch) until PATH reads one of the
# VALUEs; "-" stands for an absent node.
xs_wait() {
    rxtool xswait "$@"
}

# xs_wait_present SECS PATH: until PATH exists with a non-empty value.
xs_wait_present() {
    rxtool xswait "$1" "$2" +
}

# A guest's domid, remembered at creation (xl takes a while under TCG).
domid_of() {
    cat "$RX_RUN/$1.domid" 2>/dev/null || xl domid "$1"
}

fe_dir() { # GUEST DEVID
    echo "/local/domain/$(domid_of "$1")/device/console/$2"
}

be_dir() { # GUEST DEVID
    echo "/local/domain/0/backend/console/$(domid_of "$1")/$2"
}

# Wait until a channel is connected: frontend and backend in state 4.
chan_wait_connected() { # GUEST DEVID [SECS]
    secs=${3:-60}
    xs_wait "$secs" "$(fe_dir "$1" "$2")/state" 4 &&
        xs_wait "$secs" "$(be_dir "$1" "$2")/state" 4
}

# The pty slave of a pty channel (the frontend's `tty`, written by the
# backend).
chan_pty() { # GUEST DEVID
    xenstore-read "$(fe_dir "$1" "$2")/tty"
}

# ---- the backend daemon ----------------------------------------------

# Start xenchanneld (its log to the console), wait for its READY=1,
# remember its pid.
xcd_start() {
    pid=$(rxtool spawn-ready 60 xenchanneld --foreground </dev/null \
        2>/dev/console) || return 1
    echo "$pid" >"$RX_RUN/xcd.pid"
}

# SIGTERM to xenchanneld; returns once it is gone (polled, bounded: it is
# not our child, nothing to wait on), fails if it does not go in 10 s.
xcd_stop() {
    _pid=$(cat "$RX_RUN/xcd.pid")
    kill -TERM "$_pid"
    _i=0
    while [ -e "/proc/$_pid" ] && [ $_i -lt 200 ]; do
        usleep 50000
        _i=$((_i + 1))
    done
    [ ! -e "/proc/$_pid" ]
}

xcd_fds() {
    set -- "/proc/$(cat "$RX_RUN/xcd.pid")/fd"/*
    echo $#
}

# ---- guests -----------------------------------------------------------

# The CPU-saving kernel options dom0 booted with (boot.sh), for the guests.
rx_fast_args() {
    tr ' ' '\n' </proc/cmdline |
        grep -E '^(cryptomgr\.notests|nowatchdog|mitigations=off)$' |
        tr '\n' ' '
}

# guest_cfg NAME [LINE...]: write /run/rx/NAME.cfg for a guest of the tier
# (kernel and initramfs from /rx); extra lines appended as given.
# RX_GUEST_TYPE: pv (default), pvh or hvm.
# - PVH boots the same ELF vmlinux as PV (it carries the PVH entry note).
# - HVM boots the bzImage through hvmloader, SeaBIOS and QEMU's option ROM
#   (QEMU is its device model), its initramfs gzipped (boot.sh says why),
#   and its kernel gets pci=noearly: TCG's CPU is an AMD family 0Fh, so
#   the kernel looks for an AMD GART aperture and an AGP bridge in the PCI
#   config space of every bus, slot and function, twice, before its PCI
#   subsystem starts; each access is a round trip to QEMU in dom0 (130 s
#   of a 147 s kernel boot on a loaded host).
# - PVH and HVM get the two settings TCG needs (REALXEN.md): tsc_mode
#   native (Xen cannot decode an RDTSCP's length without NRIPS: the guest
#   dies at its first one) and no XSAVE in the guest's CPUID (a third of
#   the boots die or hang with a reset XCR0).
# RX_GUEST_ARGS: more kernel command line (rx.coldplug=0: the guest's init
# skips coldplug).
guest_cfg() {
    name=$1
    shift
    _type=${RX_GUEST_TYPE:-pv}
    _kernel=$RX_DIR/vmlinux
    _ramdisk=$RX_DIR/guest.cpio
    _args=
    {
        echo "name = \"$name\""
        echo "type = \"$_type\""
        case $_type in
        pv) ;;
        pvh)
            echo 'tsc_mode = "native"'
            echo 'cpuid = "host,xsave=0"'
            ;;
        hvm)
            echo 'tsc_mode = "native"'
            echo 'cpuid = "host,xsave=0"'
            # No emulated graphics: nothing looks at it, and it costs CPU.
            echo 'vga = "none"'
            _kernel=$RX_DIR/vmlinuz
            _ramdisk=$RX_DIR/guest.cpio.gz
            _args=pci=noearly
            ;;
        *)
            rx_fail "guest type '$_type'?"
            ;;
        esac
        echo "kernel = \"$_kernel\""
        echo "ramdisk = \"$_ramdisk\""
        echo "extra = \"console=hvc0 loglevel=${RX_GUEST_LOGLEVEL:-4} $(rx_fast_args) rx.name=$name $_args ${RX_GUEST_ARGS:-}\""
        echo 'memory = 128'
        echo 'vcpus = 1'
        echo 'on_poweroff = "destroy"'
        echo 'on_reboot = "destroy"'
        echo 'on_crash = "destroy"'
        for line in "$@"; do
            echo "$line"
        done
    } >"$RX_RUN/$name.cfg"
}

# guest_create NAME [-p]: xl create, follow the guest's console, and
# unpause the guest unless -p. The guest is created paused in any case, so
# that the console is followed from the guest's first line.
guest_create() {
    name=$1
    xl create -p "$RX_RUN/$name.cfg" || return 1
    xl domid "$name" >"$RX_RUN/$name.domid"
    guest_console "$name"
    if [ "${2:-}" != -p ]; then
        xl unpause "$name"
    fi
}

# Follow a guest's console: its pty (made by xenconsoled) is copied to the
# serial log with the prefix "[NAME] ", and the guest's "@@" lines go to a
# fifo that gx reads.
guest_console() {
    name=$1
    d=$(domid_of "$name")
    xs_wait_present 60 "/local/domain/$d/console/tty" ||
        rx_fail "no console pty for $name"
    tty=$(xenstore-read "/local/domain/$d/console/tty")
    echo "$tty" >"$RX_RUN/$name.tty"
    rm -f "$RX_RUN/$name.ctl"
    mkfifo "$RX_RUN/$name.ctl"
    # Opened read-write: never blocks, never EPIPE while no test reads.
    rxtool console "$tty" "[$name] " 1<>"$RX_RUN/$name.ctl" \
        2>/dev/console </dev/null &
    echo $! >"$RX_RUN/$name.conpid"
}

rx_seq_next() {
    s=$(($(cat "$RX_RUN/seq" 2>/dev/null || echo 0) + 1))
    echo "$s" >"$RX_RUN/seq"
    echo "$s"
}

# gx GUEST [-t SECS] COMMAND: run COMMAND in the guest's shell (over its
# console); print the lines it marked "@@ " (without the mark); return its
# exit status, or 124 when it did not finish within SECS (default 60).
gx() {
    _g=$1
    shift
    _secs=60
    if [ "$1" = -t ]; then
        _secs=$2
        shift 2
    fi
    _seq=$(rx_seq_next)
    exec 8<>"$RX_RUN/$_g.ctl"
    rxtool conwrite "$(cat "$RX_RUN/$_g.tty")" \
        "$*; echo \"@@DONE $_seq \$?\""
    _end=$(($(date +%s) + _secs))
    while :; do
        _left=$((_end - $(date +%s)))
        [ $_left -gt 0 ] || break
        IFS= read -r -t "$_left" _line <&8 || break
        case $_line in
        "@@DONE $_seq "*)
            exec 8<&-
            return "${_line##* }"
            ;;
        "@@ "*) echo "${_line#@@ }" ;;
        esac
    done
    exec 8<&-
    echo "RX: gx $_g: '$*' did not finish within $_secs s" >&2
    return 124
}

# guest_wait_ready NAME [SECS]: wait for the guest's "@@READY" (its udevd
# and the uevent monitor run, coldplug is done).
guest_wait_ready() {
    _g=$1
    _secs=${2:-90}
    exec 8<>"$RX_RUN/$_g.ctl"
    _end=$(($(date +%s) + _secs))
    while :; do
        _left=$((_end - $(date +%s)))
        [ $_left -gt 0 ] || break
        IFS= read -r -t "$_left" _line <&8 || break
        case $_line in "@@READY"*)
            exec 8<&-
            return 0
            ;;
        esac
    done
    exec 8<&-
    return 1
}

# The xenstore listing order of a guest's channels (devids), one line.
chan_order() { # GUEST
    xenstore-list "/local/domain/$(domid_of "$1")/device/console" | tr '\n' ' '
}
