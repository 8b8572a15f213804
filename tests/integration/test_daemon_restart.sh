#!/usr/bin/env bash
# xenchanneld restarts, socket activation and untrusted frontends:
#  - a restarted daemon adopts a connected channel (BE state 4) without a
#    new handshake, and what the guest wrote meanwhile is not lost;
#  - a listening socket passed by socket activation, or later over the
#    control socket, is used, not rebound;
#  - garbage from the frontend (ring-ref, port) or a corrupt ring stops
#    that channel only, with an error in BE, logged once.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$tmp/guest" 5 || bail "guest simulator ready"
be=$(be_path "$dom" 1)

"$xl" attach "$dom" "name=org.test.r,connection=socket,path=$tmp/r.sock" \
    2>"$tmp/attach.err" && wait_line 5 "connected org.test.r" &&
    "$xt" wait-xs "$be/state" 4
ok "a channel connects"

# --- restart
stop_daemon
ok "SIGTERM: clean exit"
[ "$(xenstore-read "$be/state")" = 4 ]
ok "BE stays Connected while the daemon is away"
"$xt" stream --connect "$tmp/guest/org.test.r" --send-seed 7 --send 1500 \
    2>"$tmp/guest1.err"
ok "the guest writes into its ring meanwhile"
xenstore-watch "$be/state" >"$tmp/be-state.watch" 2>/dev/null &
watch_pid=$!
dt_pids+=("$watch_pid")
XCD_ARGS="--socket-mode 0660 --socket-group $(id -g)" start_daemon ||
    bail "xenchanneld restarts"
ok "xenchanneld restarts"
"$xt" wait-path "$tmp/r.sock" &&
    "$xt" stream --connect "$tmp/r.sock" --recv-seed 7 --recv 1500 \
        --send-seed 8 --send 4096 2>"$tmp/host1.err" &&
    "$xt" stream --connect "$tmp/guest/org.test.r" --recv-seed 8 \
        --recv 4096 2>>"$tmp/guest1.err"
ok "the adopted channel delivers what the guest wrote, and works both ways"
[ "$(stat -c %a:%g "$tmp/r.sock")" = "660:$(id -g)" ]
ok "--socket-mode and --socket-group apply to channel sockets"
grep -q "adopting a connected channel" "$tmp/xenchanneld.err"
ok "the daemon says it adopted the channel"
# The watch fires once when set; any further line is a write of BE state.
kill $watch_pid
wait $watch_pid 2>/dev/null
[ "$(grep -c . "$tmp/be-state.watch")" -le 1 ]
ok "no new handshake: BE state was not written"

# --- socket activation
stop_daemon
ok "SIGTERM again"
act=$tmp/act.sock
XCD_WRAP="python3 $src/tests/daemon/listen_fds.py $act org.test.act" \
    start_daemon || bail "xenchanneld starts with a passed socket"
ino=$(stat -c %i "$act")
"$xl" attach "$dom" "name=org.test.act,connection=socket,path=$act" \
    2>"$tmp/attach2.err" && wait_line 5 "connected org.test.act"
ok "a channel named after the passed socket connects"
[ "$(stat -c %i "$act")" = "$ino" ] &&
    grep -q "org.test.act on socket $act (passed to us)" "$tmp/xenchanneld.err"
ok "the passed socket is used, not a new one"
"$xt" stream --connect "$act" --send-seed 9 --send 65536 \
    --recv-seed 10 --recv 65536 2>"$tmp/host2.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.test.act" --send-seed 10 \
    --send 65536 --recv-seed 9 --recv 65536 2>"$tmp/guest2.err" && wait $hp
ok "bytes flow through the passed socket"

# --- untrusted frontends: a guest with no frontend running, whose keys
# we write as a hostile guest would
bad=$("$xenhost" domain-create "$host" hostile) || bail "second guest"
add_channel "$bad" 1 org.test.bad socket "$tmp/bad.sock" 65536 &&
    "$xt" wait-xs "$(be_path "$bad" 1)/state" 2
ok "a channel of a guest without frontend waits in InitWait"
fe=$(fe_path "$bad" 1)
xenstore-write "$fe/ring-ref" "12abc" "$fe/port" 5 "$fe/state" 3 &&
    "$xt" wait-xs "$(be_path "$bad" 1)/state" 6
ok "garbage ring-ref: the channel stops (BE Closed)"
xenstore-read "$(be_path "$bad" 1)/error" | grep -q "ring-ref"
ok "BE error names the bad key"
xenstore-write "$fe/state" 4 && xenstore-write "$fe/state" 3 &&
    xenstore-write "$fe/port" 99999999 && xenstore-write "$fe/state" 4
