# shellcheck shell=sh disable=SC3045,SC2016
# (busybox ash has read -t; the guest's command lines are single-quoted on
# purpose: they expand in the guest.)
# The scenarios of `make check-realxen` (issue 8, items 2 and 3), run in one
# boot of dom0. Each rx_test runs one function below in a shell of its own
# with `set -eu`; the rx_test lines are the plan (serial2tap.sh reads them).
#
# Three PV guests booting at the same time to save time, then a PVH and an
# HVM guest booting at the same time, then a PV guest alone:
# - rxa is created without channels and gets them hot-plugged (links from
#   udevd's add/bind events), detached, re-attached, one with a devid gap;
# - rxc is created paused and gets devids 2, 1, 5 in that order, so that its
#   kernel probes them in that (xenstore's) order at boot;
# - rxb is created paused, gets seven channels from `xl-channel apply`, and
#   boots with them (links from coldplug);
# - rxp (PVH) and rxh (HVM), once rxa, rxb and rxc are gone, are created
#   without channels and boot (the HVM boot is the longest: hvmloader,
#   SeaBIOS, QEMU's option ROM loading the bzImage); then each goes through
#   the same hot-plug scenario (attach a socket and a pty channel, the udev
#   links, data both ways, the listing, detach, re-attach, xl destroy), one
#   guest after the other, so that each destroy can check the daemon's
#   idle descriptor count;
# - rxk, once the others are gone, is made by `xl-channel create` with the
#   real xl, then rebuilt by `xl reboot`, by its own reboot and by `xl
#   save` + `xl restore`: its channels must come back each time (issue 11).
# Guest programs (rxtool agent) open /dev/xen-channels/NAME, so every data
# test also goes through the udev link.

S=/run/rx/sock
A_SOCK=$S/rxa-sock
A_GAP=$S/rxa-gap
C_TWO=$S/rxc-two
C_FIVE=$S/rxc-five
K_SOCK=$S/rxk-sock

