#!/usr/bin/env bash
# Host clients that leave at awkward moments (issue 9, defects 4 and 6):
# - a client that sends a few bytes and closes at once, while guest output
#   waits for it, loses nothing: the guest gets its bytes, the output stays
#   for the next client;
# - a client that leaves while the channel has no frontend is noticed at
#   once (BE client-connected 0, host-end listening), and so is one that
#   fills the `in` ring (the guest does not read it) and leaves;
# - then the next client waiting in the listen backlog is accepted: with
#   the backlog full, a place frees for one more connection;
# - what the clients sent reaches the guest in order when it reads.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

# A stopped daemon would never see the SIGTERM of the cleanup.
trap '[ -n "$xcd_pid" ] && kill -CONT "$xcd_pid" 2>/dev/null; dt_cleanup' EXIT
export XCD_TEST_TIMEOUT=${XCD_TEST_TIMEOUT:-60}

# A scripted host client: ACTIONS run in order, each printing a line.
#   connect        connects a new socket, waiting (at most 60 s) while the
#                  listen backlog is full: "connected" or "connect failed"
#   send:SEED:OFF:N  sends bytes OFF..OFF+N-1 of xcd-test's stream SEED on
#                  the last socket connected: "sent"
#   fill           connects more sockets without waiting until the listen
#                  backlog is full: "filled"
#   wait           waits for a line on stdin
#   close          closes every socket, oldest first: "closed"
cat >"$tmp/client.py" <<'EOF'
import errno, socket, struct, sys

M = (1 << 64) - 1

def stream(seed, off, n):
    out = bytearray(n)
    for k in range(n):
        i = off + k
        z = (seed * 0x9E3779B97F4A7C15 + (i >> 3) + 1) & M
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        z ^= z >> 31
        out[k] = (z >> ((i & 7) * 8)) & 0xFF
    return bytes(out)

path = sys.argv[1]
socks = []
for act in sys.argv[2:]:
    if act == "connect":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                     struct.pack("ll", 60, 0))
        socks.append(s)
        try:
            s.connect(path)
            print("connected", flush=True)
        except OSError as e:
            print("connect failed:", e, flush=True)
    elif act.startswith("send:"):
        seed, off, n = (int(x) for x in act.split(":")[1:])
        socks[-1].sendall(stream(seed, off, n))
        print("sent", flush=True)
    elif act == "fill":
        for n in range(4096):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(path)
            except BlockingIOError:
                s.close()
                break
            socks.append(s)
        print("# %d connections wait in the backlog" % n, flush=True)
        print("filled" if 0 < n < 4096 else "not filled", flush=True)
    elif act == "wait":
        sys.stdin.readline()
    elif act == "close":
        for s in socks:
            s.close()
        print("closed", flush=True)
EOF

# Runs client.py on PATH with ACTIONS; its lines on fd OUT, its stdin on
# fd IN (numbers 3..9).
client() { # OUT IN PATH ACTIONS...
    local out=$1 in=$2 n=$((++clients))
    shift 2
    mkfifo "$tmp/client$n.out" "$tmp/client$n.in"
    python3 "$tmp/client.py" "$@" <"$tmp/client$n.in" \
        >"$tmp/client$n.out" 2>>"$tmp/client.err" &
    client_pids+=($!)
    eval "exec $in>\"$tmp/client$n.in\" $out<\"$tmp/client$n.out\""
}
clients=0
client_pids=()
# Closes the clients' descriptors and waits for them.
clients_done() {
    local pid
    exec 6<&- 7>&- 8<&- 9>&-
    for pid in "${client_pids[@]}"; do
        wait "$pid"
    done
    client_pids=()
}

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
dom2=$("$xenhost" domain-create "$host" guest2) || bail "guest 2 created"
chans=$tmp/guest
start_daemon || bail "xenchanneld starts and reports READY=1"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"
K=1024

# --- defect 4: a client sends and closes at once while output is buffered
sock=$tmp/a.sock
add_channel "$dom" 1 org.test.a socket "$sock" 1048576 ||
    bail "channel 1 written by hand"
wait_line 5 "connected org.test.a" && "$xt" wait-xs "$(be_path "$dom" 1)/state" 4 &&
    "$xt" wait-path "$sock"
ok "channel 1 connected, socket $sock"
"$xt" stream --connect "$chans/org.test.a" --send-seed 41 --send $((64 * K)) \
    2>>"$tmp/guest.err"
ok "the guest writes 64 KiB while no client is connected"
kill -STOP "$xcd_pid"
ok "xenchanneld stopped (SIGSTOP)"
"$xt" stream --connect "$sock" --send-seed 42 --send 100 2>>"$tmp/host.err"
ok "a client connects, sends 100 bytes and closes"
kill -CONT "$xcd_pid"
ok "xenchanneld continues (SIGCONT)"
"$xt" stream --connect "$chans/org.test.a" --recv-seed 42 --recv 100 \
    2>>"$tmp/guest.err"
