#!/usr/bin/env bash
# A guest that floods the backend with notifications moving no data is
# throttled (counted in the status, logged a bounded number of times), the
# daemon stays responsive, and the guest's real output still arrives.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" stormy) || bail "guest created"
other=$("$xenhost" domain-create "$host" calm) || bail "second guest"
start_daemon || bail "xenchanneld starts"
start_guest "$other" "$tmp/calm" 5 || bail "guest simulator ready"
"$xl" attach "$other" "name=org.test.calm,connection=socket,path=$tmp/calm.sock" \
    2>"$tmp/attach.err" && wait_line 5 "connected org.test.calm"
ok "a well-behaved guest's channel connects"

add_channel "$dom" 1 org.test.storm socket "$tmp/storm.sock" 65536 &&
    "$xt" wait-xs "$(be_path "$dom" 1)/state" 2
ok "the stormy guest's channel waits for its frontend"
mkfifo "$tmp/guest.in" "$tmp/guest.out"
(
    eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
    exec "$out/bin/xcd-guest" storm "$(fe_path "$dom" 1)" 1000 \
        "hello-after-storm"
) <"$tmp/guest.in" >"$tmp/guest.out" 2>"$tmp/xcd-guest.err" &
dt_pids+=($!)
exec 7>"$tmp/guest.in" 6<"$tmp/guest.out"
wait_line 6 sent
ok "the guest connects, notifies without data for 1 s, then sends 17 bytes"
python3 - "$tmp/storm.sock" <<'PY'
import signal, socket, sys
signal.alarm(60)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
want = b"hello-after-storm"
got = b""
while len(got) < len(want):
    chunk = s.recv(len(want) - len(got))
    if not chunk:
        break
    got += chunk
assert got == want, got
PY
ok "its real output arrives"
# A storm is a run of notifications that move nothing, whatever the speed
# of the daemon: the same under the sanitizers and on a loaded machine.
storms=$("$xt" status "$ctl" "$dom" 1 storms)
[ "${storms:-0}" -ge 1 ]
ok "the storm was throttled ($storms times)"
grep -q "$(be_path "$dom" 1): event storm from the guest" \
    "$tmp/xenchanneld.err"
ok "and logged"
lines=$(grep -c "event storm" "$tmp/xenchanneld.err")
[ "$lines" -le 12 ]
ok "a bounded number of times ($lines lines for $storms throttles)"
"$xt" stream --connect "$tmp/calm.sock" --send-seed 1 --send 65536 \
    --recv-seed 2 --recv 65536 2>"$tmp/host.err" &
hp=$!
"$xt" stream --connect "$tmp/calm/org.test.calm" --send-seed 2 \
    --send 65536 --recv-seed 1 --recv 65536 2>"$tmp/guest.err" && wait $hp
ok "the other guest's channel works"
exec 7>&-
stop_daemon
ok "SIGTERM: clean exit"
dt_done
