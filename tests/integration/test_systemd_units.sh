#!/usr/bin/env bash
# xenchanneld.service and the example socket unit (systemd/):
#  - systemd-analyze verify takes the service and an instance of the
#    socket unit without a warning;
#  - the service is what a Debian 12 Xen host needs (Type=notify, restart
#    on failure, after xen.service, before xendomains.service, only where
#    /proc/xen/capabilities exists);
#  - xenchanneld run as the unit runs it (its ExecStart options, its
#    capability bounding set and no_new_privs, a socket passed under the
#    name the socket unit gives it) becomes ready, serves the passed
#    socket, a socket it makes and gives a group, and a pty, both ways;
#  - LimitNOFILE leaves room for 2000 guests with 7 channels each, at the
#    descriptors a channel with a client takes (measured).
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

units=$tmp/units
mkdir -p "$units"
svc=$units/xenchanneld.service
sed "s|@SBINDIR@|$out/sbin|g" "$src/systemd/xenchanneld.service.in" >"$svc"
key() { sed -n "s/^$2=//p" "$1"; } # FILE KEY: its values, one a line

# The channel's socket path is the socket unit's instance, escaped; %f,
# its ListenStream and FileDescriptorName, is the path again.
act=$tmp/run/g1/agent.sock
inst=$(systemd-escape --path "$act") &&
    [ "$(systemd-escape --unescape --path "$inst")" = "$act" ]
ok "the socket unit's instance for $act is $inst"
sockunit=$units/xenchannel@$inst.socket
cp "$src/systemd/xenchannel@.socket" "$sockunit"

if command -v systemd-analyze >/dev/null; then
    (cd "$units" && systemd-analyze verify --man=no xenchanneld.service \
        "$(basename "$sockunit")") >"$tmp/verify.out" 2>&1 &&
        [ ! -s "$tmp/verify.out" ] || { show "$tmp/verify.out"; false; }
    ok "systemd-analyze verify: the service and a socket instance, no warning"
else
    tap_n=$((tap_n + 1))
    echo "ok $tap_n # SKIP no systemd-analyze"
fi

[ "$(key "$svc" Type)" = notify ] && [ "$(key "$svc" Restart)" = on-failure ] &&
    [ "$(key "$svc" ExecStart)" = "$out/sbin/xenchanneld --foreground" ] &&
    key "$svc" After | grep -qw xen.service &&
    key "$svc" Before | grep -qw xendomains.service &&
    [ "$(key "$svc" ConditionPathExists)" = /proc/xen/capabilities ] &&
    [ "$(key "$svc" WantedBy)" = multi-user.target ]
ok "the service: notify, restarted on failure, after xen.service, before xendomains.service, on a Xen host"
[ "$(key "$sockunit" ListenStream)" = %f ] &&
    [ "$(key "$sockunit" FileDescriptorName)" = %f ] &&
    [ "$(key "$sockunit" Service)" = xenchanneld.service ]
ok "the socket unit listens at its path and names the socket after it, for xenchanneld.service"

# --- the daemon as the unit runs it
caps=$(key "$svc" CapabilityBoundingSet | tr ' ' '\n' | sed 's/^CAP_/+/' |
    tr 'A-Z' 'a-z' | paste -sd ,)
nnp=
[ "$(key "$svc" NoNewPrivileges)" = yes ] && nnp=--no-new-privs
[ -n "$caps" ] && [ -n "$nnp" ]
ok "the unit bounds the capabilities ($caps) and sets no_new_privs"
mkdir -p "$(dirname "$act")" # what DirectoryMode= is for
gid=$(getent group daemon | cut -d: -f3)
[ -n "$gid" ] && [ "$gid" != "$(id -g)" ] || gid=65534

dt_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
XCD_WRAP="python3 $src/tests/daemon/listen_fds.py $act $act
    setpriv --bounding-set=-all,$caps $nnp" \
    XCD_ARGS="--socket-mode 0660 --socket-group $gid" start_daemon ||
    bail "xenchanneld starts as the unit starts it"
