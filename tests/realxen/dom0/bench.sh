# shellcheck shell=sh disable=SC3045,SC2016
# `make bench-realxen` (issue 8, item 4): in one boot, guest rxx gets a
# socket and a pty channel from xenchanneld (xl-channel attach) and guest
# rxu gets the same two the upstream way (channel= in its xl.cfg, served by
# QEMU's xenpv machine). Figures only, no assertions: lines "RXB KEY VALUE"
# that tests/realxen/bench_realxen.sh turns into a table with ratios.
#
# Debian's xl 4.17 drops the first channel of a config (it takes devid 0,
# which is the primary console, and ignores the error): rxu's config starts
# with a dummy.
# (busybox ash has read -t; guest command lines are single-quoted on
# purpose: they expand in the guest.)

S=/run/rx/sock
G2H_BYTES=${RX_BENCH_G2H:-1048576}
H2G_BYTES=${RX_BENCH_H2G:-262144}
RTT_COUNT=${RX_BENCH_RTT:-200}

rx_main() {
    mkdir -p "$S"
    rx_test x_setup 200 "guest rxx with two xenchanneld channels" t_x_setup
    rx_test u_setup 200 "guest rxu with two channels served by QEMU" t_u_setup
    rx_test offline 120 "bytes written while no host client is connected" t_offline x_setup u_setup
    rx_test measure 400 "throughput and round trips" t_measure x_setup u_setup
}

# The endpoint of a bench channel: KIND (x or u) and CONN (sock or pty).
ep_of() {
    if [ "$2" = sock ]; then
        echo "$S/$1-sock"
    else
        chan_pty "rx$1" "$(cat "$RX_RUN/$1-pty.devid")"
    fi
}

# The guest's hvc line of a channel (hvc_xen's first free slot, in the
# order the channels were created: hvc1 then hvc2 in both guests; logged).
hvc_of() {
    cat "$RX_RUN/$1-$2.hvc"
}

t_x_setup() {
    RX_GUEST_ARGS=rx.coldplug=0 guest_cfg rxx
    guest_create rxx
    guest_wait_ready rxx 150 || rx_fail "rxx did not get ready"
    xl-channel attach rxx "connection=socket,path=$S/x-sock,name=x.sock"
    xl-channel attach rxx "connection=pty,name=x.pty"
    chan_wait_connected rxx 1
    chan_wait_connected rxx 2
    echo 2 >"$RX_RUN/x-pty.devid"
    echo hvc1 >"$RX_RUN/x-sock.hvc"
    echo hvc2 >"$RX_RUN/x-pty.hvc"
    xl-channel list -l rxx
}

t_u_setup() {
    guest_cfg rxu \
        "channel = [ \"connection=socket,path=$S/u-dummy,name=u.dummy\", \"connection=socket,path=$S/u-sock,name=u.sock\", \"connection=pty,name=u.pty\" ]"
    guest_create rxu
    guest_wait_ready rxu 150 || rx_fail "rxu did not get ready"
    d=$(domid_of rxu)
    xenstore-ls -f "/local/domain/$d/device/console" | grep -E '/(name|type|state|tty) '
    for n in $(xenstore-list "/local/domain/$d/device/console"); do
        case $(xenstore-read "/local/domain/$d/device/console/$n/name" 2>/dev/null) in
        u.dummy) rx_log "rxu: the dummy channel got devid $n" ;;
        u.sock) echo "$n" >"$RX_RUN/u-sock.devid" ;;
        u.pty) echo "$n" >"$RX_RUN/u-pty.devid" ;;
        esac
    done
    if ! [ -s "$RX_RUN/u-sock.devid" ] || ! [ -s "$RX_RUN/u-pty.devid" ]; then
        rx_fail "QEMU's channels are missing"
    fi
    chan_wait_connected rxu "$(cat "$RX_RUN/u-sock.devid")"
    chan_wait_connected rxu "$(cat "$RX_RUN/u-pty.devid")"
    echo hvc1 >"$RX_RUN/u-sock.hvc"
    echo hvc2 >"$RX_RUN/u-pty.hvc"
    xl channel-list rxu
    # shellcheck disable=SC2009 # busybox pgrep cannot print command lines
    rx_log "QEMU: $(ps -o args | grep '[x]en-qemu-system' | cut -c1-300)"
}

