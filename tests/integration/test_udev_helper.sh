#!/usr/bin/env bash
# The guest's udev helper, run as the guest through the testbed's xenbus
# bridge: `name` reads the channel's xenstore `name` and refuses bad ones;
# `event` checks what udev gives it. (test_udev_replay.sh follows the
# links through whole event sequences.)
set -u
: "${XCH_OUT:?}" "${XCH_SRC:?}"
xenhost=$XCH_OUT/testbed/xenhost
helper=$XCH_OUT/bin/xen-channel-helper
xlch=$XCH_OUT/bin/xl-channel
tmp=$(mktemp -d)
n=0
fails=0
cleanup() {
    "$xenhost" stop "$tmp/tb" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
check() { # NAME CMD...
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        fails=$((fails + 1))
    fi
}

eval "$("$xenhost" start "$tmp/tb")" || exit 1
domid=$("$xenhost" domain-create "$tmp/tb" guest1) || exit 1
"$xlch" attach "$domid" "connection=pty,name=org.example.agent" || exit 1
# What the toolstack would never write: a name that escapes /dev.
xenstore-write "/local/domain/$domid/device/console/2/name" "../evil" ||
    exit 1

# The xenbus devices as a Linux guest's sysfs shows them.
for i in 1 2 3; do
    mkdir -p "$tmp/sys/bus/xen/devices/console-$i"
    echo "device/console/$i" >"$tmp/sys/bus/xen/devices/console-$i/nodename"
done
mkdir -p "$tmp/dev"

as_guest() {
    (eval "$("$xenhost" guest-env "$tmp/tb" "$domid")" && "$@")
}
run_helper() {
    as_guest "$helper" --sysfs "$tmp/sys" --dev "$tmp/dev" --stderr "$@"
}

out=$(run_helper name console-1 2>"$tmp/err")
check "name prints the channel name for IMPORT{program}" \
    test "$out" = "XEN_CHANNEL_NAME=org.example.agent"

out=$(run_helper name console-2 2>"$tmp/err")
rc=$?
check "name refuses a name that is not a valid channel name" \
    test $rc -eq 1 -a -z "$out"
check "the refusal names the node and the problem" \
    grep -q "device/console/2/name.*\.\./evil" "$tmp/err"

out=$(run_helper name console-3 2>"$tmp/err")
rc=$?
check "name fails on a device without a name" test $rc -eq 1 -a -z "$out"

# The event command: what udev gives it, checked before anything is done.
mkdir -p "$tmp/sys/kernel" "$tmp/run"
echo 1000 >"$tmp/sys/kernel/uevent_seqnum"
run_event() { # ENV... -- ARGS...
    local envs=()
    while [ "$1" != -- ]; do
        envs+=("$1")
        shift
    done
    shift
    env -i "${envs[@]}" "$helper" --sysfs "$tmp/sys" --dev "$tmp/dev" \
        --run "$tmp/run/xc" --stderr event "$@"
}

run_event ACTION=bind -- console-1 2>"$tmp/err"
check "event outside udev (no SEQNUM) fails and says so" \
    sh -c "[ $? -eq 1 ] && grep -q 'SEQNUM is not set: run me from udev' \
        '$tmp/err'"

run_event ACTION=bind SEQNUM=1001 -- console-12x 2>"$tmp/err"
check "event refuses a device that is not console-N" \
    sh -c "[ $? -eq 1 ] && grep -q '\"console-12x\" is not a channel device' \
        '$tmp/err'"

run_event ACTION=bind SEQNUM=abc -- console-1 2>"$tmp/err"
check "event refuses a SEQNUM that is not a number" \
    sh -c "[ $? -eq 1 ] && grep -q 'SEQNUM \"abc\" is not a uevent number' \
        '$tmp/err'"

# A state file the helper did not write: it starts over, trusting nothing
# while a channel holds a slot (console-1 is bound here), and removes the
# links to hvc ttys it may have made before.
ln -s ../../drivers/xenconsole "$tmp/sys/bus/xen/devices/console-1/driver"
echo Connected >"$tmp/sys/bus/xen/devices/console-1/state"
mkdir -p "$tmp/run/xc" "$tmp/dev/xen-channels" "$tmp/dev/xen-channel"
echo garbage >"$tmp/run/xc/state"
ln -s ../hvc3 "$tmp/dev/xen-channels/org.old"
ln -s ../ttyS0 "$tmp/dev/xen-channel/not.ours"
run_event ACTION=add SEQNUM=1002 -- console-1 2>"$tmp/err"
check "a corrupt state file is reported with its name" \
    grep -q "run/xc/state:1: not a state file this helper wrote" "$tmp/err"
check "... and the links to hvc ttys are removed" \
    test ! -L "$tmp/dev/xen-channels/org.old"
check "... but not other links" test -L "$tmp/dev/xen-channel/not.ours"
check "... and no channel is linked until no channel holds a slot" \
    sh -c "grep -q '^tainted 1$' '$tmp/run/xc/state' &&
        grep -q 'no channel links until no channel holds a slot' '$tmp/err'"

echo "1..$n"
[ $fails -eq 0 ]
