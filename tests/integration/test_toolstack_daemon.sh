#!/usr/bin/env bash
# The toolstack with the real backend daemon (xenchanneld) and the guest
# simulator: a channel attached by xl-channel connects, carries bytes both
# ways, `list --long`/`--json` show the daemon's counters through the real
# control socket, and detach completes the Closing handshake (no timeout
# warning) and leaves xenstore as before.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

[ -x "$out/sbin/xenchanneld" ] || bail "xenchanneld is built"
ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/channels
mkdir -p "$chans"
export XENCHANNELD_CONTROL=$tmp/control.sock

mkfifo "$tmp/gs.out"
(
    eval "$("$xenhost" env "$host" --preload)"
    exec "$out/sbin/xenchanneld" --foreground
) >/dev/null 2>"$tmp/xenchanneld.err" &
ts_pids+=($!)
(
    eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
    exec "$out/bin/xch-guestsim" --dir "$chans" --foreground
) >"$tmp/gs.out" 2>"$tmp/guestsim.err" &
ts_pids+=($!)
exec 4<"$tmp/gs.out"
wait_line 4 ready || bail "frontend simulator ready"

before=$(dump_all)
"$xl" attach guest1 "name=org.test.agent,connection=socket,path=$tmp/host.sock" ||
    bail "channel attached"
wait_line 4 "connected org.test.agent"
ok "a channel attached by xl-channel connects through xenchanneld"

python3 "$src/tests/guest/chanclient.py" pair "$chans/org.test.agent" 3000 \
    --peer "$tmp/host.sock" --timeout 30 >"$tmp/pair.out"
ok "3000 bytes each way between the host socket and the guest"
show "$tmp/pair.out"

"$xl" list --json guest1 | python3 -c '
import json, sys
a = json.load(sys.stdin)[0]
assert a["backend_state"] == "connected", a
assert a["bytes_to_guest"] == 3000 and a["bytes_from_guest"] == 3000, a'
ok "list --json: the daemon's counters (3000 each way) via the control socket"
"$xl" list -l guest1 >"$tmp/long" &&
    grep -Eq '^1 +1 +org\.test\.agent +socket +0 +connected +connected +(listening|client) +3000 +3000 +0 +0 ' "$tmp/long" ||
    { show "$tmp/long"; false; }
ok "list --long shows them"

"$xl" detach guest1 org.test.agent 2>"$tmp/detach.err" && [ ! -s "$tmp/detach.err" ] ||
    { show "$tmp/detach.err"; false; }
ok "detach: the daemon confirms Closed, no timeout warning"
wait_line 4 "removed org.test.agent"
ok "the guest lets go of the device"
[ "$before" = "$(dump_all)" ] || { diff <(echo "$before") <(dump_all) | show; false; }
ok "xenstore is as before the attach"

ts_done
