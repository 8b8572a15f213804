#!/usr/bin/env bash
# xenchanneld end to end with a socket channel: the guest simulator plays
# the frontend, xcd-test plays the clients on both sides. Bytes flow both
# ways at once intact; a client leaving and the next one arriving lose and
# duplicate nothing; output written while no client is connected reaches
# the next one; past the frontend's limit the oldest bytes are dropped and
# counted; the frontend closes and comes back; detach while data flows.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/guest
start_daemon || bail "xenchanneld starts and reports READY=1"
ok "xenchanneld starts and reports READY=1"

# A limit of 32 MiB, set before the frontend connects: the 16 MiB below
# fit in the buffer however slowly the host client runs (the limit itself
# is tested further down).
sock=$tmp/a.sock
"$xl" attach "$dom" "name=org.test.a,connection=socket,path=$sock" \
    2>"$tmp/attach.err" || bail "attach a socket channel"
"$xt" wait-xs "$(be_path "$dom" 1)/state" 2
ok "without a frontend, the channel waits in InitWait"
xenstore-write "$(fe_path "$dom" 1)/limit" $((32 << 20)) ||
    bail "FE limit written"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"
wait_line 5 "connected org.test.a"
ok "the frontend connects"
"$xt" wait-xs "$(be_path "$dom" 1)/state" 4 && "$xt" wait-path "$sock"
ok "BE state 4, socket $sock exists"
[ "$(stat -c %a "$sock")" = 600 ] && [ -S "$sock" ]
ok "the channel socket has mode 0600"
[ "$(xenstore-read "$(be_path "$dom" 1)/hotplug-status")" = connected ]
ok "hotplug-status is connected"

# --- 16 MiB each way at once
M=$((1 << 20))
"$xt" stream --connect "$sock" --send-seed 11 --send $((16 * M)) \
    --recv-seed 12 --recv $((16 * M)) 2>"$tmp/host1.err" &
hp=$!
"$xt" stream --connect "$chans/org.test.a" --send-seed 12 \
    --send $((16 * M)) --recv-seed 11 --recv $((16 * M)) \
    2>"$tmp/guest1.err" &
gp=$!
wait $hp && wait $gp
ok "16 MiB each way at once arrive intact"
[ "$("$xt" status "$ctl" "$dom" 1 bytes_from_guest)" = $((16 * M)) ] &&
    [ "$("$xt" status "$ctl" "$dom" 1 bytes_to_guest)" = $((16 * M)) ]
ok "the control socket counts 16 MiB each way"

# --- host -> guest across two clients: the guest reads one stream
"$xt" stream --connect "$chans/org.test.a" --recv-seed 21 \
    --recv $((2 * M)) 2>"$tmp/guest2.err" &
gp=$!
"$xt" stream --connect "$sock" --send-seed 21 --send $M 2>"$tmp/host2.err" &&
    "$xt" stream --connect "$sock" --send-seed 21 --send-off $M --send $M \
        2>>"$tmp/host2.err" && wait $gp
ok "host -> guest: a second client continues the first one's stream"

# --- guest -> host across two clients, the second half written while no
# client is connected
"$xt" stream --connect "$chans/org.test.a" --send-seed 22 \
    --send $((512 * 1024)) 2>"$tmp/guest3.err" &&
    "$xt" stream --connect "$sock" --recv-seed 22 --recv $((512 * 1024)) \
        2>"$tmp/host3.err"
ok "guest -> host: the first client reads the first 512 KiB"
"$xt" wait-xs "$(be_path "$dom" 1)/client-connected" 0 &&
    [ "$("$xt" status "$ctl" "$dom" 1 client_connected)" = "" ]
ok "status: no client connected (BE key and control socket)"
"$xt" stream --connect "$chans/org.test.a" --send-seed 22 \
    --send-off $((512 * 1024)) --send $((512 * 1024)) 2>>"$tmp/guest3.err" &&
    "$xt" stream --connect "$sock" --recv-seed 22 --recv-off $((512 * 1024)) \
        --recv $((512 * 1024)) 2>>"$tmp/host3.err"
ok "512 KiB written while no client was connected reach the next client"

# --- past the frontend's limit: the oldest bytes are dropped and counted
add_channel "$dom" 2 org.test.small socket "$tmp/small.sock" 65536 ||
    bail "channel 2 written by hand"
wait_line 5 "connected org.test.small"
"$xt" wait-path "$tmp/small.sock"
total=$((4 * M))
"$xt" stream --connect "$chans/org.test.small" --send-seed 31 \
    --send $total 2>"$tmp/guest4.err"
ok "the guest writes 4 MiB into a channel with limit 65536 and no client"
"$xt" stream --connect "$tmp/small.sock" --recv-seed 31 \
    --recv-tail $total >"$tmp/tail.out" 2>"$tmp/host4.err"
ok "the next client gets an intact tail of the stream"
dropped=$(sed -n 's/^offset //p' "$tmp/tail.out")
[ -n "$dropped" ] && [ "$dropped" -ge $((total - 65536 - 512 * 1024)) ] &&
    [ "$dropped" -le $((total - 65536)) ]
ok "the oldest bytes were dropped ($dropped)"
"$xt" wait-xs "$(be_path "$dom" 2)/bytes-dropped" "$dropped"
ok "BE bytes-dropped says how many"
[ -n "$dropped" ] &&
    [ "$("$xt" status "$ctl" "$dom" 2 bytes_dropped)" = "$dropped" ]
ok "the control socket says how many"
if "$xl" list -l "$dom" >"$tmp/list.out" 2>"$tmp/list.err"; then
    [ -n "$dropped" ] && grep -qw "$dropped" "$tmp/list.out"
    ok "xl-channel list -l shows the dropped bytes"
fi

# --- the frontend closes and comes back (as a guest kernel reloading
# its driver): the host client stays connected throughout
kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
exec 5<&-
fe=$(fe_path "$dom" 1)
be=$(be_path "$dom" 1)
xenstore-write "$fe/state" 6 && "$xt" wait-xs "$be/state" 6
ok "FE Closed: BE goes Closed"
"$xt" stream --connect "$sock" --send-seed 41 --send 65536 \
    --recv-seed 42 --recv 65536 2>"$tmp/host5.err" &
hp=$!
xenstore-write "$fe/state" 1 && "$xt" wait-xs "$be/state" 2
ok "FE back to Initialising: BE goes InitWait"
rm -f "$tmp/gs-$dom.out"
start_guest "$dom" "$chans" 6 && wait_line 6 "connected org.test.a" &&
    "$xt" wait-xs "$be/state" 4
ok "the frontend reconnects"
"$xt" stream --connect "$chans/org.test.a" --send-seed 42 --send 65536 \
    --recv-seed 41 --recv 65536 2>"$tmp/guest5.err" && wait $hp
ok "bytes flow again, both ways, with the same host client"

# --- detach while the guest is writing
"$xt" stream --connect "$chans/org.test.a" --send-seed 51 \
    --send $((64 * M)) 2>/dev/null &
gp=$!
"$xl" detach "$dom" 1 2>"$tmp/detach.err"
ok "detach completes while data is in flight"
! grep -qi "warn\|timed out\|did not" "$tmp/detach.err"
ok "the backend confirmed the detach (no timeout)"
"$xt" wait-path "$sock" --gone
ok "the socket file is removed"
kill $gp 2>/dev/null
wait $gp 2>/dev/null
kill -0 "$xcd_pid"
ok "xenchanneld is still running"

stop_daemon
ok "SIGTERM: clean exit"
[ ! -e "$tmp/small.sock" ]
ok "sockets removed at shutdown"
dt_done
