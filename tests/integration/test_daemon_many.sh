#!/usr/bin/env bash
# xenchanneld with 2 guests x 7 channels (sockets and ptys) moving data at
# once, then one guest destroyed as `xl destroy` does: every descriptor
# and mapping of its channels is released, its sockets are removed, and
# the other guest's channels go on working.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
start_daemon || bail "xenchanneld starts"
fd_snapshot "$tmp/fds0"
K=$((1 << 10))

# Channels 1..5 of guest G are sockets $tmp/gG-N.sock, 6 and 7 ptys.
attach_all() { # GUEST DOMID FD
    local i
    for i in 1 2 3 4 5; do
        "$xl" attach "$2" "name=org.test.g$1.$i,connection=socket,path=$tmp/g$1-$i.sock" ||
            return 1
    done
    for i in 6 7; do
        "$xl" attach "$2" "name=org.test.g$1.$i,connection=pty" || return 1
    done
    wait_lines "$3" "connected org.test.g$1."{1,2,3,4,5,6,7} || return 1
    for i in 1 2 3 4 5 6 7; do
        "$xt" wait-xs "$(be_path "$2" "$i")/state" 4 || return 1
    done
}

host_end() { # GUEST DOMID N: the argument naming the host end for xcd-test
    if [ "$3" -le 5 ]; then
        echo "--connect $tmp/g$1-$3.sock"
    else
        echo "--open $(xenstore-read "$(fe_path "$2" "$3")/tty")"
    fi
}

# Every channel of both guests, 1 MiB each way at once.
stream_all() { # SEED
    local g i d pids=() rc=0
    for g in 1 2; do
        d=${doms[$g]}
        for i in 1 2 3 4 5 6 7; do
            # shellcheck disable=SC2046 # host_end is two words
            "$xt" stream $(host_end "$g" "$d" "$i") \
                --send-seed $(($1 + g * 10 + i)) --send $((1024 * K)) \
                --recv-seed $(($1 + 100 + g * 10 + i)) --recv $((1024 * K)) \
                2>>"$tmp/host.err" &
            pids+=($!)
            "$xt" stream --connect "$tmp/guest$g/org.test.g$g.$i" \
                --send-seed $(($1 + 100 + g * 10 + i)) --send $((1024 * K)) \
                --recv-seed $(($1 + g * 10 + i)) --recv $((1024 * K)) \
                2>>"$tmp/guest.err" &
            pids+=($!)
        done
    done
    for p in "${pids[@]}"; do
        wait "$p" || rc=1
    done
    return $rc
}

# Until the daemon has seen every host client of guest G leave.
clients_gone() { # GUEST DOMID
    local i
    for i in 1 2 3 4 5 6 7; do
        "$xt" wait-xs "$(be_path "$2" "$i")/client-connected" 0 || return 1
    done
}

declare -A doms
doms[1]=$("$xenhost" domain-create "$host" guest1) || bail "guest 1 created"
doms[2]=$("$xenhost" domain-create "$host" guest2) || bail "guest 2 created"
start_guest "${doms[1]}" "$tmp/guest1" 5 || bail "guest 1 simulator ready"
start_guest "${doms[2]}" "$tmp/guest2" 6 || bail "guest 2 simulator ready"

attach_all 1 "${doms[1]}" 5 2>"$tmp/attach1.err"
ok "guest 1: 7 channels connect"
fd_snapshot "$tmp/fds1"
attach_all 2 "${doms[2]}" 6 2>"$tmp/attach2.err"
ok "guest 2: 7 channels connect"

stream_all 1000
ok "14 channels move 1 MiB each way at once, intact"
clients_gone 1 "${doms[1]}" && clients_gone 2 "${doms[2]}"
ok "the daemon sees every client leave"

d1=${doms[1]}
[ "$(grep -c "/grant/$d1-" "/proc/$xcd_pid/maps")" -eq 7 ]
ok "7 ring pages of guest 1 mapped"
"$xenhost" domain-destroy "$host" "$d1"
ok "guest 1 destroyed as xl destroy does"
for i in 1 2 3 4 5; do
    "$xt" wait-path "$tmp/g1-$i.sock" --gone || false
done
ok "guest 1's sockets are removed"
# A barrier: the daemon handles xenstore events in order, so once it has
# made the socket of a channel attached now, it has handled the removals.
"$xl" attach "${doms[2]}" "devid=9,name=org.test.barrier,connection=socket,path=$tmp/barrier.sock" \
    2>"$tmp/attach3.err" && "$xt" wait-path "$tmp/barrier.sock"
ok "a later channel is served"
fd_snapshot "$tmp/fds2"
comm -13 "$tmp/fds0" "$tmp/fds1" >"$tmp/fds-guest1"
nfds=$(wc -l <"$tmp/fds-guest1")
[ -s "$tmp/fds-guest1" ] && [ -z "$(comm -12 "$tmp/fds-guest1" "$tmp/fds2")" ]
ok "every descriptor of guest 1's channels is closed ($nfds)"
! grep -q "/grant/$d1-" "/proc/$xcd_pid/maps"
ok "no page of guest 1 is mapped any more"
! "$xt" status "$ctl" "$d1" 1 name >/dev/null 2>&1
ok "the control socket no longer reports guest 1's channels"

pids=()
for i in 1 2 3 4 5 6 7; do
    # shellcheck disable=SC2046
    "$xt" stream $(host_end 2 "${doms[2]}" "$i") --send-seed $((500 + i)) \
        --send $((256 * K)) --recv-seed $((600 + i)) --recv $((256 * K)) \
        2>>"$tmp/host.err" &
    pids+=($!)
    "$xt" stream --connect "$tmp/guest2/org.test.g2.$i" \
        --send-seed $((600 + i)) --send $((256 * K)) \
        --recv-seed $((500 + i)) --recv $((256 * K)) 2>>"$tmp/guest.err" &
    pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
[ $rc -eq 0 ]
ok "guest 2's channels still work"

stop_daemon
ok "SIGTERM: clean exit"
dt_done
