#!/usr/bin/env bash
# Hostile guests against xenchanneld (issue 9, defects 2 and 8), each on a
# channel of its own while a well-behaved guest's channel keeps working:
# - fake progress: a guest that moves in_cons back and forth and notifies
#   after each move is throttled like any event storm (status `storms`,
#   the log), not failed, and its real output still arrives;
# - a guest cycling connect/corrupt/close/reconnect 200 times, and a guest
#   rewriting its FE state thousands of times, cause a bounded number of
#   log lines (per channel: a burst of 10, then one per 6 s, the next line
#   saying how many were suppressed), no debug lines without --verbose,
#   and with it as few as the same limit allows; the flapping also causes
#   a bounded number of BE state writes, and a normal handshake completes
#   once it stops.
# Bounds on log lines and writes are counts, allowed to grow with the time
# the test took (a slow machine loosens them), never timing assertions.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

log=$tmp/xenchanneld.err
# Lines a channel may log in T seconds: the rate limit's burst, one per
# 6 s after it, the unlimited "new channel" line, and one of slack.
log_bound() { echo $((10 + $1 / 6 + 2)); }
now() { date +%s; }
# Log lines that name channel directory $1, and those of them that are
# debug lines (state transitions, only with --verbose).
channel_lines() { grep -c "${1}[: ]" "$log"; }
debug_lines() { grep "${1}[: ]" "$log" | grep -c " -> "; }
# The daemon's CPU time so far, in clock ticks (reported, not asserted).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$xcd_pid/stat"; }

# Starts xcd-guest MODE ARGS... as guest $1, stdin from fd $2 (kept open
# by the test), stdout readable on fd $3.
hostile_guest() { # DOM IN_FD OUT_FD MODE ARGS...
    local dom=$1 in=$2 outfd=$3
    shift 3
    mkfifo "$tmp/hg-$dom.in" "$tmp/hg-$dom.out"
    (
        eval "$("$xenhost" guest-env "$host" "$dom" --preload)"
        exec "$out/bin/xcd-guest" "$@"
    ) <"$tmp/hg-$dom.in" >"$tmp/hg-$dom.out" 2>>"$tmp/xcd-guest-$dom.err" &
    dt_pids+=($!)
    eval "exec $in>\"$tmp/hg-$dom.in\" $outfd<\"$tmp/hg-$dom.out\""
}

# Reads TEXT from the channel socket $1 (what a guest sent).
read_text() { # SOCKET TEXT
    python3 - "$1" "$2" <<'PY'
import signal, socket, sys
signal.alarm(60)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
want = sys.argv[2].encode()
got = b""
while len(got) < len(want):
    chunk = s.recv(len(want) - len(got))
    if not chunk:
        break
    got += chunk
assert got == want, got
PY
}

# The well-behaved guest's channel carries 64 KiB each way.
calm_works() {
    local hp
    "$xt" stream --connect "$tmp/calm.sock" --send-seed "$1" --send 65536 \
        --recv-seed $(($1 + 1)) --recv 65536 2>>"$tmp/calm-host.err" &
    hp=$!
    "$xt" stream --connect "$tmp/calm/org.test.calm" --send-seed $(($1 + 1)) \
        --send 65536 --recv-seed "$1" --recv 65536 2>>"$tmp/calm-guest.err" &&
        wait $hp
}

dt_start
calm=$("$xenhost" domain-create "$host" calm) || bail "calm guest created"
fake=$("$xenhost" domain-create "$host" faker) || bail "faker created"
cyc=$("$xenhost" domain-create "$host" cycler) || bail "cycler created"
flap=$("$xenhost" domain-create "$host" flapper) || bail "flapper created"
start_daemon || bail "xenchanneld starts"
start_guest "$calm" "$tmp/calm" 5 || bail "guest simulator ready"
"$xl" attach "$calm" "name=org.test.calm,connection=socket,path=$tmp/calm.sock" \
    2>"$tmp/attach.err" && wait_line 5 "connected org.test.calm" &&
    "$xt" wait-path "$tmp/calm.sock"
ok "a well-behaved guest's channel connects"

# --- defect 2: fake progress
be=$(be_path "$fake" 1)
add_channel "$fake" 1 org.test.fake socket "$tmp/fake.sock" 65536 &&
    "$xt" wait-xs "$be/state" 2
ok "the faker's channel waits for its frontend"
hostile_guest "$fake" 7 6 fake-progress "$(fe_path "$fake" 1)" 0 \
    "hello-after-fake-progress"
wait_line 6 attacking
ok "the faker connects and moves in_cons back and forth, notifying each time"
cpu0=$(cpu_ticks)
t0=$(date +%s%N)
XCD_TEST_TIMEOUT=60 "$xt" wait-log "$log" "$be: event storm from the guest"
ok "the daemon throttles it as an event storm (logged)"
storms=$("$xt" status "$ctl" "$fake" 1 storms)
[ "${storms:-0}" -ge 1 ]
ok "the status counts the throttling (storms ${storms:-none})"
[ "$(xenstore-read "$be/state")" = 4 ] && ! xenstore-read "$be/error" \
    >/dev/null 2>&1
ok "throttled, not failed: BE state 4, no BE error"
# The faker is still at it (it stops when told): the daemon answers and
# the other guest's channel works meanwhile.
calm_works 100
ok "during the attack, the other guest's channel carries 64 KiB each way"
"$xl" list -l "$calm" >"$tmp/list-calm.out" 2>"$tmp/list-calm.err" &&
    grep -q org.test.calm "$tmp/list-calm.out"
