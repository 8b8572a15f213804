#!/usr/bin/env bash
# Idle connections to the control socket lock nobody out (issue 9, defect
# 5): with 70 connections that send nothing, `xl-channel list -l` still
# gets the daemon's counters and exits 0; the daemon closes connections
# that send no whole request within a few seconds. A control socket that
# accepts but never answers is an error for `xl-channel list -l` and
# --json (exit 1, saying why), not a listing with unknown counters.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

# Opens N connections to SOCKET that send nothing ("opened K of N"), then,
# on a line on stdin, waits (bounded) until the daemon has closed each one
# that opened ("closed K of N"). With --partial, one connection that sends
# the start of a request and no newline ("closed, reply: ...").
cat >"$tmp/idle.py" <<'EOF'
import select, socket, struct, sys, time

path, n = sys.argv[1], int(sys.argv[2])
partial = "--partial" in sys.argv[3:]
conns = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # connect waits while the listen backlog is full, at most 60 s
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                 struct.pack("ll", 60, 0))
    try:
        s.connect(path)
    except OSError as e:
        print("# connect:", e, flush=True)
        s.close()
        break
    s.setblocking(False)
    conns.append(s)
if partial:
    conns[0].send(b'{"request":"status"')
print("opened %d of %d" % (len(conns), n), flush=True)
sys.stdin.readline()
end = time.monotonic() + 60
left = {s: b"" for s in conns}
closed = 0
while left and time.monotonic() < end:
    r, _, _ = select.select(list(left), [], [], max(0, end - time.monotonic()))
    for s in r:
        data = s.recv(65536)
        if data:
            left[s] += data
            continue
        if partial:
            print("closed, reply: %r" % left[s].decode(), flush=True)
        del left[s]
        closed += 1
if not partial:
    print("closed %d of %d" % (closed, len(conns)), flush=True)
EOF

# Runs idle.py ARGS... with its lines on fd 6 and its stdin on fd 7.
idle() {
    rm -f "$tmp/idle.out" "$tmp/idle.in"
    mkfifo "$tmp/idle.out" "$tmp/idle.in"
    python3 "$tmp/idle.py" "$@" <"$tmp/idle.in" >"$tmp/idle.out" \
        2>>"$tmp/idle.err" &
    idle_pid=$!
    exec 7>"$tmp/idle.in" 6<"$tmp/idle.out"
}
idle_done() {
    exec 6<&- 7>&-
    wait "$idle_pid"
}

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/guest
start_daemon || bail "xenchanneld starts and reports READY=1"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"
sock=$tmp/a.sock
add_channel "$dom" 1 org.test.a socket "$sock" 1048576 ||
    bail "a socket channel written by hand"
wait_line 5 "connected org.test.a" &&
    "$xt" wait-xs "$(be_path "$dom" 1)/state" 4 && "$xt" wait-path "$sock"
ok "the channel connects"
"$xt" stream --connect "$chans/org.test.a" --send-seed 7 --send 12345 \
    2>>"$tmp/guest.err" &&
    "$xt" stream --connect "$sock" --recv-seed 7 --recv 12345 \
        2>>"$tmp/host.err"
ok "12345 bytes from the guest reach a client"

# The row of channel 1 in `list -l` output file $1 has counters: 12345
# bytes from the guest (not "-").
row_counted() {
    grep -E "^ *$dom +1 +org.test.a " "$1" | grep -qw 12345
}
"$xl" list -l "$dom" >"$tmp/list0.out" 2>&1 && row_counted "$tmp/list0.out"
ok "list -l shows the counters"

# --- 70 connections that send nothing
idle "$ctl" 70
wait_line 6 "opened 70 of 70"
ok "70 idle connections to the control socket"
timeout 60 "$xl" list -l "$dom" >"$tmp/list1.out" 2>"$tmp/list1.err"
rc=$?
show "$tmp/list1.out" "$tmp/list1.err"
[ $rc = 0 ]
ok "list -l exits 0 meanwhile (exit $rc)"
row_counted "$tmp/list1.out"
ok "list -l shows the counters meanwhile (not -)"
st=$(timeout 60 "$xt" status "$ctl" "$dom" 1 bytes_from_guest)
[ "$st" = 12345 ]
ok "a status request is answered meanwhile"
echo go >&7
wait_line 6 "closed 70 of 70"
ok "the daemon closes every idle connection"
idle_done

# --- a connection that sends part of a request and no more
idle "$ctl" 1 --partial
wait_line 6 "opened 1 of 1" && echo go >&7 && wait_line 6 "closed, reply: ''"
ok "a connection that sends half a request is closed, unanswered"
idle_done
"$xl" list -l "$dom" >"$tmp/list2.out" 2>&1 && row_counted "$tmp/list2.out"
ok "list -l shows the counters afterwards"

# --- a control socket that never answers
mkfifo "$tmp/mute.out"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
print("listening", flush=True)
held = []
while True:
    held.append(s.accept()[0])
' "$tmp/mute.sock" >"$tmp/mute.out" 2>>"$tmp/mute.err" &
mute_pid=$!
exec 8<"$tmp/mute.out"
wait_line 8 listening
ok "a control socket that accepts and never answers"
XENCHANNELD_CONTROL=$tmp/mute.sock timeout 60 "$xl" list -l "$dom" \
    >"$tmp/list3.out" 2>"$tmp/list3.err"
rc=$?
show "$tmp/list3.out" "$tmp/list3.err"
[ $rc = 1 ]
ok "list -l exits 1 (exit $rc)"
grep -q "answer" "$tmp/list3.err"
ok "list -l says that xenchanneld does not answer"
XENCHANNELD_CONTROL=$tmp/mute.sock timeout 60 "$xl" list --json "$dom" \
    >"$tmp/list4.out" 2>"$tmp/list4.err"
rc=$?
show "$tmp/list4.err"
[ $rc = 1 ] && grep -q "answer" "$tmp/list4.err"
ok "list --json exits 1 and says why (exit $rc)"
kill "$mute_pid"
wait "$mute_pid" 2>/dev/null
exec 8<&-

kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
dt_pids=()
stop_daemon
ok "SIGTERM: clean exit"
dt_done
