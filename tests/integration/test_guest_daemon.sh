#!/usr/bin/env bash
# The guest frontend simulator against the real backend daemon: a socket
# channel written in the toolstack's layout connects, bytes flow both ways
# at once between the host socket and the guest's channel socket, a
# toolstack detach (BE Closing) closes both ends, the channel reconnects
# when re-created; then the whole system: `xl-channel attach` and
# `detach` with the daemon and the guest; and a guest shutdown closes the
# remaining channel cleanly.
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
d_pid=

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    [ -n "$gs_pid" ] && kill "$gs_pid" 2>/dev/null && wait "$gs_pid"
    [ -n "$d_pid" ] && kill "$d_pid" 2>/dev/null && wait "$d_pid"
    "$xenhost" stop "$host" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT


tap_logs() {
    for f in "$tmp"/*.err; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
    done
}


# Waits until a xenstore node holds a value: check, else wait for the
# watch to fire (its first event is the registration's; the bound only
# covers a change that slipped in between the check and the watch).
wait_key() { # PATH VALUE
    local tries=10
    while [ $tries -gt 0 ]; do
        tries=$((tries - 1))
        [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ] && return 0
        timeout 5 xenstore-watch -n 2 "$1" >/dev/null 2>&1
    done
    echo "# $1 is '$(xenstore-read "$1" 2>/dev/null)', not '$2'"
    return 1
}

eval "$("$xenhost" start "$host")" || bail "testbed starts"
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
fe=/local/domain/$dom/device/console/1
be=/local/domain/0/backend/console/$dom/1

# The toolstack's layout (SPEC §3), by hand. The real toolstack writes it
# in one transaction; here the frontend is written first, then the backend
# (the daemon needs FE `type`), and FE state 1 last (a Linux frontend needs
# the backend directory when it probes).
add_channel() { # NAME
    xenstore-write "$fe" "" &&
        xenstore-chmod "$fe" "n$dom" r0 &&
        xenstore-write "$fe/backend" "$be" "$fe/backend-id" 0 \
            "$fe/protocol" vt100 "$fe/name" "$1" "$fe/limit" 1048576 \
            "$fe/type" xenchanneld "$fe/output" chardev:libxl-channel1 \
            "$fe/tty" "" &&
        for k in name limit type output tty; do
            xenstore-chmod "$fe/$k" n0 "r$dom" || return 1
        done &&
        xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$dom" \
            "$be/online" 1 "$be/state" 1 "$be/protocol" vt100 \
            "$be/name" "$1" "$be/connection" socket \
            "$be/path" "$tmp/host.sock" &&
        xenstore-chmod -r "$be" n0 "r$dom" &&
        xenstore-write "$fe/state" 1
}

(
    eval "$("$xenhost" env "$host" --preload)"
    exec "$out/sbin/xenchanneld" --foreground --control "$tmp/control.sock"
) </dev/null >/dev/null 2>"$tmp/xenchanneld.err" &
d_pid=$!
mkfifo "$tmp/gs.out"
(
    eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
    exec "$out/bin/xch-guestsim" --dir "$chans" --foreground
) >"$tmp/gs.out" 2>"$tmp/guestsim.err" &
gs_pid=$!
exec 4<"$tmp/gs.out"
wait_line 4 ready || bail "frontend simulator ready"

add_channel org.test.daemon || bail "channel written"
wait_line 4 "connected org.test.daemon" || bail "frontend connects"
ok "frontend connects to xenchanneld"
[ "$(xenstore-read "$be/state")" = 4 ] && [ "$(xenstore-read "$fe/state")" = 4 ]
ok "FE and BE state 4"
python3 "$client" pair "$chans/org.test.daemon" $((1 << 20)) \
    --peer "$tmp/host.sock"
ok "1 MiB each way at once between guest and host sockets"

# Detach as the toolstack does.
xenstore-write "$be/online" 0 "$be/state" 5
wait_line 4 "closed org.test.daemon"
ok "frontend closes when the daemon closes the channel"
wait_key "$be/state" 6
ok "daemon reaches Closed after the frontend"
xenstore-rm "$fe" && xenstore-rm "$be"
wait_line 4 "removed org.test.daemon"
ok "removal seen by the frontend"

add_channel org.test.daemon || bail "channel re-created"
wait_line 4 "connected org.test.daemon"
ok "a re-created channel connects again"
python3 "$client" pair "$chans/org.test.daemon" 100000 \
    --peer "$tmp/host.sock"
ok "and carries data"

# Once more, with the daemon stopped (SIGSTOP) across the removal and the
# re-creation: it looks only when the device is there again.
xenstore-write "$be/online" 0 "$be/state" 5
wait_line 4 "closed org.test.daemon" && wait_key "$be/state" 6 &&
    kill -STOP "$d_pid" && xenstore-rm "$fe" && xenstore-rm "$be" &&
    wait_line 4 "removed org.test.daemon" && add_channel org.test.daemon &&
    kill -CONT "$d_pid" && wait_line 4 "connected org.test.daemon"
ok "removed and created again while the daemon did not look: it connects"
python3 "$client" pair "$chans/org.test.daemon" 100000 \
    --peer "$tmp/host.sock"
ok "and carries data"

# The whole system: the toolstack command attaches and detaches.
xlc() {
    (
        eval "$("$xenhost" env "$host" --preload)"
        XENCHANNELD_CONTROL=$tmp/control.sock "$out/bin/xl-channel" "$@"
    )
}
xlc attach guest1 "name=org.test.xl,connection=socket,path=$tmp/xl.sock"
ok "xl-channel attach"
wait_line 4 "connected org.test.xl"
ok "the guest connects the attached channel"
listing=$(xlc list guest1) && printf '# %s\n' "${listing//$'\n'/$'\n'# }" &&
    echo "$listing" |
    awk 'NR > 1 { n++; if ($3 != 4) bad = 1 } END { exit bad || n == 0 }'
ok "xl-channel list shows the channel Connected"
python3 "$client" pair "$chans/org.test.xl" $((256 << 10)) \
    --peer "$tmp/xl.sock"
ok "attached channel carries data both ways"
xlc detach guest1 org.test.xl
ok "xl-channel detach"
wait_line 4 "removed org.test.xl"
ok "the guest closes and lets go of the detached channel"
[ ! -e "$chans/org.test.xl" ]
ok "its guest socket is gone"

kill "$gs_pid"
wait "$gs_pid"
ok "guest shutdown: the frontend exits cleanly"
gs_pid=
[ "$(xenstore-read "$fe/state")" = 6 ] && wait_key "$be/state" 6
ok "guest shutdown: FE and BE Closed"
kill "$d_pid"
wait "$d_pid"
ok "daemon exits cleanly"
d_pid=
tap_done
