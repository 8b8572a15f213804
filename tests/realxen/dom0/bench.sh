# shellcheck shell=sh disable=SC3045,SC2016
# `make bench-realxen` (issue 8, item 4; per guest type: issue 13): for each
# guest type (PV, PVH, HVM) in turn, in one boot, guest rxTx gets a socket
# and a pty channel from xenchanneld (xl-channel attach) and guest rxTu
# gets the same two the upstream way (channel= in its xl.cfg, served by
# QEMU: its xenpv machine for PV and PVH guests, the guest's own device
# model for HVM). The two guests of a type run at the same time, and are
# destroyed before the next type's pair boots. Figures only, no
# assertions: lines "RXB KEY VALUE" (KEY: MEASURE.TYPE.BACKEND.CONN) that
# tests/realxen/bench_realxen.sh turns into a table with ratios.
#
# Debian's xl 4.17 drops the first channel of a config (it takes devid 0,
# which is the primary console, and ignores the error): rxTu's config starts
# with a dummy.
# (busybox ash has read -t; guest command lines are single-quoted on
# purpose: they expand in the guest.)

S=/run/rx/sock
G2H_BYTES=${RX_BENCH_G2H:-1048576}
H2G_BYTES=${RX_BENCH_H2G:-262144}
RTT_COUNT=${RX_BENCH_RTT:-200}
BENCH_TYPES="pv pvh hvm"

rx_main() {
    mkdir -p "$S"
    for t in $BENCH_TYPES; do
        rx_log "guest type $t"
        # Two HVM guests booting at once take minutes on a loaded host
        # (QEMU feeds both kernels through fw_cfg on dom0's one vCPU).
        rx_test "${t}_setup" 600 "$t: guests rx${t}x (xenchanneld) and rx${t}u (QEMU), two channels each" "t_setup $t"
        rx_test "${t}_offline" 120 "$t: bytes written while no host client is connected" "t_offline $t" "${t}_setup"
        rx_test "${t}_measure" 400 "$t: throughput and round trips" "t_measure $t" "${t}_setup"
        rx_test "${t}_teardown" 120 "$t: both guests destroyed" "t_teardown $t"
    done
}

# The guest of TYPE and KIND (x: xenchanneld, u: QEMU).
gname() { # TYPE KIND
    echo "rx$1$2"
}

# The endpoint of a bench channel: TYPE, KIND (x or u), CONN (sock or pty).
ep_of() {
    if [ "$3" = sock ]; then
        echo "$S/$1-$2-sock"
    else
        chan_pty "$(gname "$1" "$2")" "$(cat "$RX_RUN/$1-$2-pty.devid")"
    fi
}

# The guest's hvc line of a channel: hvc_xen's first free slot, in the
# order the channels were created: hvc1 (sock) then hvc2 (pty) in both
# guests.
hvc_of() { # CONN
    case $1 in
    sock) echo hvc1 ;;
    pty) echo hvc2 ;;
    esac
}

t_setup() { # TYPE
    t=$1
    x=$(gname "$t" x)
    u=$(gname "$t" u)
    RX_GUEST_TYPE=$t RX_GUEST_ARGS=rx.coldplug=0 guest_cfg "$x"
    RX_GUEST_TYPE=$t RX_GUEST_ARGS=rx.coldplug=0 guest_cfg "$u" \
        "channel = [ \"connection=socket,path=$S/$t-u-dummy,name=u.dummy\", \"connection=socket,path=$S/$t-u-sock,name=u.sock\", \"connection=pty,name=u.pty\" ]"
    guest_create "$x"
    guest_create "$u"
    guest_wait_ready "$x" 580 || rx_fail "$x did not get ready"
    xl-channel attach "$x" "connection=socket,path=$S/$t-x-sock,name=x.sock"
    xl-channel attach "$x" "connection=pty,name=x.pty"
    chan_wait_connected "$x" 1
    chan_wait_connected "$x" 2
    echo 2 >"$RX_RUN/$t-x-pty.devid"
    xl-channel list -l "$x"
    guest_wait_ready "$u" 580 || rx_fail "$u did not get ready"
    d=$(domid_of "$u")
    xenstore-ls -f "/local/domain/$d/device/console" | grep -E '/(name|type|state|tty) '
    for n in $(xenstore-list "/local/domain/$d/device/console"); do
        case $(xenstore-read "/local/domain/$d/device/console/$n/name" 2>/dev/null) in
        u.dummy) rx_log "$u: the dummy channel got devid $n" ;;
        u.sock) echo "$n" >"$RX_RUN/$t-u-sock.devid" ;;
        u.pty) echo "$n" >"$RX_RUN/$t-u-pty.devid" ;;
        esac
    done
    if ! [ -s "$RX_RUN/$t-u-sock.devid" ] || ! [ -s "$RX_RUN/$t-u-pty.devid" ]; then
        rx_fail "QEMU's channels are missing"
    fi
    chan_wait_connected "$u" "$(cat "$RX_RUN/$t-u-sock.devid")"
    chan_wait_connected "$u" "$(cat "$RX_RUN/$t-u-pty.devid")"
    xl channel-list "$u"
    for g in "$x" "$u"; do
        rx_log "$g is $(gx "$g" 'echo "@@ $(cat /sys/hypervisor/guest_type)"')"
    done
    # shellcheck disable=SC2009 # busybox pgrep cannot print command lines
    rx_log "QEMU: $(ps -o args | grep '[x]en-qemu-system' | cut -c1-300)"
}

