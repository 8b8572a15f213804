#!/usr/bin/env bash
# A socket channel whose socket cannot be made (another process listens on
# the path, a file, a directory or a symbolic link is there, the directory
# is missing) has a visible failed host end: BE host-end and host-error,
# the control socket's host_end and host_error, `xl-channel list -l` and
# --json. The guest side connects all the same and its output is kept.
# The host end is retried with backoff; once the obstacle is gone it
# listens, and the first client gets what the guest wrote meanwhile. The
# daemon never removes or follows what is not a socket, and a pty channel
# of the same guest is unaffected (issue 9, defect 1).
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
chans=$tmp/guest
start_daemon || bail "xenchanneld starts and reports READY=1"
start_guest "$dom" "$chans" 5 || bail "guest simulator ready"

# --- the obstacles, one per channel
# 1: a live socket of another process. It accepts and closes every
# connection and says so: each attempt of the daemon to open the host end
# probes it once, which makes the retries visible.
live=$tmp/live.sock
mkfifo "$tmp/live.out"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
print("listening", flush=True)
n = 0
while True:
    c, _ = s.accept()
    c.close()
    n += 1
    print("probe", n, flush=True)
' "$live" >"$tmp/live.out" 2>"$tmp/live.err" &
live_pid=$!
exec 6<"$tmp/live.out"
wait_line 6 listening || bail "a listener of another process on $live"
# 2: a regular file, 3: a directory, 4: a symbolic link to a file.
file=$tmp/file.sock
printf 'not a socket\n' >"$file" && chmod 0644 "$file"
dir=$tmp/dir.sock
mkdir "$dir" && printf 'kept\n' >"$dir/inside"
victim=$tmp/victim
link=$tmp/link.sock
printf 'victim\n' >"$victim" && chmod 0640 "$victim" && ln -s "$victim" "$link"
# 5: a socket in a directory that does not exist yet.
nodir=$tmp/nodir/x.sock

names=(- org.test.live org.test.file org.test.dir org.test.link org.test.nodir)
paths=(- "$live" "$file" "$dir" "$link" "$nodir")
why=(- "listens" "not a socket" "not a socket" "symbolic link"
    "No such file or directory")
for i in 1 2 3 4 5; do
    add_channel "$dom" "$i" "${names[$i]}" socket "${paths[$i]}" 1048576 ||
        bail "socket channel $i written by hand"
done
add_channel "$dom" 6 org.test.pty pty "" 1048576 || bail "a pty channel"

# --- the guest side connects although the host ends failed
wait_lines 5 "connected org.test.live" "connected org.test.file" \
    "connected org.test.dir" "connected org.test.link" \
    "connected org.test.nodir" "connected org.test.pty"
ok "the frontend connects all six channels"
r=0
for i in 1 2 3 4 5 6; do
    "$xt" wait-xs "$(be_path "$dom" "$i")/state" 4 || r=1
done
[ $r = 0 ]
ok "BE state 4 for all six"

# --- the failure is a state everybody can see
for i in 1 2 3 4 5; do
    be=$(be_path "$dom" "$i")
    st=$(xenstore-read "$be/host-end" 2>/dev/null)
    err=$(xenstore-read "$be/host-error" 2>/dev/null)
    echo "# channel $i: host-end '$st', host-error '$err'"
    [ "$st" = failed ] && [[ $err == *"${paths[$i]}"* ]] &&
        [[ $err == *"${why[$i]}"* ]]
    ok "BE ${names[$i]}: host-end failed, host-error names the path and why"
done
for i in 1 2 3 4 5; do
    st=$("$xt" status "$ctl" "$dom" "$i" host_end) &&
        err=$("$xt" status "$ctl" "$dom" "$i" host_error) &&
        [ "$st" = failed ] && [[ $err == *"${paths[$i]}"* ]]
    ok "control socket ${names[$i]}: host_end failed, host_error ($err)"
done
[ "$(xenstore-read "$(be_path "$dom" 6)/host-end" 2>/dev/null)" = listening ] &&
    ! xenstore-read "$(be_path "$dom" 6)/host-error" >/dev/null 2>&1 &&
    [ "$("$xt" status "$ctl" "$dom" 6 host_end)" = listening ]
ok "the pty channel's host end is listening, with no error"

"$xl" list -l "$dom" >"$tmp/list.out" 2>"$tmp/list.err"
ok "xl-channel list -l exits 0"
show "$tmp/list.out"
for i in 1 2 3 4 5; do
    grep -E "^ *$dom +$i +${names[$i]} " "$tmp/list.out" |
        grep -qw failed &&
        grep -F "host end failed:" "$tmp/list.out" |
        grep -qF "${paths[$i]}"
    ok "list -l: ${names[$i]} is failed, with a 'host end failed' line"
