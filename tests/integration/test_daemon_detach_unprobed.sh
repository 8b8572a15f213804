#!/usr/bin/env bash
# Detaching a channel that the guest never probed (a guest created paused,
# or one without the console driver: its frontend stays Initialising):
# xenchanneld has nothing to wait for and closes at once, as QEMU's backend
# does, so `xl-channel detach` neither waits its timeout nor warns. A guest
# that did connect is still waited for (test_daemon_events.sh).
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" paused1) || bail "guest created"
start_daemon || bail "xenchanneld starts"

"$xl" attach "$dom" "name=org.test.a,connection=socket,path=$tmp/a.sock" &&
    "$xl" attach "$dom" "name=org.test.b,connection=pty" ||
    bail "two channels attached"
"$xt" wait-xs "$(be_path "$dom" 1)/state" 2 &&
    "$xt" wait-xs "$(be_path "$dom" 2)/state" 2
ok "the backend waits for the frontend (InitWait), which stays Initialising"
[ "$(xenstore-read "$(fe_path "$dom" 1)/state")" = 1 ]
ok "the frontend never probed"

# A timeout far beyond anything the daemon needs: a warning would mean the
# backend did not answer, not that the machine was slow.
"$xl" detach --timeout 120 "$dom" org.test.a 2>"$tmp/detach.err" &&
    [ ! -s "$tmp/detach.err" ] || { show "$tmp/detach.err"; false; }
ok "detach of the unprobed socket channel succeeds without a warning"
grep -q "console/$dom/1: detached" "$tmp/xenchanneld.err" ||
    { show "$tmp/xenchanneld.err"; false; }
ok "the daemon says it detached"
"$xt" wait-path "$tmp/a.sock" --gone
ok "its socket is removed"
! xenstore-exists "$(be_path "$dom" 1)" && ! xenstore-exists "$(fe_path "$dom" 1)"
ok "its FE and BE are removed"

"$xl" detach --timeout 120 "$dom" org.test.b 2>"$tmp/detach.err" &&
    [ ! -s "$tmp/detach.err" ] || { show "$tmp/detach.err"; false; }
ok "the unprobed pty channel too"
[ "$("$xl" list "$dom" | wc -l)" -le 1 ]
ok "no channel is left"
stop_daemon
ok "SIGTERM: clean exit"
dt_done