rx_main() {
    mkdir -p "$S"
    rx_test a_create 120 "guest rxa created without channels" t_a_create
    rx_test c_create 120 "guest rxc created paused, devids 2, 1, 5 attached in that order" t_c_create
    rx_test b_apply 120 "xl create -p, xl-channel apply (7 channels): backend waits (state 2) while paused" t_b_apply
    rx_test a_boot 150 "rxa boots, its udevd and uevent monitor run" t_a_boot a_create
    rx_test a_attach 120 "xl-channel attach: a socket and a pty channel reach state 4" t_a_attach a_boot
    rx_test a_links 120 "hot-plug: udevd's add/bind events run the rule, both links appear" t_a_links a_attach
    rx_test a_sock_256k 120 "socket channel: 256 KiB each way, checksums equal" t_a_sock a_links
    rx_test a_pty_256k 120 "pty channel: 256 KiB each way, checksums equal" t_a_pty a_links
    rx_test a_restart 120 "daemon SIGTERM and restart while the guest writes: nothing lost" t_a_restart a_sock_256k
    rx_test a_detach 120 "xl-channel detach: channel, socket and both guest links gone" t_a_detach a_attach
    rx_test a_reattach 120 "attach the same name again: the link is back, on the right tty" t_a_reattach a_attach
    rx_test a_gap 120 "explicit devid 5 (a gap): every link right or absent" t_a_gap a_attach
    rx_test c_order 150 "rxc probes its channels in xenstore's order (2, 1, 5) at boot: every link right or absent" t_c_order c_create
    rx_test c_destroy 120 "xl destroy rxc: its backend directory and sockets gone" t_c_destroy c_create
    rx_test b_boot 150 "rxb unpaused: all seven channels connect from its first boot" t_b_boot b_apply
    rx_test b_coldplug 120 "coldplug (udevadm trigger --action=add) made all seven links" t_b_coldplug b_boot
    rx_test b_seven 120 "seven channels at once: each link reaches its own channel, data both ways" t_b_seven b_coldplug
    rx_test b_list 60 "xl channel-list and xl-channel list print the same (devids 1-7)" t_b_list b_boot
    rx_log "CPU seconds so far (xl list): $(xl list | awk 'NR > 1 { printf "%s %s; ", $1, $6 }')"
    rx_test b_destroy 120 "xl destroy rxb: its backend directory and sockets gone" t_b_destroy b_apply
    rx_test a_destroy 120 "xl destroy rxa, the last guest with channels: sockets gone, daemon back to its idle descriptor count" t_a_destroy a_create
    # PVH and HVM: both boot now, once the PV guests are gone (the HVM
    # guest's boot keeps dom0's vCPU busy: beside the PV scenarios, their
    # bounded waits ran out on a loaded host), then the same scenario,
    # one guest at a time.
    rx_test h_create 120 "HVM guest rxh created without channels (hvmloader, SeaBIOS, kernel= through QEMU)" "t_ty_create rxh hvm"
    rx_test p_create 120 "PVH guest rxp created without channels" "t_ty_create rxp pvh"
    rx_test p_boot 420 "rxp boots as a PVH guest (its kernel says so), udevd and the uevent monitor run" "t_ty_boot rxp PVH" p_create
    rx_test h_boot 420 "rxh boots as an HVM guest (its kernel says so), udevd and the uevent monitor run" "t_ty_boot rxh HVM" h_create
    rx_test p_attach 120 "PVH: xl-channel attach of a socket and a pty channel, both reach state 4" "t_ty_attach rxp" p_boot
    rx_test p_links 120 "PVH: udevd's add/bind events made both links, each on its own channel's line" "t_ty_links rxp" p_attach
    rx_test p_data 120 "PVH: 128 KiB each way through the socket and the pty channel, checksums equal" "t_ty_data rxp" p_links
    rx_test p_list 60 "PVH: xl channel-list and xl-channel list print the same (devids 1-2)" "t_ty_list rxp" p_attach
    rx_test p_detach 120 "PVH: xl-channel detach of both: channels, socket and all four links gone" "t_ty_detach rxp" p_attach
    rx_test p_reattach 120 "PVH: both attached again: links back on the right lines, listings equal" "t_ty_reattach rxp" p_attach
    rx_test p_destroy 120 "PVH: xl destroy with channels attached: socket gone, daemon back to its idle descriptor count" "t_ty_destroy rxp" p_create
    rx_test h_attach 120 "HVM: xl-channel attach of a socket and a pty channel, both reach state 4" "t_ty_attach rxh" h_boot
    rx_test h_links 120 "HVM: udevd's add/bind events made both links, each on its own channel's line" "t_ty_links rxh" h_attach
    rx_test h_data 120 "HVM: 128 KiB each way through the socket and the pty channel, checksums equal" "t_ty_data rxh" h_links
    rx_test h_list 60 "HVM: xl channel-list and xl-channel list print the same (devids 1-2)" "t_ty_list rxh" h_attach
    rx_test h_detach 120 "HVM: xl-channel detach of both: channels, socket and all four links gone" "t_ty_detach rxh" h_attach
    rx_test h_reattach 120 "HVM: both attached again: links back on the right lines, listings equal" "t_ty_reattach rxh" h_attach
    rx_test h_destroy 120 "HVM: xl destroy with channels attached: socket gone, device model gone, daemon back to its idle descriptor count" "t_ty_destroy rxh" h_create
    # rxk alone, once the others are gone: its boots have the CPU.
    rx_test k_create 120 "xl-channel create -p with the real xl: channels kept in libxl's configuration, no QEMU" t_k_create
    rx_test k_boot 150 "rxk unpaused: both channels connect, links right" t_k_boot k_create
    rx_test k_xlreboot 180 "xl reboot: the rebuilt rxk gets its channels back, links right" t_k_xlreboot k_boot
    rx_test k_selfreboot 180 "the guest's own reboot: its channels come back, links right" t_k_selfreboot k_xlreboot
    rx_test k_saverestore 180 "xl save, xl restore: the restored rxk's channels reconnect" t_k_saverestore k_selfreboot
    rx_test k_latedaemon 240 "restored while xenchanneld is stopped: Linux fails to resume the channels; xenchanneld started later attaches them, a detach and an attach bring each back" t_k_latedaemon k_saverestore
    rx_test k_destroy 60 "xl destroy rxk: channels gone, nothing of its set left" t_k_destroy k_create
    rx_log "guests left: $(xl list | tail -n +2 | awk '{print $1}' | tr '\n' ' ')"
}

# ---- helpers ------------------------------------------------------------

# var_of NAME: a shell variable name for a channel name.
var_of() {
    echo "$1" | tr -c 'a-zA-Z0-9\n' _
}

