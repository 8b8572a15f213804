#!/usr/bin/env bash
# xenchanneld end to end with a pty channel: the slave's path is published
# in FE `tty`, the pty is raw, bytes flow both ways at once intact, output
# written while nobody has the slave open reaches the next opener, and a
# reader closing and the next one opening lose and duplicate nothing.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/guest
start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"

# By hand with a limit of 32 MiB: the 16 MiB below fit in the buffer
# however slowly the host reader runs (past the limit the oldest output is
# dropped by design; test_daemon_socket.sh tests that).
add_channel "$dom" 1 org.test.pty pty "" $((32 << 20)) ||
    bail "a pty channel"
wait_line 5 "connected org.test.pty" &&
    "$xt" wait-xs "$(be_path "$dom" 1)/state" 4
ok "the frontend connects"
tty=$(xenstore-read "$(fe_path "$dom" 1)/tty")
[ -c "$tty" ] && case $tty in /dev/pts/*) true ;; *) false ;; esac
ok "FE tty holds the pty's slave ($tty)"
"$xt" wait-xs "$(be_path "$dom" 1)/client-connected" 0 &&
    [ "$("$xt" status "$ctl" "$dom" 1 client_connected)" = "" ]
ok "no client before the slave is opened"

# --- output written before anybody opened the slave
K=$((1 << 10))
"$xt" stream --connect "$chans/org.test.pty" --send-seed 61 \
    --send $((512 * K)) 2>"$tmp/guest1.err" &&
    "$xt" stream --open "$tty" --recv-seed 61 --recv $((512 * K)) \
        2>"$tmp/host1.err"
ok "512 KiB written before the slave was opened reach its first reader"

# --- both ways at once
M=$((1 << 20))
"$xt" stream --open "$tty" --send-seed 62 --send $((16 * M)) \
    --recv-seed 63 --recv $((16 * M)) 2>"$tmp/host2.err" &
hp=$!
"$xt" stream --connect "$chans/org.test.pty" --send-seed 63 \
    --send $((16 * M)) --recv-seed 62 --recv $((16 * M)) \
    2>"$tmp/guest2.err" &
gp=$!
wait $hp && wait $gp
ok "16 MiB each way at once arrive intact through the pty"

# --- a reader leaves, output goes on, the next reader gets all of it
"$xt" stream --connect "$chans/org.test.pty" --send-seed 64 \
    --send $((256 * K)) 2>"$tmp/guest3.err" &&
    "$xt" stream --open "$tty" --recv-seed 64 --recv $((256 * K)) \
        2>"$tmp/host3.err"
ok "the first reader gets the first 256 KiB"
"$xt" wait-xs "$(be_path "$dom" 1)/client-connected" 0
ok "the daemon sees the slave closed (hangup)"
"$xt" stream --connect "$chans/org.test.pty" --send-seed 64 \
    --send-off $((256 * K)) --send $((256 * K)) 2>>"$tmp/guest3.err" &&
    "$xt" stream --open "$tty" --recv-seed 64 --recv-off $((256 * K)) \
        --recv $((256 * K)) 2>>"$tmp/host3.err"
ok "the next reader gets the rest: nothing lost or duplicated"

# --- host -> guest across two writers
"$xt" stream --connect "$chans/org.test.pty" --recv-seed 65 \
    --recv $((2 * M)) 2>"$tmp/guest4.err" &
gp=$!
"$xt" stream --open "$tty" --send-seed 65 --send $M 2>"$tmp/host4.err" &&
    "$xt" stream --open "$tty" --send-seed 65 --send-off $M --send $M \
        2>>"$tmp/host4.err" && wait $gp
ok "host -> guest: a second writer continues the first one's stream"

# The daemon lets go of the channel when it sees the device removed: its
# event stream says when ("detached").
mkfifo "$tmp/events"
("$xl" events "$dom" | sed -u 's/^[^ ]* //') >"$tmp/events" 2>/dev/null &
dt_pids+=($!)
exec 7<"$tmp/events"
# The stream starts with the channel's state (its host end may still be
# seeing the last writer leave).
IFS= read -r -t 60 first <&7
case $first in "$dom/1 org.test.pty state guest=connected host="*) ;;
*) bail "the event stream starts (got '$first')" ;; esac
"$xl" detach "$dom" 1 2>"$tmp/detach.err" &&
    ! grep -qi "warn\|timed out\|did not" "$tmp/detach.err"
ok "detach completes, confirmed by the backend"
wait_line 7 "$dom/1 org.test.pty detached: removed" &&
    ! find "/proc/$xcd_pid/fd" -mindepth 1 -printf '%l\n' | grep -q ptmx
ok "the daemon no longer holds the pty"
stop_daemon
ok "SIGTERM: clean exit"
dt_done
