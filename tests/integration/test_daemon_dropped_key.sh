#!/usr/bin/env bash
# BE bytes-dropped is current during a drop episode (issue 9, defect 9):
# a guest writes continuously into a channel with limit=4K that no client
# reads; while it writes, the key changes again and again (published
# coalesced, at most every 250 ms, not only when the episode starts or
# ends); once the writer stops it holds the final count, the same as the
# control socket's, and the next client gets the newest 4 KiB intact.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" dropper) || bail "guest created"
start_daemon || bail "xenchanneld starts"
start_guest "$dom" "$tmp/guest" 5 || bail "guest simulator ready"
be=$(be_path "$dom" 1)
sock=$tmp/drop.sock
"$xl" attach "$dom" "name=org.test.drop,connection=socket,path=$sock,limit=4K" \
    2>"$tmp/attach.err" && wait_line 5 "connected org.test.drop" &&
    "$xt" wait-path "$sock"
ok "a channel with limit=4K connects"
[ "$(xenstore-read "$be/limit")" = 4096 ]
ok "BE limit is 4096"
[ "$("$xt" status "$ctl" "$dom" 1 limit)" = 4096 ]
ok "the daemon bounds its buffer to 4096 bytes (control socket)"

# The writer sends until its standard input closes, then says how much.
mkfifo "$tmp/w.in" "$tmp/w.out"
"$xt" stream --connect "$tmp/guest/org.test.drop" --send-seed 9 \
    --send-until-eof <"$tmp/w.in" >"$tmp/w.out" 2>"$tmp/writer.err" &
writer=$!
dt_pids+=("$writer")
exec 7>"$tmp/w.in" 6<"$tmp/w.out"
v1=$(XCD_TEST_TIMEOUT=60 "$xt" wait-xs-change "$be/bytes-dropped" 0) &&
    [ "${v1:-0}" -gt 0 ]
ok "BE bytes-dropped leaves 0 when the buffer overflows (${v1:-none})"
v2=
[ -n "$v1" ] &&
    v2=$(XCD_TEST_TIMEOUT=60 "$xt" wait-xs-change "$be/bytes-dropped" "$v1") &&
    [ "$v2" -gt "$v1" ]
ok "while the guest writes, it changes again and grows (${v2:-none})"
v3=
[ -n "$v2" ] &&
    v3=$(XCD_TEST_TIMEOUT=60 "$xt" wait-xs-change "$be/bytes-dropped" "$v2") &&
    [ "$v3" -gt "$v2" ]
ok "and again (${v3:-none})"
kill -0 "$writer"
ok "all while the writer is still writing"

exec 7>&-
IFS= read -r -t "$TAP_WAIT" line <&6
sent=${line#sent }
[ -n "$sent" ] && [ "$sent" -gt 4096 ] && wait "$writer"
ok "the writer stops after $sent bytes"
# Nothing is lost between the guest and the daemon: the buffer keeps the
# newest 4096 bytes, everything older was dropped.
dropped=$((sent - 4096))
XCD_TEST_TIMEOUT=60 "$xt" wait-xs "$be/bytes-dropped" "$dropped"
ok "BE bytes-dropped then holds the final count, $dropped"
[ "$("$xt" status "$ctl" "$dom" 1 bytes_dropped)" = "$dropped" ] &&
    [ "$("$xt" status "$ctl" "$dom" 1 bytes_from_guest)" = "$sent" ]
ok "the same as the control socket's bytes_dropped"
"$xt" stream --connect "$sock" --recv-seed 9 --recv-tail "$sent" \
    >"$tmp/tail.out" 2>"$tmp/reader.err" &&
    grep -qx "offset $dropped" "$tmp/tail.out"
ok "the next client gets the newest 4096 bytes, intact"

kill "${dt_pids[0]}" && wait "${dt_pids[0]}" 2>/dev/null
dt_pids=()
stop_daemon
ok "SIGTERM: clean exit"
dt_done
