#!/usr/bin/env bash
# Socket channels without a path: the toolstack makes
# <socket dir>/<domain name>/<channel name>, and xenchanneld, whose
# --socket-dir is the same, makes the domain's directory when it is
# missing, right under the socket directory and nowhere else.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

socks=$tmp/socks
dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
XCD_ARGS="--socket-dir $socks" start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$tmp/chans" 5 || bail "guest simulator ready"

"$xl" attach --socket-dir "$socks" guest1 "name=org.test.auto,connection=socket" &&
    wait_line 5 "connected org.test.auto" &&
    "$xt" wait-path "$socks/guest1/org.test.auto"
ok "attached without a path: the socket is $socks/guest1/org.test.auto"
[ "$(stat -c %a "$socks/guest1")" = 755 ] && [ -S "$socks/guest1/org.test.auto" ]
ok "the daemon made the domain's directory (0755)"
"$xt" stream --connect "$socks/guest1/org.test.auto" --send-seed 1 \
    --send 65536 --recv-seed 2 --recv 65536 2>"$tmp/host.err" &
hp=$!
"$xt" stream --connect "$tmp/chans/org.test.auto" --send-seed 2 \
    --send 65536 --recv-seed 1 --recv 65536 2>"$tmp/guest.err" && wait $hp
ok "bytes flow both ways"

# Elsewhere, a missing directory is not made: the host end fails, visibly.
"$xl" attach guest1 "name=org.test.else,connection=socket,path=$tmp/nodir/else.sock" &&
    "$xt" wait-xs "$(be_path "$dom" 2)/host-end" failed
ok "a missing directory outside the socket directory is not made"
xenstore-read "$(be_path "$dom" 2)/host-error" | grep -q "directory $tmp/nodir"
ok "the host end says which directory is missing"
[ ! -e "$tmp/nodir" ]
ok "and it stays missing"

"$xl" detach guest1 org.test.auto &&
    "$xt" wait-path "$socks/guest1/org.test.auto" --gone
ok "detach removes the socket"
stop_daemon
ok "SIGTERM: clean exit"
dt_done
