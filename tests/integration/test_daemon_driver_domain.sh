#!/usr/bin/env bash
# xenchanneld in a driver domain: the daemon runs as an unprivileged
# domain (through its xenbus bridge, with xenstored's quotas for such a
# domain in force, here 8 watches) and serves, end to end, the channels
# whose backend= names it: 3 guests of 7 channels each with 4 watches (one
# per guest, not one per channel), without @releaseDomain (which it may
# not watch): a destroyed guest's channels end with their devices.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start -W 8
drv=$("$xenhost" domain-create "$host" driver1) || bail "driver domain"
guests=()
for g in 1 2 3; do
    guests+=("$("$xenhost" domain-create "$host" "guest$g")") ||
        bail "guest $g created"
done
XCD_DOMID=$drv start_daemon || bail "xenchanneld starts in the driver domain"
ok "xenchanneld starts as domain $drv"
grep -q "running in domain $drv: @releaseDomain reaches it only if the toolstack allows" \
    "$tmp/xenchanneld.err"
ok "it does without @releaseDomain, and says so"

fd=5
for dom in "${guests[@]}"; do
    start_guest "$dom" "$tmp/chans-$dom" $fd || bail "guest $dom's frontends"
    for n in 1 2 3 4 5 6 7; do
        "$xl" attach "$dom" "name=org.test.$n,connection=socket,path=$tmp/s-$dom-$n.sock,backend=driver1" ||
            break
    done
    wait_lines $fd "connected org.test."{1,2,3,4,5,6,7} || break
    fd=$((fd + 1))
done
ok "21 channels on 3 guests connect (8 watches at most: one per guest)"
for dom in "${guests[@]}"; do
    "$xt" stream --connect "$tmp/s-$dom-7.sock" --send-seed "$dom" \
        --send 65536 --recv-seed $((dom + 100)) --recv 65536 \
        2>"$tmp/host-$dom.err" &
    hp=$!
    "$xt" stream --connect "$tmp/chans-$dom/org.test.7" \
        --send-seed $((dom + 100)) --send 65536 --recv-seed "$dom" \
        --recv 65536 2>"$tmp/guest-$dom.err" && wait $hp || break
done
ok "bytes flow both ways on a channel of each guest"
[ "$("$xt" status "$ctl" "${guests[0]}" 7 host_end)" = client ] ||
    [ "$("$xt" status "$ctl" "${guests[0]}" 7 bytes_from_guest)" = 65536 ]
ok "the driver domain's daemon answers on its control socket"
[ "$(xenstore-read "/local/domain/$drv/backend/console/${guests[1]}/3/state")" = 4 ]
ok "the backend state is in the driver domain's tree"

# xl destroy's order: the devices go (through /libxl), then the domain.
"$xenhost" domain-destroy "$host" "${guests[0]}" || bail "guest destroyed"
for n in 1 2 3 4 5 6 7; do
    "$xt" wait-path "$tmp/s-${guests[0]}-$n.sock" --gone || break
done
ok "the destroyed guest's channels end: their sockets are removed"
[ -S "$tmp/s-${guests[1]}-1.sock" ] && [ -S "$tmp/s-${guests[2]}-7.sock" ]
ok "the other guests' channels stay"

# A guest that dies without the toolstack cleaning up: xenstored releases
# it and removes its nodes, the frontends with them; the daemon lets go of
# the rings (on Xen a mapping left would keep the dead domain a zombie).
# The guest is dead: its simulator goes with it (a live one would block
# in its next xenstore request, which a gone domain never gets answered).
kill -KILL "${dt_pids[1]}" && wait "${dt_pids[1]}" 2>/dev/null
"$xenhost" domain-state "$host" "${guests[1]}" gone &&
    "$xenhost" virq "$host" &&
    "$xt" wait-xs "/local/domain/$drv/backend/console/${guests[1]}/1/state" 6
ok "a released guest's rings are let go (BE Closed) without @releaseDomain"
[ "$("$xt" status "$ctl" "${guests[1]}" 5 guest_side)" = closed ]
ok "its channels are closed, not failed"
stop_daemon
ok "SIGTERM: clean exit"
dt_done
