#!/usr/bin/env bash
# The client side of the control socket (docs/control-protocol.md) against
# a stand-in server: the request line, counters merged into `list --long`
# and `--json` for the channel they belong to only, and a listing that
# still works (counters "-") with an error reply, garbage, a closed
# connection or no server at all.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
"$xl" attach guest1 "name=org.test.one,connection=pty" &&
    "$xl" attach guest1 "name=org.test.two,connection=socket,path=$tmp/t.sock" ||
    bail "channels attached"

export XENCHANNELD_CONTROL=$tmp/control.sock
mkfifo "$tmp/fc.out"
python3 "$src/tests/toolstack/fake_control.py" "$XENCHANNELD_CONTROL" \
    "$tmp/requests" good good error garbage close >"$tmp/fc.out" \
    2>"$tmp/fake_control.err" &
ts_pids+=($!)
exec 3<"$tmp/fc.out"
wait_line 3 ready || bail "stand-in control server ready"

"$xl" list -l guest1 >"$tmp/long" || bail "list --long"
show "$tmp/long"
[ "$(head -n 1 "$tmp/requests")" = "{\"request\":\"status\",\"domid\":$dom}" ]
ok "the request is one JSON line: status of the listed domain"
grep -Eq '^1 +1 +org\.test\.one .* client +1234 +56789 +7 +2 -$' "$tmp/long" &&
    grep -q '^      error: from the daemon$' "$tmp/long"
ok "counters, client and error of devid 1 come from the daemon"
grep -Eq '^1 +2 +org\.test\.two .* closed +- +- +0 +- ' "$tmp/long"
ok "devid 2, which the daemon did not report for this domain, shows '-'"

"$xl" list --json guest1 | python3 -c '
import json, sys
a, b = json.load(sys.stdin)
assert (a["bytes_to_guest"], a["bytes_from_guest"], a["bytes_dropped"],
        a["ring_errors"], a["client_connected"]) == (1234, 56789, 7, 2, True)
assert a["name"] == "org.test.one"  # the name stays the one from xenstore
assert "bytes_to_guest" not in b'
ok "--json carries the counters of devid 1 only"

# A daemon that is there but does not answer properly is an error (exit
# 1, said on stderr); the rows are still listed, counters '-'.
for mode in "an error reply" "garbage" "a closed connection"; do
    "$xl" list -l guest1 >"$tmp/long" 2>"$tmp/err"
    [ $? -eq 1 ] &&
        grep -q "counters of domain 'guest1' unavailable: " "$tmp/err" &&
        grep -Eq '^1 +1 +org\.test\.one .* closed +- +- +0 +- ' "$tmp/long" ||
        { show "$tmp/long" "$tmp/err"; false; }
    ok "with $mode: rows listed with counters '-', an error, exit 1"
done

"$xl" list -l guest1 >"$tmp/long" 2>"$tmp/err" && [ ! -s "$tmp/err" ] &&
    [ "$(wc -l <"$tmp/long")" = 3 ]
ok "no server at all: the listing still works"

ts_done