# check_links GUEST NAME=ENDPOINT...: are the guest's links right?
# 1. Which hvc line is each channel really? An agent on every hvc line
#    answers with the line's name; each channel's endpoint is asked.
#    (Logged as the slot map: what hvc_alloc decided.)
# 2. Each channel's link (both spellings) must name that line, or be
#    absent (the rule may refuse to guess; logged). A link to another
#    line, or to a line that does not exist, fails.
# 3. An agent is left running on every right link, and each endpoint must
#    answer with its own name through it (the path guest programs use).
check_links() {
    g=$1
    shift
    names=""
    for pair in "$@"; do
        names="$names ${pair%%=*}"
    done
    lines=$(gx "$g" 'killall -q rxtool; consoles; ls -l /dev/xen-channels/ /dev/xen-channel/ 2>&1; agents_on_hvc' | tr '\n' ' ') || true
    rx_log "$g: hvc lines in use: $lines"
    map=""
    for pair in "$@"; do
        name=${pair%%=*}
        ep=${pair#*=}
        # A channel that is not connected has no line to find.
        if [ "$(xenstore-read "$(be_dir_of_name "$g" "$name")/state" 2>/dev/null)" = 4 ]; then
            slot=$(rxtool -t 5 name "$ep" 2>/dev/null) || slot=none
        else
            slot=unconnected
        fi
        eval "slot_$(var_of "$name")=\$slot"
        map="$map $name=$slot"
    done
    rx_log "$g: slot map (channel=hvc line):$map"
    # shellcheck disable=SC2086 # names are [A-Za-z0-9._-]
    report=$(gx "$g" "killall -q rxtool; links_report $names") || return 1
    bad=0
    serve=""
    for name in $names; do
        eval "slot=\$slot_$(var_of "$name")"
        st=$(echo "$report" | sed -n "s/^$name //p")
        case $st in
        nolink)
            rx_log "$name: no link made (channel on $slot)"
            ;;
        "link /dev/$slot")
            rx_log "$name: link names $slot, its own line"
            serve="$serve $name"
            ;;
        "link "*)
            rx_log "$name: WRONG LINK: ${st#link } but the channel is on $slot"
            bad=1
            ;;
        *)
            rx_log "$name: ${st:-no report}"
            bad=1
            ;;
        esac
    done
    [ -n "$serve" ] || return $bad
    # shellcheck disable=SC2086
    gx "$g" "agents $serve" | grep -v ' ok$' && bad=1
    for pair in "$@"; do
        name=${pair%%=*}
        ep=${pair#*=}
        case " $serve " in *" $name "*) ;; *) continue ;; esac
        got=$(rxtool -t 10 name "$ep" 2>&1) || got="no answer ($got)"
        if [ "$got" != "$name" ]; then
            rx_log "$name: through its link, $ep answered '$got'"
            bad=1
        fi
    done
    return $bad
}

# The backend directory of the channel NAME of GUEST (its devid looked up
# in the /libxl copy).
be_dir_of_name() { # GUEST NAME
    d=$(domid_of "$1")
    for n in $(xenstore-list "/libxl/$d/device/console" 2>/dev/null); do
        if [ "$(xenstore-read "/libxl/$d/device/console/$n/name" 2>/dev/null)" = "$2" ]; then
            echo "/local/domain/0/backend/console/$d/$n"
            return 0
        fi
    done
    echo "/nonexistent"
}

sock_of() { # GUEST NAME
    echo "$S/$1-$2"
}

# ---- guest rxa: hot-plug ------------------------------------------------

t_a_create() {
    RX_GUEST_ARGS=rx.coldplug=0 guest_cfg rxa
    guest_create rxa
}

t_a_boot() {
    guest_wait_ready rxa 140 || rx_fail "rxa did not get ready"
    gx rxa 'consoles; ls -l /dev/hvc*'
}

t_a_attach() {
    gx rxa uev_mark
    xl-channel attach rxa "connection=socket,path=$A_SOCK,name=rx.sock"
    xl-channel attach rxa "connection=pty,name=rx.pty"
    chan_wait_connected rxa 1
    chan_wait_connected rxa 2
    [ -S "$A_SOCK" ] || rx_fail "no socket at $A_SOCK"
}

t_a_links() {
    gx rxa 'rc=0; for c in console-1 console-2; do uev_wait add $c 30 && uev_wait bind $c 30 || rc=1; done; udevadm settle --timeout=30; [ $rc -eq 0 ]' ||
        rx_fail "udevd did not process the add and bind events"
    for n in rx.sock rx.pty; do
        gx rxa "[ -e /dev/xen-channels/$n ] && [ -e /dev/xen-channel/$n ]" ||
            rx_fail "no link for $n"
    done
    check_links rxa "rx.sock=$A_SOCK" "rx.pty=$(chan_pty rxa 2)"
}

t_a_sock() {
    rxtool g2h "$A_SOCK" 262144 1
    rxtool h2g "$A_SOCK" 262144 2
}

t_a_pty() {
    pty=$(chan_pty rxa 2)
    rxtool g2h "$pty" 262144 3
    rxtool h2g "$pty" 262144 4
}

t_a_restart() {
    f=$RX_RUN/restart.fifo
    rm -f "$f"
    mkfifo "$f"
    exec 9<>"$f"
    # The guest writes 256 KiB, pausing 16 ms every 4 KiB (about a second).
    rxtool -t 60 g2h-restart "$A_SOCK" 262144 5 16000 >&9 2>&1 &
    reader=$!
    IFS= read -r -t 30 line <&9 || rx_fail "no bytes from the guest"
    rx_log "reader: $line"
    old=$(cat "$RX_RUN/xcd.pid")
    xcd_stop || rx_fail "xenchanneld $old did not exit on SIGTERM"
    rx_log "xenchanneld $old exited; starting a new one"
    xcd_start || rx_fail "the new daemon did not start"
    rx_log "new xenchanneld $(cat "$RX_RUN/xcd.pid")"
    while IFS= read -r -t 60 line <&9; do
        rx_log "reader: $line"
        case $line in g2h*) break ;; esac
    done
    wait "$reader" || rx_fail "the transfer across the restart failed"
    # The new daemon serves the other channel too.
    got=$(rxtool -t 20 name "$(chan_pty rxa 2)")
    [ "$got" = rx.pty ] || rx_fail "rx.pty answered '$got' after the restart"
}