ok "it reports READY=1 (Type=notify)"
bnd=$(setpriv --bounding-set=-all,"$caps" sed -n 's/^CapBnd:\t//p' /proc/self/status)
[ "$(sed -n 's/^CapBnd:\t//p' "/proc/$xcd_pid/status")" = "$bnd" ] &&
    grep -q '^NoNewPrivs:\s*1$' "/proc/$xcd_pid/status"
ok "it runs with the unit's bounding set ($bnd) and no_new_privs"
start_guest "$dom" "$tmp/guest" 5 || bail "guest simulator ready"

ino=$(stat -c %i "$act")
"$xl" attach guest1 "name=org.qemu.guest_agent.0,connection=socket,path=$act" &&
    wait_line 5 "connected org.qemu.guest_agent.0" &&
    [ "$(stat -c %i "$act")" = "$ino" ] &&
    grep -q "on socket $act (passed to us)" "$tmp/xenchanneld.err"
ok "the channel whose path is the socket's name serves on the passed socket"
"$xt" stream --connect "$act" --send-seed 1 --send 65536 --recv-seed 2 \
    --recv 65536 2>"$tmp/host1.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.qemu.guest_agent.0" --send-seed 2 \
    --send 65536 --recv-seed 1 --recv 65536 2>"$tmp/guest1.err" && wait $hp
ok "bytes flow both ways through it"

fds0=$(daemon_fds)
fd_snapshot "$tmp/fds0"
made=$tmp/run/g1/made.sock
"$xl" attach guest1 "name=org.test.made,connection=socket,path=$made" &&
    "$xl" attach guest1 "name=org.test.pty,connection=pty" &&
    wait_lines 5 "connected org.test.made" "connected org.test.pty" &&
    "$xt" wait-path "$made"
ok "a socket channel and a pty channel connect"
[ "$(stat -c %a:%g "$made")" = "660:$gid" ]
ok "the socket it made has the mode and group asked for (chown within the bounding set)"
tty=$(xenstore-read "$(fe_path "$dom" 3)/tty")
"$xt" stream --connect "$made" --send-seed 3 --send 65536 --recv-seed 4 \
    --recv 65536 2>"$tmp/host2.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.test.made" --send-seed 4 \
    --send 65536 --recv-seed 3 --recv 65536 2>"$tmp/guest2.err" && wait $hp
ok "bytes flow both ways through the socket it made"
"$xt" stream --open "$tty" --send-seed 5 --send 65536 --recv-seed 6 \
    --recv 65536 2>"$tmp/host3.err" &
hp=$!
"$xt" stream --connect "$tmp/guest/org.test.pty" --send-seed 6 \
    --send 65536 --recv-seed 5 --recv 65536 2>"$tmp/guest3.err" && wait $hp
ok "and through the pty"

# Descriptors of the two channels with a client each: the clients hold
# their end until told to go.
mkfifo "$tmp/hold"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
t = open(sys.argv[2], "rb", buffering=0)
print("held", flush=True)
sys.stdin.read()
' "$made" "$tty" <"$tmp/hold" >"$tmp/hold.out" &
holder=$!
dt_pids+=("$holder")
exec 6>"$tmp/hold"
"$xt" wait-xs "$(be_path "$dom" 2)/client-connected" 1 &&
    "$xt" wait-xs "$(be_path "$dom" 3)/client-connected" 1
ok "a client on each"
per=$((($(daemon_fds) - fds0 + 1) / 2))
fd_snapshot "$tmp/fds1"
comm -13 "$tmp/fds0" "$tmp/fds1" | sed 's/^/# new descriptor: /'
limit=$(key "$svc" LimitNOFILE)
need=$((4096 + 110 + 2000 * 7 * per))
echo "# $per descriptors per channel with a client; 2000 guests x 7 channels and the daemon's own need $need"
[ "$per" -ge 1 ] && [ "$limit" -ge "$need" ]
ok "LimitNOFILE=$limit is enough for 2000 guests with 7 channels each"
exec 6>&-
wait $holder

dt_done