ok "during the attack, the daemon answers xl-channel list -l"
cpu1=$(cpu_ticks)
t1=$(date +%s%N)
echo "# daemon CPU during the attack: $((cpu1 - cpu0)) ticks in" \
    "$(((t1 - t0) / 10000000)) ticks of wall time"
echo stop >&7
wait_line 6 sent && read_text "$tmp/fake.sock" hello-after-fake-progress
ok "once the attack stops, the faker's real output arrives"

# --- defect 8: a guest cycling connect/corrupt 200 times
be=$(be_path "$cyc" 1)
start=$(now)
add_channel "$cyc" 1 org.test.cycle socket "$tmp/cycle.sock" 65536 &&
    "$xt" wait-xs "$be/state" 2
ok "the cycler's channel waits for its frontend"
hostile_guest "$cyc" 8 9 cycle "$(fe_path "$cyc" 1)" 200 \
    "hello-after-200-cycles"
wait_line 9 "cycled 200"
ok "200 times: connect, corrupt the ring, BE Closed, FE Closed, FE Initialising"
wait_line 9 sent && read_text "$tmp/cycle.sock" hello-after-200-cycles
ok "then the channel connects once more and works"
[ "$("$xt" status "$ctl" "$cyc" 1 ring_errors)" = 200 ]
ok "the status counts 200 corrupt rings"
[ "$(grep -c "/grant/$cyc-" "/proc/$xcd_pid/maps")" = 1 ]
ok "the daemon maps one ring of the cycler's, the current one"
elapsed=$(($(now) - start))
lines=$(channel_lines "$be")
bound=$(log_bound "$elapsed")
[ "$lines" -le "$bound" ]
ok "the cycling caused $lines log lines (at most $bound in $elapsed s)"
grep "${be}[: ]" "$log" | grep -q "earlier messages suppressed)$"
ok "a line after the burst says how many were suppressed"
calm_works 200
ok "the other guest's channel still works"

# --- defect 8: a guest flapping its FE state (sets $be, $lines, $debug)
flap_attack() { # DOM N
    local dom=$1 n=$2 start elapsed writes allowed
    be=$(be_path "$dom" 1)
    start=$(now)
    add_channel "$dom" 1 "org.test.flap$dom" socket "$tmp/flap$dom.sock" \
        65536 && "$xt" wait-xs "$be/state" 2
    ok "the flapper's channel waits for its frontend"
    xenstore-watch "$be/state" >"$tmp/bewatch-$dom.out" &
    bewatch=$!
    dt_pids+=("$bewatch")
    "$xt" wait-log "$tmp/bewatch-$dom.out" "$be/state" # fires once when set
    hostile_guest "$dom" 3 10 flap "$(fe_path "$dom" 1)" "$n" 1 6
    wait_line 10 "flapped $n"
    ok "the flapper writes FE state 1 and 6 alternately, $n times"
    # It never wrote ring-ref and port: whatever state the daemon reached
    # (InitWait or Closed), Initialised with a ring connects.
    exec 3>&- 10<&-
    rm -f "$tmp/hg-$dom.in" "$tmp/hg-$dom.out"
    hostile_guest "$dom" 3 10 connect "$(fe_path "$dom" 1)" \
        hello-after-flapping
    wait_line 10 sent && read_text "$tmp/flap$dom.sock" hello-after-flapping
    ok "then a normal handshake completes and the channel works"
    elapsed=$(($(now) - start))
    lines=$(channel_lines "$be")
    debug=$(debug_lines "$be")
    bound=$(log_bound "$elapsed")
    [ "$lines" -le "$bound" ]
    ok "the flapping caused $lines log lines (at most $bound in $elapsed s)"
    # Each re-read of xenstore moves the guest side at most 8 steps, each
    # with at most one BE state write; re-reads: a burst of 20, then 10 a
    # second. The watch's lines are the writes it saw, after the first.
    kill "$bewatch" 2>/dev/null
    wait "$bewatch" 2>/dev/null
    writes=$(($(grep -c . "$tmp/bewatch-$dom.out") - 1))
    allowed=$((8 * (20 + 10 * (elapsed + 1))))
    [ "$writes" -le "$allowed" ]
    ok "and $writes BE state writes (at most $allowed in $elapsed s)"
    exec 3>&- 10<&-
}

flap_attack "$flap" 5000
[ "$debug" -eq 0 ]
ok "no debug lines without --verbose ($debug)"
calm_works 300
ok "the other guest's channel still works"

# --- with --verbose, debug lines count against the same limit
stop_daemon
ok "SIGTERM: clean exit"
XCD_ARGS=--verbose start_daemon || bail "xenchanneld --verbose starts"
flap2=$("$xenhost" domain-create "$host" flapper2) || bail "flapper2 created"
flap_attack "$flap2" 5000
[ "$debug" -ge 1 ]
ok "with --verbose, debug lines are logged ($debug) within that bound"
calm_works 400
ok "the other guest's channel works with the restarted daemon"

# Guests first: a guest simulator shutting down waits for the backend.
exec 7>&- 8>&- 3>&-
for p in "${dt_pids[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
done
dt_pids=()
stop_daemon
ok "SIGTERM: clean exit"
dt_done