[ "$(grep -c "frontend ring-ref is not" "$tmp/xenchanneld.err")" = 1 ]
ok "logged once"
xenstore-write "$fe/state" 6 && xenstore-write "$fe/state" 1 &&
    "$xt" wait-xs "$(be_path "$bad" 1)/state" 2
ok "the frontend starting over brings the channel back to InitWait"
[ "$("$xt" status "$ctl" "$dom" 2 backend_state)" = connected ]
ok "the other guest's channel is unaffected"

# --- a corrupt ring: the guest claims to have consumed more than was
# produced in its `in` ring
ref=$(xenstore-read "$(fe_path "$dom" 2)/ring-ref")
page=$host/sim/grant/$dom-$ref
python3 - "$page" <<'PY' || false
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(3072)
    in_cons, in_prod = struct.unpack("<II", f.read(8))
    f.seek(3072)
    f.write(struct.pack("<I", (in_prod + 4096) & 0xffffffff))
PY
ok "the guest corrupts its ring indices"
printf x | "$xt" stream --connect "$act" --send-seed 11 --send 1 \
    2>"$tmp/host3.err"
"$xt" wait-xs "$(be_path "$dom" 2)/state" 6
ok "the corrupt ring stops the channel (BE Closed)"
[ "$("$xt" status "$ctl" "$dom" 2 ring_errors)" = 1 ] &&
    xenstore-read "$(be_path "$dom" 2)/error" | grep -qi "corrupt"
ok "counted and reported"
kill -0 "$xcd_pid"
ok "xenchanneld is still running"

# --- a domain that dies without its devices being removed: xenstored
# releases it (@releaseDomain) and the daemon lets its channels go
dead=$("$xenhost" domain-create "$host" dying) || bail "third guest"
add_channel "$dead" 1 org.test.dead socket "$tmp/dead.sock" 65536 &&
    "$xt" wait-path "$tmp/dead.sock"
ok "a channel of a third guest is served"
"$xenhost" domain-state "$host" "$dead" gone && "$xenhost" virq "$host" &&
    "$xt" wait-path "$tmp/dead.sock" --gone
ok "@releaseDomain: the dead guest's channel is torn down"
xenstore-read "$(be_path "$dead" 1)/state" >/dev/null
ok "(its backend directory is still there)"
grep -q "domain $dead is gone" "$tmp/xenchanneld.err"
ok "the daemon says why"

# --- the control socket
[ "$(stat -c %a "$ctl")" = 600 ]
ok "the control socket has mode 0600"
fd_snapshot "$tmp/fds-before"
python3 - "$ctl" <<'PY'
import array, json, os, signal, socket, sys
signal.alarm(60)
r, w = os.pipe()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
s.sendmsg([b'{"request":"status"}\n'],
          [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]))])
os.close(w)
reply = b""
while not reply.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    reply += chunk
s.close()
assert "status" in json.loads(reply), reply
# EOF on the pipe once the daemon has closed the descriptor we passed.
os.set_blocking(r, True)
assert os.read(r, 1) == b""
PY
ok "a descriptor passed with a request is closed by the daemon"
fd_snapshot "$tmp/fds-after"
cmp -s "$tmp/fds-before" "$tmp/fds-after"
ok "the daemon holds no more descriptors than before"

# --- a pre-opened listening socket handed over the control socket
python3 - "$ctl" "$dom" "$tmp/pre.sock" <<'PY'
import array, json, os, signal, socket, sys
signal.alarm(60)
ctl, dom, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def request(req, fd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctl)
    s.sendmsg([json.dumps(req).encode() + b"\n"],
              [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        reply += chunk
    s.close()
    return json.loads(reply)


# A pipe is no listening socket: an error, and the daemon closes it.
r, w = os.pipe()
rep = request({"request": "listen", "domid": dom, "devid": 1}, w)
os.close(w)
assert "not a listening" in rep.get("error", ""), rep
assert os.read(r, 1) == b""
lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
lst.bind(path)
lst.listen(4)
rep = request({"request": "listen", "domid": dom, "devid": 1}, lst.fileno())
lst.close()
assert rep["status"][0]["devid"] == 1, rep
PY
ok "listen: a pre-opened socket is taken over the control socket"
"$xt" wait-path "$tmp/r.sock" --gone
ok "the channel's own socket is removed"
"$xt" stream --connect "$tmp/pre.sock" --send-seed 12 --send 65536 \
    --recv-seed 13 --recv 65536 2>"$tmp/host4.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.test.r" --send-seed 13 \
    --send 65536 --recv-seed 12 --recv 65536 2>"$tmp/guest4.err" && wait $hp
ok "bytes flow through the pre-opened socket"
stop_daemon
ok "SIGTERM: clean exit"
dt_done
