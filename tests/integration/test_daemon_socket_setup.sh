#!/usr/bin/env bash
# A channel socket is made without acting on its path after bind() (issue
# 9, defect 3): in a directory others may write, a symbolic link swapped in
# must never make root chmod or chown another file. Under strace, with
# --socket-mode 0660 --socket-group GROUP:
# - no chmod or chown family call names the channel's path: the socket
#   gets its mode and group before it is moved into place, and the move
#   never replaces anything; the socket has that mode and group;
# - a symbolic link at the path is refused, not followed;
# - the race itself: every path-based chmod/chown of the daemon is delayed
#   by strace, and the test swaps a symbolic link to a victim file in the
#   moment the socket appears at its path. The victim stays untouched.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

command -v strace >/dev/null || bail "strace is installed (tools/deps)"

# The daemon runs under strace: $xcd_pid is strace, the daemon its child.
# strace leaves when the daemon does.
daemon_child() { pgrep -P "$xcd_pid" | head -n 1; }
stop_traced() {
    local pid
    pid=$(daemon_child)
    [ -n "$pid" ] && kill -TERM "$pid"
    wait "$xcd_pid"
    local rc=$?
    xcd_pid=
    return $rc
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local pid
    for pid in "${dt_pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    dt_pids=()
    [ -n "$xcd_pid" ] && stop_traced
    dt_cleanup
}
trap cleanup EXIT

# A group the socket is not in by default: as root any group, else one of
# ours other than the primary one (or, failing that, the primary one).
if [ "$(id -u)" = 0 ]; then
    gid=$(getent group daemon | cut -d: -f3)
    gid=${gid:-1}
else
    gid=$(id -G | tr ' ' '\n' | grep -vx "$(id -g)" | head -n 1)
    gid=${gid:-$(id -g)}
fi

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/guest
# A directory anybody may write, as /run or /tmp can be.
sdir=$tmp/pub
mkdir -m 1777 "$sdir"

file_calls="chmod,fchmodat,chown,lchown,fchownat"
moves="rename,renameat,renameat2,link,linkat,symlink,symlinkat"
XCD_WRAP="strace -f -qq -s 4096 -o $tmp/strace.out
    -e trace=$file_calls,fchmod,fchown,$moves,unlink,unlinkat,bind,mkdir,mkdirat
    -e inject=$file_calls:delay_enter=3000000" \
    XCD_ARGS="--socket-mode 0660 --socket-group $gid" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    start_daemon || bail "xenchanneld starts under strace"
ok "xenchanneld starts under strace with --socket-mode 0660 --socket-group $gid"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"

# --- the mode and group
a=$sdir/a.sock
add_channel "$dom" 1 org.test.a socket "$a" 1048576 || bail "channel 1"
wait_line 5 "connected org.test.a" &&
    "$xt" wait-xs "$(be_path "$dom" 1)/state" 4 && "$xt" wait-path "$a"
ok "channel 1 connects, socket $a"
echo "# $(stat -c '%A %a %U:%G (%g)' "$a")"
[ -S "$a" ] && [ "$(stat -c %a "$a")" = 660 ]
ok "the socket has mode 0660"
[ "$(stat -c %g "$a")" = "$gid" ]
ok "the socket has group $gid"
"$xt" stream --connect "$chans/org.test.a" --send-seed 3 --send 4096 \
    2>>"$tmp/guest.err" &&
    "$xt" stream --connect "$a" --recv-seed 3 --recv 4096 2>>"$tmp/host.err"
ok "a client gets the guest's bytes through it"

# --- a symbolic link at the path
victim=$tmp/victim
printf 'victim\n' >"$victim" && chmod 0644 "$victim"
victim_was=$(stat -c %a:%g "$victim")
b=$sdir/b.sock
ln -s "$victim" "$b"
add_channel "$dom" 2 org.test.b socket "$b" 1048576 || bail "channel 2"
wait_line 5 "connected org.test.b" &&
    "$xt" wait-xs "$(be_path "$dom" 2)/state" 4
ok "channel 2 (a symbolic link at its path) connects on the guest side"
"$xt" wait-xs "$(be_path "$dom" 2)/host-end" failed &&
    xenstore-read "$(be_path "$dom" 2)/host-error" | grep -qF "$b"
ok "its host end failed, saying why"
[ -L "$b" ] && [ "$(readlink "$b")" = "$victim" ]
ok "the symbolic link is still there"

# --- the race: a link swapped in the moment the socket appears
victim2=$tmp/victim2
printf 'victim 2\n' >"$victim2" && chmod 0644 "$victim2"
c=$sdir/c.sock
(
    "$xt" wait-path "$c" && ln -s "$victim2" "$sdir/.swap" &&
        mv -T "$sdir/.swap" "$c"
) 2>>"$tmp/swap.err" &
swap=$!
add_channel "$dom" 3 org.test.c socket "$c" 1048576 || bail "channel 3"
wait "$swap"
ok "the socket of channel 3 appears; a symbolic link to a victim replaces it"
wait_line 5 "connected org.test.c" &&
    "$xt" wait-xs "$(be_path "$dom" 3)/state" 4
ok "channel 3 connects on the guest side"

# The daemon is done with both paths: both victims are as they were.
for v in "$victim" "$victim2"; do
    echo "# $(stat -c '%n %A %a %U:%G' "$v")"
    n=${v##*/}
    [ "$(stat -c %a:%g "$v")" = "$victim_was" ] && grep -q '^victim' "$v"
    ok "$n: mode, group and content untouched"
done

stop_traced
ok "SIGTERM: clean exit"
[ ! -e "$a" ] && [ -L "$b" ] && [ -L "$c" ]
ok "at exit, only the daemon's own socket is removed, not the links"

# --- what strace saw
grep -E "^[0-9]+ +($(tr , '|' <<<"$file_calls"))\(" "$tmp/strace.out" |
    show /dev/stdin
for p in "$a" "$b" "$c"; do
    n=$(basename "$p")
    ! grep -E "^[0-9]+ +($(tr , '|' <<<"$file_calls"))\(" "$tmp/strace.out" |
        grep -qE "\"([^\"]*/)?$n\""
    ok "no chmod or chown of $n by path"
done
grep -E "^[0-9]+ +(rename|renameat|renameat2|link|linkat)\(" \
    "$tmp/strace.out" | show /dev/stdin
! grep -E "^[0-9]+ +(rename|renameat|renameat2)\(" "$tmp/strace.out" |
    grep -E '"([^"]*/)?(a|b|c)\.sock"' | grep -qv RENAME_NOREPLACE
ok "no rename that could replace a file at a channel path"
dt_done
