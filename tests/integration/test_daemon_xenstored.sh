#!/usr/bin/env bash
# xenstored going away (issue 9, defect 7): xenchanneld exits non-zero
# within a bounded time saying that it lost the connection to xenstored
# (its service manager restarts it and the new instance adopts the
# channels); a control request that arrives in between gets an error, never
# the daemon's stale view; a daemon started without xenstored fails at once
# and says why.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

# A stopped daemon would never see the SIGTERM of the cleanup.
trap '[ -n "$xcd_pid" ] && kill -CONT "$xcd_pid" 2>/dev/null; dt_cleanup' EXIT

# Waits (bounded) for the daemon to exit; its exit status into $xcd_rc.
# A daemon that does not exit is killed (the next part starts another).
daemon_exit() {
    xcd_rc=
    if ! timeout 60 tail --pid="$xcd_pid" -f /dev/null; then
        kill -KILL "$xcd_pid"
        wait "$xcd_pid"
        xcd_pid=
        return 1
    fi
    wait "$xcd_pid"
    xcd_rc=$?
    xcd_pid=
}

# Lines the daemon logged since line $1 of its log.
log_since() { tail -n +"$(($1 + 1))" "$tmp/xenchanneld.err"; }
log_lines() { wc -l <"$tmp/xenchanneld.err"; }

# A channel (without a frontend: it waits in InitWait) so that the daemon
# has something to report.
setup() {
    local dom
    dt_start
    dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
    start_daemon || bail "xenchanneld starts and reports READY=1"
    add_channel "$dom" 1 org.test.a socket "$tmp/a.sock" 1048576 &&
        "$xt" wait-xs "$(be_path "$dom" 1)/state" 2 &&
        [ "$("$xt" status "$ctl" "$dom" 1 name)" = org.test.a ]
}

# --- xenstored dies while the daemon runs
setup
ok "xenchanneld serves a channel"
log0=$(log_lines)
kill "$(cat "$host/xenstored.pid")"
ok "xenstored killed"
daemon_exit
ok "xenchanneld exits by itself"
echo "# exit status ${xcd_rc:-none}"
[ -n "$xcd_rc" ] && [ "$xcd_rc" != 0 ]
ok "with a failure status"
log_since "$log0" | show /dev/stdin
log_since "$log0" | grep -q "lost the connection to xenstored"
ok "saying that it lost the connection to xenstored"
"$xenhost" stop "$host"

# --- a control request in between: the daemon is stopped while xenstored
# goes away and the request arrives; then it runs again
# (xenstored makes its socket where XENSTORED_PATH says: not the old one)
unset XENSTORED_PATH XENSIM_DIR XENSIM_DOMID
host=$tmp/host2
setup
ok "a second testbed and xenchanneld"
log0=$(log_lines)
kill -STOP "$xcd_pid"
ok "xenchanneld stopped (SIGSTOP)"
"$xenhost" stop "$host"
ok "xenstored stopped"
mkfifo "$tmp/req.out"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
s.sendall(b"{\"request\":\"status\"}\n")
print("sent", flush=True)
reply = b""
try:
    while True:
        data = s.recv(65536)
        if not data:
            break
        reply += data
    print("reply:", reply.decode().strip() or "(none)", flush=True)
except ConnectionResetError:  # closed with the request unread
    print("reply: (none, connection reset)", flush=True)
except socket.timeout:
    print("no end of the reply within 60 s", flush=True)
' "$ctl" >"$tmp/req.out" 2>>"$tmp/req.err" &
req_pid=$!
exec 6<"$tmp/req.out"
wait_line 6 sent
ok "a status request is sent to the stopped daemon"
kill -CONT "$xcd_pid"
ok "xenchanneld continues (SIGCONT)"
IFS= read -r -t 60 reply <&6
echo "# $reply"
case $reply in
"reply: "*) ! grep -q '"status"' <<<"$reply" ;;
*) false ;;
esac
ok "no status reply (no stale data)"
grep -q '^reply: {"error":' <<<"$reply"
ok "the reply is an error"
exec 6<&-
wait "$req_pid"
daemon_exit
ok "xenchanneld exits by itself"
echo "# exit status ${xcd_rc:-none}"
[ -n "$xcd_rc" ] && [ "$xcd_rc" != 0 ]
ok "with a failure status"
log_since "$log0" | show /dev/stdin
log_since "$log0" | grep -q "lost the connection to xenstored"
ok "saying that it lost the connection to xenstored"

# --- no xenstored at all (the testbed's socket is gone or dead)
(
    eval "$("$xenhost" env "$host" --preload)"
    exec timeout 60 "$xcd" --foreground --control "$tmp/control2.sock"
) >"$tmp/nostore.out" 2>"$tmp/nostore.err"
rc=$?
show "$tmp/nostore.err"
[ $rc != 0 ] && [ $rc != 124 ]
ok "xenchanneld without xenstored exits at once with a failure ($rc)"
grep -qi "xenstore" "$tmp/nostore.err"
ok "saying that it cannot connect to xenstore"
[ ! -e "$tmp/control2.sock" ]
ok "and leaves no control socket behind"
dt_done
