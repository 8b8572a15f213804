#!/usr/bin/env bash
# A client that sends its request and shuts down its sending side, then
# waits for the answer (`echo REQUEST | socat - UNIX-CONNECT:...` does
# that): its request reaches the guest and the guest's answer reaches it;
# it is gone when it closes entirely, and the next client is taken then.
# (A client that closes at once is tested in test_daemon_clients.sh.)
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$tmp/chans" 5 || bail "guest simulator ready"
sock=$tmp/agent.sock
"$xl" attach guest1 "name=org.test.agent,connection=socket,path=$sock" &&
    wait_line 5 "connected org.test.agent" && "$xt" wait-path "$sock" ||
    bail "channel connects"

# The guest answers each line with "pong <line>".
python3 - "$tmp/chans/org.test.agent" >"$tmp/guest.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
for line in f:
    f.write(b"pong " + line)
PY
dt_pids+=($!)

# shellcheck disable=SC2016 # python, not shell
client='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
s.shutdown(socket.SHUT_WR)
got = b""
while not got.endswith(b"\n"):
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
print(got.decode().strip())
'
[ "$(python3 -c "$client" "$sock" ping-1)" = "pong ping-1" ]
ok "a half-closed client gets its answer"
"$xt" wait-xs "$(be_path "$dom" 1)/client-connected" 0
ok "once it closes entirely, it is gone"
[ "$(python3 -c "$client" "$sock" ping-2)" = "pong ping-2" ]
ok "the next client is served the same"

stop_daemon
ok "SIGTERM: clean exit"
dt_done
