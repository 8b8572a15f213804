#!/usr/bin/env bash
# xenchanneld raises its soft descriptor limit to the hard one at start
# (1,000 channels hold more than the usual 1024 descriptors), and a daemon
# whose limits are already equal keeps them.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
limits() { awk '/^Max open files/ { print $4, $5 }' "/proc/$xcd_pid/limits"; }

XCD_WRAP="prlimit --nofile=256:4096 --" start_daemon || bail "xenchanneld starts"
got=$(limits)
[ "$got" = "4096 4096" ]
ok "a soft limit of 256 is raised to the hard limit, 4096 (got $got)"
stop_daemon
ok "xenchanneld stops cleanly"

XCD_WRAP="prlimit --nofile=300:300 --" start_daemon || bail "xenchanneld starts again"
got=$(limits)
[ "$got" = "300 300" ]
ok "equal limits stay as they are (got $got)"
stop_daemon
ok "xenchanneld stops cleanly"
dt_done