t_a_detach() {
    gx rxa uev_mark
    xl-channel detach rxa rx.sock
    xs_wait 20 "$(fe_dir rxa 1)" -
    xs_wait 20 "$(be_dir rxa 1)" -
    [ -z "$(xenstore-ls "/libxl/$(domid_of rxa)/device/console/1" 2>/dev/null)" ] ||
        rx_fail "the /libxl copy of devid 1 is still there"
    rxtool waitpath -g 20 "$A_SOCK" || rx_fail "socket $A_SOCK still there"
    gx rxa 'uev_wait remove console-1 30; uev_seen unbind console-1 || echo "no unbind event"; udevadm settle --timeout=30; ls -l /dev/xen-channels/ /dev/xen-channel/ 2>&1 || true'
    left=$(gx rxa 'for l in /dev/xen-channels/rx.sock /dev/xen-channel/rx.sock; do if [ -e $l ] || [ -L $l ]; then echo "@@ $l"; fi; done')
    [ -z "$left" ] || rx_fail "still there after the detach: $left"
}

t_a_reattach() {
    # After a_detach, whatever it found; make sure rx.sock is gone first.
    if xenstore-exists "$(fe_dir rxa 1)" 2>/dev/null; then
        xl-channel detach rxa rx.sock
    fi
    gx rxa uev_mark
    xl-channel attach rxa "connection=socket,path=$A_SOCK,name=rx.sock"
    chan_wait_connected rxa 1
    rx_log "xenstore order of rxa's consoles: $(chan_order rxa)"
    gx rxa 'uev_wait add console-1 30 && uev_wait bind console-1 30 && udevadm settle --timeout=30 && [ -e /dev/xen-channels/rx.sock ]' ||
        rx_fail "no link after re-attaching"
    check_links rxa "rx.sock=$A_SOCK" "rx.pty=$(chan_pty rxa 2)"
}

t_a_gap() {
    gx rxa uev_mark
    xl-channel attach rxa "devid=5,connection=socket,path=$A_GAP,name=rx.gap"
    chan_wait_connected rxa 5
    gx rxa 'uev_wait add console-5 30 && uev_wait bind console-5 30 && udevadm settle --timeout=30'
    check_links rxa "rx.sock=$A_SOCK" "rx.pty=$(chan_pty rxa 2)" \
        "rx.gap=$A_GAP"
}

# ---- guest rxc: booting with channels in a non-devid order --------------

# The re-probe in xenstore's order. A booting kernel probes device/console/*
# in xenstore's listing order, which is creation order: after a detach and
# a re-attach of devid 1 beside devid 2 it is 2, 1. Nothing re-probes the
# consoles of a running PV guest safely: hvc_xen is built into Debian's
# kernel (no module reload), a PV guest cannot kexec, and unbinding the
# xenconsole driver frees the ring page while the backend still maps it
# (docs/realxen.md). So rxc boots with devids 2, 1, 5 created in that
# order: console-2 gets hvc1, console-1 hvc2, console-5 hvc3.
t_c_create() {
    guest_cfg rxc
    guest_create rxc -p
    xl-channel attach rxc "devid=2,connection=socket,path=$C_TWO,name=c.two"
    xl-channel attach rxc "devid=1,connection=pty,name=c.one"
    xl-channel attach rxc "devid=5,connection=socket,path=$C_FIVE,name=c.five"
    rx_log "xenstore order of rxc's consoles: $(chan_order rxc)"
    [ "$(chan_order rxc)" = "2 1 5 " ] || rx_fail "unexpected order"
    xl unpause rxc
}

t_c_order() {
    guest_wait_ready rxc 140 || rx_fail "rxc did not get ready"
    for d in 2 1 5; do
        chan_wait_connected rxc "$d"
    done
    gx rxc 'consoles; ls -l /dev/xen-channels/ /dev/xen-channel/ 2>&1 || true'
    check_links rxc "c.two=$C_TWO" "c.one=$(chan_pty rxc 1)" "c.five=$C_FIVE"
}

t_c_destroy() {
    d=$(domid_of rxc)
    xl destroy rxc
    xs_wait 30 "/local/domain/0/backend/console/$d" -
    for p in "$C_TWO" "$C_FIVE"; do
        rxtool waitpath -g 20 "$p" || rx_fail "socket $p still there"
    done
}

t_a_destroy() {
    d=$(domid_of rxa)
    xl destroy rxa
    xs_wait 30 "/local/domain/0/backend/console/$d" -
    for p in "$A_SOCK" "$A_GAP"; do
        rxtool waitpath -g 20 "$p" || rx_fail "socket $p still there"
    done
    xcd_back_to_idle
}