# What each backend delivers of a line the guest wrote while no host client
# was connected: at once when a client connects ("at-connect"), only with
# the guest's next write ("with-next-write"), only later ("late": seen
# again when the next client sends something), or never ("lost").
t_offline() {
    for k in x u; do
        for c in sock pty; do
            msg="offline-$k-$c-$(date +%s)"
            gx "rx$k" "rxtool emit /dev/$(hvc_of "$k" "$c") $msg"
            got=$(rxtool -t 10 drain "$(ep_of "$k" "$c")" 3000 2>&1 | tr -d '\r')
            rx_log "$k $c, a client connects: '$got'"
            how=lost
            case $got in *"$msg"*) how=at-connect ;; esac
            if [ $how = lost ]; then
                # Does the guest's next write bring it? The client stays
                # connected this time.
                rxtool -t 10 drain "$(ep_of "$k" "$c")" 4000 \
                    >"$RX_RUN/drain.$k.$c" 2>&1 &
                dr=$!
                gx "rx$k" "usleep 500000; rxtool emit /dev/$(hvc_of "$k" "$c") nudge-$k-$c"
                wait "$dr" || true
                got=$(tr -d '\r' <"$RX_RUN/drain.$k.$c")
                rx_log "$k $c, the guest writes again: '$got'"
                case $got in *"$msg"*) how=with-next-write ;; esac
            fi
            echo "$how" >"$RX_RUN/offline.$k.$c"
            echo "$msg" >"$RX_RUN/offline-msg.$k.$c"
            echo "RXB offline.$k.$c $how"
        done
    done
}

# Agents on both lines of both guests, then, interleaved, per channel:
# guest-to-host and host-to-guest throughput (best of three rounds) and
# round trips (median).
t_measure() {
    for k in x u; do
        gx "rx$k" 'killall -q rxtool; rxtool agent /dev/hvc1; rxtool agent /dev/hvc2'
        for c in sock pty; do
            # The first request also shows whether a held offline line
            # comes out now (then it was "late", not lost).
            out=$(rxtool -t 10 name "$(ep_of "$k" "$c")" 2>&1 || true)
            rx_log "rx$k $c channel: $(ep_of "$k" "$c") answers: $out"
            case $out in *"$(cat "$RX_RUN/offline-msg.$k.$c" 2>/dev/null)"*)
                if [ "$(cat "$RX_RUN/offline.$k.$c" 2>/dev/null)" = lost ]; then
                    echo "RXB offline.$k.$c late"
                fi
                # Ask again: now the agent's own answer.
                rx_log "rx$k $c channel again: $(rxtool -t 10 name "$(ep_of "$k" "$c")" 2>&1 || true)"
                ;;
            esac
        done
    done
    for round in 1 2 3; do
        for c in sock pty; do
            for k in x u; do
                ep=$(ep_of "$k" "$c")
                out=$(rxtool -t 120 g2h "$ep" "$G2H_BYTES" "$round")
                echo "$out"
                echo "RXB g2h.$k.$c $(echo "$out" | awk '{print $6}')"
                out=$(rxtool -t 120 h2g "$ep" "$H2G_BYTES" "$round")
                echo "$out"
                echo "RXB h2g.$k.$c $(echo "$out" | awk '{print $6}')"
            done
        done
    done
    for c in sock pty; do
        for k in x u; do
            out=$(rxtool -t 120 rtt "$(ep_of "$k" "$c")" "$RTT_COUNT")
            echo "$out"
            echo "RXB rtt.$k.$c $(echo "$out" | awk '{print $4}')"
        done
    done
}