ok "the guest receives the client's 100 bytes"
"$xt" stream --connect "$sock" --recv-seed 41 --recv $((64 * K)) \
    2>>"$tmp/host.err"
ok "the next client receives the 64 KiB the guest wrote"
dropped=$(xenstore-read "$(be_path "$dom" 1)/bytes-dropped" 2>/dev/null)
[ "${dropped:-0}" = 0 ]
ok "nothing was dropped (BE bytes-dropped ${dropped:-absent})"

# --- defect 6: a client leaves while the channel has no frontend (guest 2
# runs no frontend: the channel stays in InitWait)
nofe=$tmp/nofe.sock
be2=$(be_path "$dom2" 1)
add_channel "$dom2" 1 org.test.nofe socket "$nofe" 1048576 ||
    bail "channel of guest 2 written by hand"
"$xt" wait-xs "$be2/state" 2 && "$xt" wait-path "$nofe"
ok "without a frontend: BE InitWait, socket $nofe"
client 6 7 "$nofe" connect wait close
wait_line 6 connected && "$xt" wait-xs "$be2/client-connected" 1
ok "a client connects (BE client-connected 1)"
echo go >&7 && wait_line 6 closed
ok "the client closes"
"$xt" wait-xs "$be2/client-connected" 0 &&
    "$xt" wait-xs "$be2/host-end" listening
ok "the daemon notices at once: client-connected 0, host-end listening"
clients_done

client 6 7 "$nofe" connect wait close
wait_line 6 connected && "$xt" wait-xs "$be2/client-connected" 1
ok "another client connects"
# More clients wait in the listen backlog until it is full, and one more
# waits for a place there: a place frees only when the daemon accepts the
# next client.
client 8 9 "$nofe" fill connect wait close
wait_line 8 filled
ok "more clients wait in the listen backlog until it is full"
echo go >&7 && wait_line 6 closed
ok "the client closes"
wait_line 8 connected
ok "the next client is accepted at once: one more connection finds a place"
echo go >&9 && wait_line 8 closed
ok "the waiting clients close"
"$xt" wait-xs "$be2/client-connected" 0 &&
    "$xt" wait-xs "$be2/host-end" listening
ok "each is taken and seen gone: client-connected 0, host-end listening"
clients_done

# --- defect 6: a client leaves while the `in` ring is full (nobody reads
# the guest's end of channel 2, so the guest simulator leaves `in` as is)
full=$tmp/full.sock
be=$(be_path "$dom" 2)
add_channel "$dom" 2 org.test.full socket "$full" 1048576 ||
    bail "channel 2 written by hand"
wait_line 5 "connected org.test.full" && "$xt" wait-xs "$be/state" 4 &&
    "$xt" wait-path "$full"
ok "channel 2 connected, socket $full"
n1=$((100 * K)) n2=$((5 * K))
client 6 7 "$full" connect "send:51:0:$n1" wait close
wait_line 6 connected && wait_line 6 sent &&
    "$xt" wait-xs "$be/client-connected" 1
ok "a client sends 100 KiB, far more than the in ring holds"
echo go >&7 && wait_line 6 closed
ok "the client closes"
"$xt" wait-xs "$be/client-connected" 0 && "$xt" wait-xs "$be/host-end" listening
ok "the daemon notices at once: client-connected 0, host-end listening"
clients_done

client 6 7 "$full" connect "send:51:$n1:$n1" wait close
wait_line 6 connected && wait_line 6 sent &&
    "$xt" wait-xs "$be/client-connected" 1
ok "a second client sends 100 KiB"
client 8 9 "$full" connect "send:51:$((2 * n1)):$n2" fill connect wait close
wait_line 8 connected && wait_line 8 sent && wait_line 8 filled
ok "a third client sends 5 KiB from the listen backlog, which fills up"
echo go >&7 && wait_line 6 closed
ok "the second client closes"
wait_line 8 connected
ok "the third client is accepted at once: one more connection finds a place"
total=$((2 * n1 + n2))
"$xt" stream --connect "$chans/org.test.full" --recv-seed 51 \
    --recv $total 2>>"$tmp/guest.err"
ok "the guest reads the three clients' bytes, in order"
echo go >&9 && wait_line 8 closed
ok "the waiting clients close"
clients_done
"$xt" wait-xs "$be/client-connected" 0 && "$xt" wait-xs "$be/host-end" listening
ok "each is taken and seen gone: client-connected 0, host-end listening"
st=$("$xt" status "$ctl" "$dom" 2 bytes_dropped_to_guest)
[ -z "$st" ] || [ "$st" = 0 ]
ok "nothing the clients sent was dropped"
[ "$("$xt" status "$ctl" "$dom" 2 bytes_to_guest)" = $total ]
ok "the control socket counts $total bytes to the guest"

kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
dt_pids=()
stop_daemon
ok "SIGTERM: clean exit"
dt_done
