#!/usr/bin/env bash
# The guest's udev helper, run as the guest through the testbed's xenbus
# bridge: it names /dev/xen-channels/NAME after the channel's xenstore
# `name`, refuses bad names, and removes only its own links.
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
    as_guest "$helper" --sysfs "$tmp/sys" --dev "$tmp/dev" "$@"
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

run_helper link console-1 org.example.agent
check "link makes /dev/xen-channels/NAME point at hvc1" \
    test "$(readlink "$tmp/dev/xen-channels/org.example.agent")" = "../hvc1"
check "link makes the upstream spelling /dev/xen-channel/NAME too" \
    test "$(readlink "$tmp/dev/xen-channel/org.example.agent")" = "../hvc1"

run_helper link console-1 "../evil" 2>/dev/null
rc=$?
check "link refuses an invalid name" \
    test $rc -eq 1 -a ! -e "$tmp/dev/evil" -a ! -L "$tmp/dev/evil"

# Remove runs after the xenstore nodes are gone: the name comes from the
# udev database, and a link now owned by another device is left alone.
"$xlch" detach --force "$domid" 1 >/dev/null
ln -sfn ../hvc4 "$tmp/dev/xen-channel/org.example.agent"
run_helper unlink console-1 org.example.agent
check "unlink removes the link after the device is gone" \
    test ! -L "$tmp/dev/xen-channels/org.example.agent"
check "unlink leaves a link that points at another hvc" \
    test "$(readlink "$tmp/dev/xen-channel/org.example.agent")" = "../hvc4"

run_helper link console-12 org.example.agent 2>/dev/null
check "link refuses a device that is not console-1..9" test $? -eq 1

echo "1..$n"
[ $fails -eq 0 ]