# The daemon's descriptor count must come back to its idle value (counted
# at its first start) once no guest has channels.
xcd_back_to_idle() {
    idle=$(cat "$RX_RUN/xcd.idle-fds")
    # Polled, bounded: no event says the daemon closed its descriptors.
    i=0
    while [ "$(xcd_fds)" -ne "$idle" ] && [ $i -lt 100 ]; do
        usleep 100000
        i=$((i + 1))
    done
    rx_log "xenchanneld: $(xcd_fds) fds, idle value $idle"
    [ "$(xcd_fds)" -eq "$idle" ] || {
        ls -l "/proc/$(cat "$RX_RUN/xcd.pid")/fd"
        rx_fail "descriptor count $(xcd_fds), idle $idle"
    }
}

# ---- guest rxb: seven channels from its first boot ----------------------

B_NAMES="org.rx.b1 org.rx.b2 org.rx.b3 org.rx.b4 org.rx.b5 org.rx.b6 org.rx.b7"

# Odd ones are sockets, even ones ptys.
b_is_sock() {
    case $1 in *[1357]) return 0 ;; esac
    return 1
}

b_endpoint() { # NAME DEVID
    if b_is_sock "$1"; then
        sock_of rxb "$1"
    else
        chan_pty rxb "$2"
    fi
}

t_b_apply() {
    guest_cfg rxb
    {
        echo "channel = ["
        for n in $B_NAMES; do
            if b_is_sock "$n"; then
                echo "  \"connection=socket,path=$(sock_of rxb "$n"),name=$n\","
            else
                echo "  \"connection=pty,name=$n\","
            fi
        done
        echo "]"
    } >"$RX_RUN/rxb-channels.cfg"
    cat "$RX_RUN/rxb-channels.cfg"
    guest_create rxb -p
    xl-channel apply rxb "$RX_RUN/rxb-channels.cfg"
    for d in 1 2 3 4 5 6 7; do
        xs_wait 30 "$(be_dir rxb "$d")/state" 2
    done
    rx_log "all seven at backend state 2 while rxb is paused"
    xl unpause rxb
}

t_b_boot() {
    guest_wait_ready rxb 140 || rx_fail "rxb did not get ready"
    for d in 1 2 3 4 5 6 7; do
        chan_wait_connected rxb "$d"
    done
    xl-channel list -l rxb
}

t_b_coldplug() {
    gx rxb 'consoles; ls -l /dev/xen-channels/ /dev/xen-channel/'
    i=0
    for n in $B_NAMES; do
        i=$((i + 1))
        gx rxb "uev_seen add console-$i" ||
            rx_fail "udevd processed no add of console-$i"
        gx rxb "uev_seen bind console-$i && echo 'console-$i: bind seen at coldplug' || true"
        gx rxb "[ -e /dev/xen-channels/$n ] && [ -e /dev/xen-channel/$n ]" ||
            rx_fail "no link for $n"
    done
}

