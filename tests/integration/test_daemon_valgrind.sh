#!/usr/bin/env bash
# xenchanneld under valgrind: a socket and a pty channel move data both
# ways, a client comes and goes, one channel is detached, the guest is
# destroyed, and SIGTERM ends the daemon: no invalid access, no leak.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

if [ "${XCH_SANITIZE:-0}" = 1 ]; then
    echo "1..0 # SKIP valgrind does not run sanitized programs"
    exit 0
fi
command -v valgrind >/dev/null || bail "valgrind is installed"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
XCD_WRAP="valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$tmp/valgrind.err"
start_daemon || bail "xenchanneld starts under valgrind"
ok "xenchanneld starts under valgrind"
start_guest "$dom" "$tmp/guest" 5 || bail "guest simulator ready"

"$xl" attach "$dom" "name=org.test.s,connection=socket,path=$tmp/s.sock" &&
    "$xl" attach "$dom" "name=org.test.p,connection=pty" &&
    wait_lines 5 "connected org.test.s" "connected org.test.p" &&
    "$xt" wait-xs "$(be_path "$dom" 1)/state" 4 &&
    "$xt" wait-xs "$(be_path "$dom" 2)/state" 4
ok "a socket and a pty channel connect"

K=$((1 << 10))
"$xt" stream --connect "$tmp/s.sock" --send-seed 1 --send $((256 * K)) \
    --recv-seed 2 --recv $((256 * K)) 2>"$tmp/host1.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.test.s" --send-seed 2 \
    --send $((256 * K)) --recv-seed 1 --recv $((256 * K)) \
    2>"$tmp/guest1.err" && wait $hp
ok "socket channel: 256 KiB each way"
tty=$(xenstore-read "$(fe_path "$dom" 2)/tty")
"$xt" stream --connect "$tmp/guest/org.test.p" --send-seed 3 \
    --send $((64 * K)) 2>"$tmp/guest2.err" &&
    { "$xt" stream --connect "$tmp/guest/org.test.p" --recv-seed 4 \
        --recv $((64 * K)) 2>>"$tmp/guest2.err" &
        gp=$!
        "$xt" stream --open "$tty" --recv-seed 3 --recv $((64 * K)) \
            --send-seed 4 --send $((64 * K)) 2>"$tmp/host2.err" &&
            wait $gp; }
ok "pty channel: 64 KiB each way, buffered before the slave was opened"

"$xl" detach "$dom" 1 2>"$tmp/detach.err"
ok "the socket channel is detached"
"$xenhost" domain-destroy "$host" "$dom"
ok "the guest is destroyed"
stop_daemon
rc=$?
[ $rc -eq 0 ]
ok "SIGTERM: exit status 0 under valgrind (99 means errors or leaks: $rc)"
grep -q "ERROR SUMMARY: 0 errors" "$tmp/valgrind.err"
ok "valgrind: no errors"
grep -q "definitely lost: 0 bytes\|no leaks are possible" "$tmp/valgrind.err" &&
    ! grep -q "indirectly lost: [1-9]" "$tmp/valgrind.err"
ok "valgrind: nothing definitely or indirectly lost"
[ $tap_failed -eq 0 ] || sed 's/^/# /' "$tmp/valgrind.err" | tail -n 60
dt_done
