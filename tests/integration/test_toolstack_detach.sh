#!/usr/bin/env bash
# Detach (SPEC §3) with a live guest: the frontend simulator (xch-guestsim)
# as the guest and the test echo backend (xch-echoback) in dom0. The
# toolstack asks for Closing, the guest closes, the backend reports Closed,
# and FE, BE and LX are removed; --force removes at once; an unresponsive
# guest (stopped with SIGSTOP) is removed after the timeout, with a warning.
# At the end xenstore is exactly as before the first attach.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/channels
mkdir -p "$chans"

mkfifo "$tmp/eb.out" "$tmp/gs.out"
(
    eval "$("$xenhost" env "$host" --preload)"
    exec "$out/bin/xch-echoback" --foreground
) >"$tmp/eb.out" 2>"$tmp/echoback.err" &
ts_pids+=($!)
exec 3<"$tmp/eb.out"
(
    eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
    exec "$out/bin/xch-guestsim" --dir "$chans" --foreground
) >"$tmp/gs.out" 2>"$tmp/guestsim.err" &
gs_pid=$!
ts_pids+=("$gs_pid")
exec 4<"$tmp/gs.out"
wait_line 3 ready || bail "echo backend ready"
wait_line 4 ready || bail "frontend simulator ready"

before=$(dump_all)
"$xl" attach guest1 "name=org.test.a,connection=socket,path=$tmp/a.sock" &&
    "$xl" attach guest1 "name=org.test.b,connection=pty" &&
    "$xl" attach guest1 "name=org.test.c,connection=socket,path=$tmp/c.sock" ||
    bail "three channels attached"
# The three connect in any order: nothing orders one device's handshake
# after another's.
wait_lines 4 "connected org.test."{a,b,c} || bail "the channels connect"
wait_lines 3 "connected $dom/"{1,2,3} || bail "the backend connects them"
ok "three attached channels connect (guest and backend)"

gone() { # DEVID: FE, BE and LX are all gone
    ! xenstore-exists "/local/domain/$dom/device/console/$1" &&
        ! xenstore-exists "/local/domain/0/backend/console/$dom/$1" &&
        ! xenstore-exists "/libxl/$dom/device/console/$1"
}

# --- the handshake, by name
"$xl" detach guest1 org.test.a 2>"$tmp/detach.err"
ok "detach by name succeeds"
[ ! -s "$tmp/detach.err" ] || { show "$tmp/detach.err"; false; }
ok "without a warning: the backend confirmed Closed"
wait_line 4 "closed org.test.a" && wait_line 3 "closed $dom/1"
ok "the guest saw Closing and closed, then the backend"
wait_line 4 "removed org.test.a" && wait_line 3 "removed $dom/1"
ok "guest and backend saw the device go"
gone 1
ok "FE, BE and LX of channel 1 removed"
xenstore-exists "/libxl/$dom/device/console/2" &&
    xenstore-exists "/libxl/$dom/device/console/3"
ok "the other channels are untouched"

# --- --force, by devid: no handshake
"$xl" detach --force guest1 2 2>"$tmp/detach.err" &&
    [ ! -s "$tmp/detach.err" ]
ok "detach --force by devid succeeds"
wait_line 4 "removed org.test.b"
ok "the guest saw the device go"
gone 2
ok "FE, BE and LX of channel 2 removed"

# --- an unresponsive guest: removal after the timeout
kill -STOP "$gs_pid"
"$xl" detach --timeout 0.3 guest1 org.test.c 2>"$tmp/detach.err"
ok "detach with an unresponsive guest succeeds after the timeout"
grep -q "warning: the backend did not close channel 3 of domain $dom within 300 ms; removed it anyway" \
    "$tmp/detach.err" || { show "$tmp/detach.err"; false; }
ok "with a warning naming the channel and the timeout"
gone 3
ok "FE, BE and LX of channel 3 removed"
kill -CONT "$gs_pid"
wait_line 4 "removed org.test.c"
ok "the guest, resumed, lets go of the device"

[ "$before" = "$(dump_all)" ] || {
    diff <(echo "$before") <(dump_all) | show
    false
}
ok "xenstore is exactly as before the first attach"

ts_done