t_teardown() { # TYPE
    for k in x u; do
        g=$(gname "$1" "$k")
        d=$(domid_of "$g")
        xl destroy "$g" || true
        xs_wait 30 "/local/domain/$d" -
    done
}

# What each backend delivers of a line the guest wrote while no host client
# was connected: at once when a client connects ("at-connect"), only with
# the guest's next write ("with-next-write"), only later ("late": seen
# again when the next client sends something), or never ("lost").
t_offline() { # TYPE
    t=$1
    for k in x u; do
        for c in sock pty; do
            g=$(gname "$t" "$k")
            ep=$(ep_of "$t" "$k" "$c")
            msg="offline-$t-$k-$c-$(date +%s)"
            gx "$g" "rxtool emit /dev/$(hvc_of "$c") $msg"
            got=$(rxtool -t 10 drain "$ep" 3000 2>&1 | tr -d '\r')
            rx_log "$t $k $c, a client connects: '$got'"
            how=lost
            case $got in *"$msg"*) how=at-connect ;; esac
            if [ $how = lost ]; then
                # Does the guest's next write bring it? The client stays
                # connected this time.
                rxtool -t 10 drain "$ep" 4000 >"$RX_RUN/drain.$t.$k.$c" 2>&1 &
                dr=$!
                gx "$g" "usleep 500000; rxtool emit /dev/$(hvc_of "$c") nudge-$k-$c"
                wait "$dr" || true
                got=$(tr -d '\r' <"$RX_RUN/drain.$t.$k.$c")
                rx_log "$t $k $c, the guest writes again: '$got'"
                case $got in *"$msg"*) how=with-next-write ;; esac
            fi
            echo "$how" >"$RX_RUN/offline.$t.$k.$c"
            echo "$msg" >"$RX_RUN/offline-msg.$t.$k.$c"
            echo "RXB offline.$t.$k.$c $how"
        done
    done
}

# Agents on both lines of both guests, then, interleaved, per channel:
# guest-to-host and host-to-guest throughput (best of three rounds) and
# round trips (median).
t_measure() { # TYPE
    t=$1
    for k in x u; do
        gx "$(gname "$t" "$k")" 'killall -q rxtool; rxtool agent /dev/hvc1; rxtool agent /dev/hvc2'
        for c in sock pty; do
            ep=$(ep_of "$t" "$k" "$c")
            # The first request also shows whether a held offline line
            # comes out now (then it was "late", not lost).
            out=$(rxtool -t 10 name "$ep" 2>&1 || true)
            rx_log "$t $k $c channel: $ep answers: $out"
            case $out in *"$(cat "$RX_RUN/offline-msg.$t.$k.$c" 2>/dev/null)"*)
                if [ "$(cat "$RX_RUN/offline.$t.$k.$c" 2>/dev/null)" = lost ]; then
                    echo "RXB offline.$t.$k.$c late"
                fi
                # Ask again: now the agent's own answer.
                rx_log "$t $k $c channel again: $(rxtool -t 10 name "$ep" 2>&1 || true)"
                ;;
            esac
        done
    done
    for round in 1 2 3; do
        for c in sock pty; do
            for k in x u; do
                ep=$(ep_of "$t" "$k" "$c")
                out=$(rxtool -t 120 g2h "$ep" "$G2H_BYTES" "$round")
                echo "$out"
                echo "RXB g2h.$t.$k.$c $(echo "$out" | awk '{print $6}')"
                out=$(rxtool -t 120 h2g "$ep" "$H2G_BYTES" "$round")
                echo "$out"
                echo "RXB h2g.$t.$k.$c $(echo "$out" | awk '{print $6}')"
            done
        done
    done
    for c in sock pty; do
        for k in x u; do
            out=$(rxtool -t 120 rtt "$(ep_of "$t" "$k" "$c")" "$RTT_COUNT")
            echo "$out"
            echo "RXB rtt.$t.$k.$c $(echo "$out" | awk '{print $4}')"
        done
    done
}
