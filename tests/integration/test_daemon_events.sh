#!/usr/bin/env bash
# The lifecycle event stream (`xl-channel events`): a subscription starts
# with the state of each channel, then gives every event of a full
# lifecycle in order (attached, guest connected, client connected and
# disconnected, guest closed, detached), a host end that fails and works
# again, a drop episode, a guest side failing; the stream of one domain
# leaves the others' events out, --json gives the same as channel_event
# objects, and many subscribers at once get the same events.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
other=$("$xenhost" domain-create "$host" guest2) || bail "second guest"
start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$tmp/chans" 5 || bail "guest simulator ready"
"$xl" attach guest1 "name=org.test.first,connection=pty" &&
    wait_line 5 "connected org.test.first" ||
    bail "a first channel connects"

# Streams without their time stamps (and drop counts, which depend on
# timing), text or JSON: ev.N files hold every line, fds 6.. read them as
# they come.
follow() { # FD ARGS...
    local fd=$1
    shift
    mkfifo "$tmp/ev.$fd"
    ("$xl" events "$@" 2>"$tmp/events-$fd.err" |
        sed -u -e 's/^[^ {]* //' -e 's/ dropped=[0-9]*//' \
            -e 's/"time":"[^"]*",//' -e 's/,"bytes_dropped":[0-9]*//' |
        tee "$tmp/ev.$fd.all") >"$tmp/ev.$fd" &
    dt_pids+=($!)
    eval "exec $fd<\"$tmp/ev.$fd\""
}
follow 6 guest1
wait_line 6 "$dom/1 org.test.first state guest=connected host=listening"
ok "a subscription starts with each channel's state"
follow 7 --json
wait_line 7 "{\"event\":\"state\",\"frontend_id\":$dom,\"devid\":1,\"name\":\"org.test.first\",\"guest_side\":\"connected\",\"host_end\":\"listening\"}"
ok "--json: the same as channel_event objects"

# --- a full lifecycle, one step at a time
sock=$tmp/life.sock
"$xl" attach guest1 "name=org.test.life,connection=socket,path=$sock" &&
    wait_line 5 "connected org.test.life" &&
    wait_lines 6 "$dom/2 org.test.life attached" \
        "$dom/2 org.test.life guest_connected"
ok "attached, guest_connected"
mkfifo "$tmp/client.in"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
sys.stdin.read()
' "$sock" <"$tmp/client.in" &
client=$!
exec 8>"$tmp/client.in"
wait_line 6 "$dom/2 org.test.life client_connected"
ok "client_connected"
exec 8>&-
wait "$client"
wait_line 6 "$dom/2 org.test.life client_disconnected"
ok "client_disconnected"
"$xl" detach guest1 org.test.life 2>"$tmp/detach.err" &&
    wait_line 6 "$dom/2 org.test.life detached: removed"
ok "detached"
diff <(grep "^$dom/2 " "$tmp/ev.6.all") - >"$tmp/diff" <<EOF2 ||
$dom/2 org.test.life attached
$dom/2 org.test.life guest_connected
$dom/2 org.test.life client_connected
$dom/2 org.test.life client_disconnected
$dom/2 org.test.life guest_closed
$dom/2 org.test.life detached: removed
EOF2
    { show "$tmp/diff"; false; }
ok "the whole lifecycle, in order, nothing else"

# --- a host end that cannot be made, then can
touch "$tmp/taken"
"$xl" attach guest1 "name=org.test.fail,connection=socket,path=$tmp/taken" &&
    wait_line 6 "$dom/2 org.test.fail attached" &&
    wait_line 6 "$dom/2 org.test.fail host_failed: $tmp/taken exists and is not a socket (a file or directory); not removing it"
ok "host_failed, with the reason, as soon as attached"
wait_line 6 "$dom/2 org.test.fail guest_connected"
ok "the guest connects all the same"
rm "$tmp/taken"
wait_line 6 "$dom/2 org.test.fail host_listening"
ok "host_listening once the path is free"

# --- a drop episode: a small bound, no client, more output than it holds
"$xl" attach guest1 "name=org.test.drop,connection=socket,path=$tmp/drop.sock,limit=4K" &&
    wait_line 5 "connected org.test.drop" &&
    wait_line 6 "$dom/3 org.test.drop guest_connected" &&
    "$xt" stream --connect "$tmp/chans/org.test.drop" --send-seed 5 \
        --send 65536 2>"$tmp/send.err"
wait_line 6 "$dom/3 org.test.drop dropping"
ok "dropping"
"$xt" stream --connect "$tmp/drop.sock" --recv-seed 5 --recv-tail 65536 \
    >"$tmp/tail.out" 2>"$tmp/tail.err" &&
    wait_lines 6 "$dom/3 org.test.drop client_connected" \
        "$dom/3 org.test.drop drained"
ok "drained once a client took the buffer"

# --- the guest side failing
"$xl" attach guest2 "name=org.test.bad,connection=pty" &&
    "$xt" wait-xs "$(be_path "$other" 1)/state" 2 &&
    xenstore-write "$(fe_path "$other" 1)/state" nonsense
wait_line 7 "{\"event\":\"error\",\"frontend_id\":$other,\"devid\":1,\"name\":\"org.test.bad\",\"guest_side\":\"failed\",\"host_end\":\"listening\",\"detail\":\"frontend state is not a xenbus state (nonsense)\"}" ||
    { grep '"error"' "$tmp/ev.7.all" | show; false; }
ok "error, with what is wrong (in the stream of every domain)"
! grep -q "^$other/" "$tmp/ev.6.all"
ok "the stream of guest1 has nothing of guest2"

# --- many subscribers, and what the daemon does with the ones that go
for fd in 11 12 13; do follow $fd guest1; done
for fd in 11 12 13; do
    wait_line $fd "$dom/1 org.test.first state guest=connected host=listening" || break
done
ok "three more subscribers start with the same state"
"$xl" detach guest1 org.test.first 2>/dev/null
for fd in 6 11 12 13; do
    wait_line $fd "$dom/1 org.test.first detached: removed" || break
done
ok "and all get the same events"
[ -z "$(cat "$tmp"/events-*.err)" ]
ok "no subscriber was told anything went wrong"

stop_daemon
ok "SIGTERM: clean exit with subscribers connected"
dt_done