t_b_seven() {
    set --
    i=0
    for n in $B_NAMES; do
        i=$((i + 1))
        set -- "$@" "$n=$(b_endpoint "$n" "$i")"
    done
    check_links rxb "$@"
    # All seven at once, 8 KiB each way.
    i=0
    for pair in "$@"; do
        i=$((i + 1))
        ep=${pair#*=}
        (rxtool -t 60 g2h "$ep" 8192 "$((10 + i))" &&
            rxtool -t 60 h2g "$ep" 8192 "$((20 + i))") \
            >"$RX_RUN/b7.$i" 2>&1 &
    done
    wait
    bad=0
    i=0
    for pair in "$@"; do
        i=$((i + 1))
        sed "s/^/${pair%%=*}: /" "$RX_RUN/b7.$i"
        [ "$(grep -c 'guest' "$RX_RUN/b7.$i")" -eq 2 ] &&
            ! grep -q 'rxtool\|differ' "$RX_RUN/b7.$i" || bad=1
    done
    [ $bad -eq 0 ] || rx_fail "a transfer failed"
}

t_b_list() {
    lists_equal rxb
}

# xl channel-list and xl-channel list of GUEST must print the same bytes.
lists_equal() { # GUEST
    xl channel-list "$1" >"$RX_RUN/xl.list" 2>"$RX_RUN/xl.err" ||
        { cat "$RX_RUN/xl.err"; rx_fail "xl channel-list failed"; }
    xl-channel list "$1" >"$RX_RUN/xch.list"
    echo "xl channel-list:"
    cat "$RX_RUN/xl.list"
    echo "xl-channel list:"
    cat "$RX_RUN/xch.list"
    cmp "$RX_RUN/xl.list" "$RX_RUN/xch.list" || {
        diff "$RX_RUN/xl.list" "$RX_RUN/xch.list" || true
        rx_fail "the listings differ"
    }
}

t_b_destroy() {
    d=$(domid_of rxb)
    xl destroy rxb
    xs_wait 30 "/local/domain/0/backend/console/$d" -
    for n in $B_NAMES; do
        if b_is_sock "$n"; then
            rxtool waitpath -g 20 "$(sock_of rxb "$n")" ||
                rx_fail "socket of $n still there"
        fi
    done
}

# ---- guests rxp (PVH) and rxh (HVM): the hot-plug scenario per type -----

# Each gets a socket channel G.sock (devid 1, socket $S/G-sock) and a pty
# channel G.pty (devid 2).

t_ty_create() { # GUEST TYPE
    echo "$2" >"$RX_RUN/$1.type"
    rx_uptime >"$RX_RUN/$1.t0"
    RX_GUEST_TYPE=$2 RX_GUEST_ARGS=rx.coldplug=0 guest_cfg "$1"
    guest_create "$1"
}

# Wait up to 200 s for the guest's "@@READY"; return 1 at once if the
# domain is gone (it crashed: on_crash = "destroy"). Polled in 10 s slices:
# nothing else tells dom0 that a domain died.
ty_wait_ready() { # GUEST
    i=0
    while [ $i -lt 20 ]; do
        guest_wait_ready "$1" 10 && return 0
        xl domid "$1" >/dev/null 2>&1 || return 1
        i=$((i + 1))
    done
    rx_fail "$1 did not get ready within 200 s"
}

# The guest's kernel must say it is the type asked for
# (/sys/hypervisor/guest_type: PV, PVH or HVM). A guest that dies while
# booting is created once more, and the log says so: once in a dozen boots
# here a PVH guest triple-faulted early in its kernel, before any console
# output and before any channel existed (TCG's emulation, not xenchannel).
t_ty_boot() { # GUEST PV|PVH|HVM
    if ! ty_wait_ready "$1"; then
        rx_log "$1 died while booting; Xen says: $(xl dmesg | grep -E "d$(domid_of "$1")v" | tail -n 3 | tr '\n' ' ')"
        rx_log "RETRY: creating $1 once more (a crash at boot, with no channel)"
        t_ty_create "$1" "$(cat "$RX_RUN/$1.type")"
        ty_wait_ready "$1" || rx_fail "$1 died while booting, twice"
    fi
    rx_log "$1 ready $(awk "BEGIN { printf \"%.1f\", $(rx_uptime) - $(cat "$RX_RUN/$1.t0") }") s after xl create"
    got=$(gx "$1" 'echo "@@ $(cat /sys/hypervisor/guest_type)"; consoles; ls -l /dev/hvc*')
    rx_log "$1: the guest's kernel says it is $got"
    [ "$got" = "$2" ] || rx_fail "$1 is '$got', not $2"
}

ty_attach_both() { # GUEST
    xl-channel attach "$1" "connection=socket,path=$(sock_of "$1" sock),name=$1.sock"
    xl-channel attach "$1" "connection=pty,name=$1.pty"
    chan_wait_connected "$1" 1
    chan_wait_connected "$1" 2
    [ -S "$(sock_of "$1" sock)" ] || rx_fail "no socket at $(sock_of "$1" sock)"
}

# udevd processed add and bind of both consoles; both spellings of both
# links exist and name the right lines (check_links).
ty_links_right() { # GUEST
    gx "$1" 'rc=0; for c in console-1 console-2; do uev_wait add $c 30 && uev_wait bind $c 30 || rc=1; done; udevadm settle --timeout=30; [ $rc -eq 0 ]' ||
        rx_fail "udevd did not process the add and bind events"
    for n in "$1.sock" "$1.pty"; do
        gx "$1" "[ -e /dev/xen-channels/$n ] && [ -e /dev/xen-channel/$n ]" ||
            rx_fail "no link for $n"
    done
    check_links "$1" "$1.sock=$(sock_of "$1" sock)" "$1.pty=$(chan_pty "$1" 2)"
}

t_ty_attach() { # GUEST
    gx "$1" uev_mark
    ty_attach_both "$1"
}

t_ty_links() { # GUEST
    ty_links_right "$1"
}

# Through the links (check_links left an agent on each).
t_ty_data() { # GUEST
    rxtool g2h "$(sock_of "$1" sock)" 131072 31
    rxtool h2g "$(sock_of "$1" sock)" 131072 32
    pty=$(chan_pty "$1" 2)
    rxtool g2h "$pty" 131072 33
    rxtool h2g "$pty" 131072 34
}

t_ty_list() { # GUEST
    lists_equal "$1"
}

t_ty_detach() { # GUEST
    d=$(domid_of "$1")
    gx "$1" 'killall -q rxtool; uev_mark'
    xl-channel detach "$1" "$1.sock"
    xl-channel detach "$1" "$1.pty"
    for n in 1 2; do
        xs_wait 20 "$(fe_dir "$1" $n)" -
        xs_wait 20 "$(be_dir "$1" $n)" -
        [ -z "$(xenstore-ls "/libxl/$d/device/console/$n" 2>/dev/null)" ] ||
            rx_fail "the /libxl copy of devid $n is still there"
    done
    rxtool waitpath -g 20 "$(sock_of "$1" sock)" ||
        rx_fail "socket $(sock_of "$1" sock) still there"
    gx "$1" 'rc=0; for c in console-1 console-2; do uev_wait remove $c 30 || rc=1; uev_seen unbind $c || echo "no unbind event of $c"; done; udevadm settle --timeout=30; ls -l /dev/xen-channels/ /dev/xen-channel/ 2>&1 || true; [ $rc -eq 0 ]' ||
        rx_fail "udevd did not process the remove events"
    left=$(gx "$1" "for l in /dev/xen-channels/$1.sock /dev/xen-channel/$1.sock /dev/xen-channels/$1.pty /dev/xen-channel/$1.pty; do if [ -e \$l ] || [ -L \$l ]; then echo \"@@ \$l\"; fi; done")
    [ -z "$left" ] || rx_fail "still there after the detach: $left"
}

t_ty_reattach() { # GUEST
    # After the detach test, whatever it found: neither channel is left.
    for n in sock pty; do
        if [ "$(be_dir_of_name "$1" "$1.$n")" != /nonexistent ]; then
            xl-channel detach "$1" "$1.$n"
        fi
    done
    xs_wait 20 "$(fe_dir "$1" 1)" -
    xs_wait 20 "$(fe_dir "$1" 2)" -
    gx "$1" uev_mark
    ty_attach_both "$1"
    ty_links_right "$1"
    lists_equal "$1"
}

t_ty_destroy() { # GUEST
    d=$(domid_of "$1")
    dm=$(xenstore-read "/local/domain/$d/image/device-model-pid" 2>/dev/null) || dm=
    xl destroy "$1"
    xs_wait 30 "/local/domain/0/backend/console/$d" -
    rxtool waitpath -g 20 "$(sock_of "$1" sock)" ||
        rx_fail "socket $(sock_of "$1" sock) still there"
    if [ -n "$dm" ]; then
        # Polled, bounded: the device model is not our child.
        i=0
        while [ -e "/proc/$dm" ] && [ $i -lt 100 ]; do
            usleep 100000
            i=$((i + 1))
        done
        [ ! -e "/proc/$dm" ] || rx_fail "the device model (pid $dm) still runs"
    fi
    xcd_back_to_idle
}

# ---- guest rxk: channels kept across rebuilds (issue 11) -----------------

# The channels of rxk and the state of both ends, for the log.
k_listing() { # WHEN
    rx_log "rxk $1: domain $(domid_of rxk), $(xenstore-read "/local/domain/$(domid_of rxk)/vm")"
    xl list rxk | sed 's/^/RX:   /'
    xl-channel list -l rxk | sed 's/^/RX:   /'
}

# What libxl keeps for rxk: the xsdata entries of its configuration file.
k_kept_json() {
    grep -h '"xenchannel/' /var/lib/xen/userdata-d."$(domid_of rxk)".*.libxl-json
}

t_k_create() {
    guest_cfg rxk 'on_reboot = "restart"' \
        "channel = [ \"name=org.rx.k.sock,connection=socket,path=$K_SOCK\", \"name=org.rx.k.pty,connection=pty\" ]"
    xl-channel create -p -q "$RX_RUN/rxk.cfg"
    xl domid rxk >"$RX_RUN/rxk.domid"
    d=$(domid_of rxk)
    xs_wait 30 "$(be_dir rxk 1)/state" 2
    xs_wait 30 "$(be_dir rxk 2)/state" 2
    [ "$(xenstore-read "$(fe_dir rxk 1)/type")" = xenchanneld ] ||
        rx_fail "devid 1 is not xenchanneld's"
    ! pidof qemu-system-i386 xen-qemu-system-i386 >/dev/null ||
        rx_fail "a QEMU runs: libxl handed it channels"
    rx_log "kept in xenstore:"
    xenstore-ls -p "/local/domain/$d/xenchannel" | sed 's/^/RX:   /'
    rx_log "kept by libxl (c_info.xsdata of /var/lib/xen/userdata-d.$d.*.libxl-json):"
    k_kept_json | sed 's/^/RX:  /'
    [ "$(k_kept_json | wc -l)" -eq 2 ] || rx_fail "libxl's configuration does not keep both"
    guest_console rxk
    xl unpause rxk
}

# rxk's channels connected (state 4), its udev links right (an agent
# answers through each link).
k_connected() {
    chan_wait_connected rxk 1 90
    chan_wait_connected rxk 2 90
    gx rxk -t 60 'udevadm settle --timeout=30; ls -l /dev/xen-channels/' || true
    check_links rxk "org.rx.k.sock=$K_SOCK" "org.rx.k.pty=$(chan_pty rxk 2)"
    for n in org.rx.k.sock org.rx.k.pty; do
        gx rxk "[ -e /dev/xen-channels/$n ]" || rx_fail "no link for $n"
    done
}

t_k_boot() {
    guest_wait_ready rxk 140 || rx_fail "rxk did not get ready"
    k_connected
    k_listing "before the rebuilds"
}

# After something rebuilt rxk from domain OLD: the new domain, when its
# channels came (uptime, seconds), its console followed.
k_rebuilt() { # OLD
    old=$1
    xs_wait 90 "/local/domain/$old/name" - || rx_fail "domain $old still there"
    # Polled, bounded: nothing tells dom0 the domid xl gives the new one.
    i=0
    while :; do
        new=$(xl domid rxk 2>/dev/null) && [ "$new" != "$old" ] && break
        [ $i -lt 600 ] || rx_fail "no new rxk after 60 s"
        usleep 100000
        i=$((i + 1))
    done
    t0=$(rx_uptime)
    xs_wait_present 30 "/local/domain/$new/device/console/1/backend" ||
        rx_fail "channel 1 did not come back"
    xs_wait_present 30 "/local/domain/$new/device/console/2/backend" ||
        rx_fail "channel 2 did not come back"
    t1=$(rx_uptime)
    rx_log "rxk is domain $new (was $old): seen at $t0 s, both channels there at $t1 s; xl list state $(xl list rxk | awk 'NR == 2 { print $5 }')"
    echo "$new" >"$RX_RUN/rxk.domid"
    kill "$(cat "$RX_RUN/rxk.conpid")" 2>/dev/null || true
    guest_console rxk
}

t_k_xlreboot() {
    old=$(domid_of rxk)
    xl reboot rxk
    k_rebuilt "$old"
    guest_wait_ready rxk 140 || rx_fail "rxk did not get ready again"
    k_connected
    k_listing "after xl reboot"
}

t_k_selfreboot() {
    old=$(domid_of rxk)
    rxtool conwrite "$(cat "$RX_RUN/rxk.tty")" 'sync; reboot -f'
    k_rebuilt "$old"
    guest_wait_ready rxk 140 || rx_fail "rxk did not get ready again"
    k_connected
    k_listing "after its own reboot"
}

t_k_saverestore() {
    old=$(domid_of rxk)
    gx rxk 'killall -q rxtool; true'
    xl save rxk "$RX_RUN/rxk.save"
    rx_log "saved: $(ls -l "$RX_RUN/rxk.save")"
    xl restore "$RX_RUN/rxk.save" &
    restore=$!
    k_rebuilt "$old"
    wait "$restore" || rx_fail "xl restore failed"
    rm -f "$RX_RUN/rxk.save"
    gx rxk -t 60 'true' || rx_fail "rxk's shell does not answer after the restore"
    # Linux resumes each device it had; one it cannot: "failed to restore".
    gx rxk 'dmesg | grep -E "xenconsole|to restore"' || true
    ! gx rxk 'dmesg | grep -q "failed to restore"' ||
        rx_fail "a device of rxk failed to resume"
    k_connected
    k_listing "after xl save and xl restore"
}

# What the guide says of a guest restored while no xenchanneld runs.
t_k_latedaemon() {
    old=$(domid_of rxk)
    gx rxk 'killall -q rxtool; true'
    xl save rxk "$RX_RUN/rxk.save"
    xcd_stop || rx_fail "xenchanneld did not exit on SIGTERM"
    xl restore "$RX_RUN/rxk.save" || rx_fail "xl restore failed"
    rm -f "$RX_RUN/rxk.save"
    xl domid rxk >"$RX_RUN/rxk.domid"
    kill "$(cat "$RX_RUN/rxk.conpid")" 2>/dev/null || true
    guest_console rxk
    gx rxk -t 60 'true' || rx_fail "rxk's shell does not answer after the restore"
    gx rxk 'dmesg | grep -E "xenconsole|to restore"' || true
    gx rxk 'dmesg | grep -q "failed to restore"' ||
        rx_fail "rxk resumed its channels without xenchanneld: the guide is wrong"
    xcd_start || rx_fail "xenchanneld did not start again"
    xs_wait 30 "$(be_dir rxk 1)/state" 2 && xs_wait 30 "$(be_dir rxk 2)/state" 2 ||
        rx_fail "the started xenchanneld did not attach the kept channels"
    rx_log "attached again by the started daemon (domain $(domid_of rxk), was $old); frontend states $(xenstore-read "$(fe_dir rxk 1)/state") $(xenstore-read "$(fe_dir rxk 2)/state")"
    xl-channel detach rxk org.rx.k.sock && xl-channel detach rxk org.rx.k.pty ||
        rx_fail "detach failed"
    # The guest lets the dead devices go when it sees their nodes removed.
    gx rxk -t 60 'i=0; while [ -e /sys/bus/xen/devices/console-1 ] || [ -e /sys/bus/xen/devices/console-2 ]; do [ $i -lt 200 ] || exit 1; usleep 100000; i=$((i + 1)); done' ||
        rx_fail "rxk kept its dead console devices after the detach"
    xl-channel attach rxk "name=org.rx.k.sock,connection=socket,path=$K_SOCK" &&
        xl-channel attach rxk "name=org.rx.k.pty,connection=pty" ||
        rx_fail "attach failed"
    k_connected
    k_listing "after a restore without xenchanneld, a detach and an attach"
}

t_k_destroy() {
    d=$(domid_of rxk)
    xl destroy rxk
    xs_wait 30 "/local/domain/0/backend/console/$d" -
    rxtool waitpath -g 20 "$K_SOCK" || rx_fail "socket $K_SOCK still there"
    ! ls /var/lib/xen/userdata-d."$d".* 2>/dev/null ||
        rx_fail "libxl's configuration of $d is still there"
}
