#!/usr/bin/env bash
# The guest console frontend simulator (xch-guestsim) end to end against
# the test-only echo backend (xch-echoback), on a simulated host: channels
# are written by hand in the toolstack's layout (SPEC §3), the frontend
# connects, clients of the channel sockets get their bytes echoed, and
# hot-plug, bad input, detach, reconnection and removal behave.
set -u
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
. "$src/tests/lib/tap.sh"
xenhost=$out/testbed/xenhost
client=$src/tests/guest/chanclient.py

tmp=$(mktemp -d)
host=$tmp/host
chans=$tmp/channels
mkdir -p "$host" "$chans"
gs_pid=
eb_pid=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$gs_pid" ] && kill "$gs_pid" 2>/dev/null && wait "$gs_pid"
    [ -n "$eb_pid" ] && kill "$eb_pid" 2>/dev/null && wait "$eb_pid"
    "$xenhost" stop "$host" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT


tap_logs() {
    for f in "$tmp"/*.err "$host"/xenstored.log; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
    done
}


eval "$("$xenhost" start "$host")" || bail "testbed starts"
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"

# The toolstack's layout for channel N of the guest (SPEC §3), by hand.
# FE state 1 is written last: the frontend probes a device in state 1.
add_channel() { # N NAME
    local fe=/local/domain/$dom/device/console/$1
    local be=/local/domain/0/backend/console/$dom/$1
    xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$dom" \
        "$be/online" 1 "$be/state" 1 "$be/protocol" vt100 "$be/name" "$2" \
        "$be/connection" socket "$be/path" "$tmp/host-$1.sock" &&
        xenstore-chmod -r "$be" n0 "r$dom" &&
        xenstore-write "$fe" "" &&
        xenstore-chmod "$fe" "n$dom" r0 &&
        xenstore-write "$fe/backend" "$be" "$fe/backend-id" 0 \
            "$fe/protocol" vt100 "$fe/name" "$2" "$fe/limit" 1048576 \
            "$fe/type" xenchanneld "$fe/output" "chardev:libxl-channel$1" \
            "$fe/tty" "" &&
        for k in name limit type output tty; do
            xenstore-chmod "$fe/$k" n0 "r$dom" || return 1
        done &&
        xenstore-write "$fe/state" 1
}

remove_channel() { # N
    xenstore-rm "/local/domain/$dom/device/console/$1" &&
        xenstore-rm "/local/domain/0/backend/console/$dom/$1"
}

fe_key() { xenstore-read "/local/domain/$dom/device/console/$1/$2"; }
be_key() { xenstore-read "/local/domain/0/backend/console/$dom/$1/$2"; }

# The backend (dom0) and the frontend (the guest), both under the preload.
mkfifo "$tmp/eb.out" "$tmp/gs.out"
(
    eval "$("$xenhost" env "$host" --preload)"
    exec "$out/bin/xch-echoback" --foreground --greeting "hello-from-dom0"
) >"$tmp/eb.out" 2>"$tmp/echoback.err" &
eb_pid=$!
exec 3<"$tmp/eb.out"
(
    eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
    exec "$out/bin/xch-guestsim" --dir "$chans" --foreground
) >"$tmp/gs.out" 2>"$tmp/guestsim.err" &
gs_pid=$!
exec 4<"$tmp/gs.out"
wait_line 3 ready || bail "echo backend ready"
wait_line 4 ready || bail "frontend simulator ready"

# --- a channel connects
add_channel 1 org.test.one || bail "channel 1 written"
wait_line 4 "connected org.test.one" || bail "frontend connects channel 1"
ok "frontend connects channel 1"
wait_line 3 "connected $dom/1"
ok "backend connects channel 1"
[ "$(fe_key 1 state)" = 4 ] && [ "$(be_key 1 state)" = 4 ]
ok "FE and BE state 4"
ref=$(fe_key 1 ring-ref) && port=$(fe_key 1 port) &&
    [ "$ref" -ge 8 ] && [ "$port" -ge 1 ]
ok "FE has ring-ref ($ref) and port ($port)"
[ -S "$chans/org.test.one" ]
ok "socket named after the channel"

# --- bytes the backend sent before any client are kept for the first one
python3 "$client" expect "$chans/org.test.one" hello-from-dom0
ok "data sent while no client was connected reaches the first client"
python3 "$client" echo "$chans/org.test.one" $((4 << 20))
ok "4 MiB echoed intact"
python3 "$client" hold "$chans/org.test.one" $((16 << 20))
ok "writer is pushed back while the rings are full, nothing lost"

# --- hot-plug a second channel, then a bad one and a good one after it
add_channel 2 org.test.two || bail "channel 2 written"
wait_line 4 "connected org.test.two"
ok "hot-plugged channel 2 connects"
python3 "$client" expect "$chans/org.test.two" hello-from-dom0 &&
    python3 "$client" echo "$chans/org.test.two" 65536 &&
    python3 "$client" echo "$chans/org.test.one" 65536
ok "both channels carry data independently"

add_channel 3 "bad/name" || bail "channel 3 written"
wait_line 4 "connected console/3"
ok "a channel with an invalid name connects, as in Linux"
[ "$(fe_key 3 state)" = 4 ] && [ ! -e "$chans/bad" ] &&
    [ "$(find "$chans" -type s | wc -l)" = 2 ]
ok "but gets no socket"

# A frontend whose backend directory does not exist fails as Linux's
# xenbus_read_otherend_details makes it: FE Closing, nothing shared.
fe5=/local/domain/$dom/device/console/5
if ! { xenstore-write "$fe5" "" && xenstore-chmod "$fe5" "n$dom" r0 &&
    xenstore-write "$fe5/backend" "/local/domain/0/backend/console/$dom/5" \
        "$fe5/backend-id" 0 "$fe5/name" org.test.five "$fe5/state" 1; }; then
    bail "channel 5 written"
fi
wait_line 4 "failed console/5"
ok "a device without a backend fails"
[ "$(fe_key 5 state)" = 5 ] && ! fe_key 5 ring-ref >/dev/null 2>&1
ok "and goes Closing without a ring"
xenstore-rm "$fe5"

add_channel 4 org.test.four || bail "channel 4 written"
wait_line 4 "connected org.test.four"
ok "channel 4 connects"

# --- detach as the toolstack does: BE Closing, FE Closed, BE Closed
xenstore-write "/local/domain/0/backend/console/$dom/2/online" 0 \
    "/local/domain/0/backend/console/$dom/2/state" 5
wait_line 4 "closed org.test.two"
ok "frontend closes when the backend is Closing"
wait_line 3 "closed $dom/2"
ok "backend closes after the frontend"
[ "$(fe_key 2 state)" = 6 ] && [ "$(be_key 2 state)" = 6 ] &&
    [ ! -e "$chans/org.test.two" ]
ok "FE and BE state 6, socket gone"

# --- the backend starts over: the frontend connects again
xenstore-write "/local/domain/0/backend/console/$dom/2/state" 2
wait_line 4 "connected org.test.two"
ok "frontend reconnects when the backend returns to InitWait"
wait_line 3 "connected $dom/2"
ok "backend maps the new ring"
[ "$(fe_key 2 state)" = 4 ] && [ "$(be_key 2 state)" = 4 ]
ok "FE and BE state 4 again"
python3 "$client" expect "$chans/org.test.two" hello-from-dom0 &&
    python3 "$client" echo "$chans/org.test.two" 100000
ok "reconnected channel carries data"

# --- devices disappear
remove_channel 2 || bail "channel 2 removed"
wait_line 4 "removed org.test.two"
ok "frontend lets go of a removed channel"
[ ! -e "$chans/org.test.two" ]
ok "its socket is gone"
remove_channel 1 || bail "channel 1 removed"
wait_line 4 "removed org.test.one"
ok "a connected channel removed without closing"
python3 "$client" expect "$chans/org.test.four" hello-from-dom0 &&
    python3 "$client" echo "$chans/org.test.four" 10000
ok "the remaining channel still works"

# --- a hostile backend: impossible ring indices stop the channel, loudly
kill -USR1 "$eb_pid"
wait_line 3 "corrupted $dom/4" || bail "backend corrupts the rings"
wait_line 4 "corrupt org.test.four"
ok "frontend detects corrupt ring indices"
[ ! -e "$chans/org.test.four" ] && kill -0 "$gs_pid"
ok "the channel is stopped, the frontend lives on"

# --- guest shutdown: Connected devices go Closing, the backend answers
kill "$gs_pid"
wait_line 3 "closed $dom/4"
ok "backend closes the channel of a guest shutting down"
wait "$gs_pid"
ok "frontend exits cleanly on SIGTERM"
gs_pid=
[ "$(fe_key 4 state)" = 6 ] && [ "$(be_key 4 state)" = 6 ]
ok "FE and BE state 6 after the shutdown"
[ ! -e "$chans/org.test.four" ]
ok "and the frontend removed its sockets"
kill "$eb_pid"
wait "$eb_pid"
ok "echo backend exits cleanly on SIGTERM"
eb_pid=
tap_done