done
grep -E "^ *$dom +6 +org.test.pty " "$tmp/list.out" | grep -qw listening
ok "list -l: the pty channel is listening"
"$xl" list --json "$dom" >"$tmp/list.json" 2>"$tmp/list.err" &&
    python3 -c '
import json, sys
want = dict(zip(sys.argv[2::2], sys.argv[3::2]))
seen = {}
for ch in json.load(open(sys.argv[1])):
    seen[ch["name"]] = (ch.get("host_end"), ch.get("host_error"))
for name, path in want.items():
    end, err = seen.get(name, (None, None))
    print("#", name, end, err)
    if end != "failed" or path not in (err or ""):
        sys.exit(1)
if seen.get("org.test.pty", (None,))[0] != "listening":
    sys.exit(1)
' "$tmp/list.json" "${names[1]}" "${paths[1]}" "${names[2]}" "${paths[2]}" \
        "${names[3]}" "${paths[3]}" "${names[4]}" "${paths[4]}" \
        "${names[5]}" "${paths[5]}"
ok "list --json: host_end failed and host_error for all five, pty listening"

# --- the guest writes meanwhile: its output is kept
K=1024
r=0
for i in 1 2 3 4 5; do
    "$xt" stream --connect "$chans/${names[$i]}" --send-seed $((70 + i)) \
        --send $((64 * K)) 2>>"$tmp/guest.err" || r=1
done
[ $r = 0 ]
ok "the guest writes 64 KiB into each channel without a host end"

# --- retried with backoff: the live socket is probed again and again
wait_line 6 "probe 3"
ok "the host end is tried again and again (three probes of the live socket)"

# Nothing that is not a socket was removed, replaced or followed.
[ -f "$file" ] && [ "$(cat "$file")" = "not a socket" ] &&
    [ "$(stat -c %a "$file")" = 644 ]
ok "the regular file is untouched"
[ -d "$dir" ] && [ "$(cat "$dir/inside")" = kept ]
ok "the directory is untouched"
[ -L "$link" ] && [ "$(readlink "$link")" = "$victim" ] &&
    [ "$(cat "$victim")" = victim ] && [ "$(stat -c %a "$victim")" = 640 ]
ok "the symbolic link and its target are untouched"

# --- the obstacles go: each host end listens, by itself
kill "$live_pid" && wait "$live_pid" 2>/dev/null
exec 6<&-
[ -S "$live" ]
ok "the other process left a stale socket behind"
rm -f "$file" "$link" && rm -r "$dir" && mkdir "$tmp/nodir"
ok "the file, directory and link are removed, the directory created"
# The waits run at once: each ends at its channel's next retry.
wpids=()
for i in 1 2 3 4 5; do
    "$xt" wait-xs "$(be_path "$dom" "$i")/host-end" listening &
    wpids[i]=$!
done
for i in 1 2 3 4 5; do
    wait "${wpids[$i]}" &&
        ! xenstore-read "$(be_path "$dom" "$i")/host-error" >/dev/null 2>&1 &&
        [ -S "${paths[$i]}" ] && [ "$(stat -c %a "${paths[$i]}")" = 600 ]
    ok "${names[$i]}: retried, host-end listening, no host-error, socket 0600"
done
[ "$("$xt" status "$ctl" "$dom" 1 host_end)" = listening ] &&
    [ -z "$("$xt" status "$ctl" "$dom" 1 host_error)" ]
ok "the control socket says listening, with no host_error"

# --- a client gets what the guest wrote while there was no host end
for i in 1 2 3 4 5; do
    "$xt" stream --connect "${paths[$i]}" --recv-seed $((70 + i)) \
        --recv $((64 * K)) 2>>"$tmp/host.err"
    ok "${names[$i]}: the first client gets the 64 KiB written meanwhile"
done
r=0
for i in 1 2 3 4 5; do
    dropped=$(xenstore-read "$(be_path "$dom" "$i")/bytes-dropped" 2>/dev/null)
    [ "${dropped:-0}" = 0 ] || r=1
done
[ $r = 0 ]
ok "nothing was dropped"

# --- the pty channel works as ever
tty=$(xenstore-read "$(fe_path "$dom" 6)/tty") && [ -c "$tty" ] &&
    "$xt" stream --connect "$chans/org.test.pty" --send-seed 79 \
        --send $((16 * K)) 2>>"$tmp/guest.err" &&
    "$xt" stream --open "$tty" --recv-seed 79 --recv $((16 * K)) \
        2>>"$tmp/host.err"
ok "the pty channel relays the guest's output to its reader"

kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
dt_pids=()
stop_daemon
ok "SIGTERM: clean exit"
[ ! -e "$live" ] && [ ! -e "$file" ] && [ ! -e "$nodir" ]
ok "the sockets are removed at shutdown"
dt_done
