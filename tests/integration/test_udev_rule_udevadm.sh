#!/usr/bin/env bash
# The generated udev rule through udev's own rule engine (`udevadm test`),
# for console-1's add, bind, unbind and remove, in a private mount
# namespace: a fake sysfs over /sys, the rule alone in the rules
# directories, a private /run/udev for udev's database. It proves what the
# replay's model of udev (tests/udev/udevsim.py) assumes: IMPORT{program}
# on add puts the channel's name in the database, bind and unbind carry it
# over, remove still sees it, and every event runs the helper's event
# command. (udevadm test runs IMPORT programs but not RUN ones.)
set -u
: "${XCH_OUT:?}" "${XCH_SRC:?}"
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null ||
    ! command -v udevadm >/dev/null; then
    echo "1..0 # SKIP needs root, unshare -m and udevadm"
    exit 0
fi
xenhost=$XCH_OUT/testbed/xenhost
xlch=$XCH_OUT/bin/xl-channel
rules=${XCH_UDEV_RULES:-$XCH_OUT/udev/60-xen-channel.rules}
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
guest_path=$(eval "$("$xenhost" guest-env "$tmp/tb" "$domid")" &&
    echo "$XENSTORED_PATH") || exit 1

# console-1 as a Linux guest's sysfs shows it, bound to its driver.
sys=$tmp/sys
mkdir -p "$sys/devices/console-1" "$sys/bus/xen/devices" \
    "$sys/bus/xen/drivers/xenconsole"
echo MODALIAS=xen:console >"$sys/devices/console-1/uevent"
echo device/console/1 >"$sys/devices/console-1/nodename"
echo Connected >"$sys/devices/console-1/state"
ln -s ../../bus/xen "$sys/devices/console-1/subsystem"
ln -s ../../bus/xen/drivers/xenconsole "$sys/devices/console-1/driver"
ln -s ../../../devices/console-1 "$sys/bus/xen/devices/console-1"

# Udev gives programs only the event's properties: the wrapper adds the
# way to xenstore that a guest's /dev/xen/xenbus would give.
cat >"$tmp/helper" <<EOF
#!/bin/sh
XENSTORED_PATH='$guest_path' exec '$XCH_OUT/bin/xen-channel-helper' "\$@"
EOF
chmod +x "$tmp/helper"
mkdir -p "$tmp/rules" "$tmp/empty" "$tmp/udevrun" "$tmp/out"
helper_path=$(sed -n 's|.*IMPORT{program}="\([^ ]*\) name %k".*|\1|p' \
    "$rules")
check "the rule imports the name with the helper's name command" \
    test -n "$helper_path"
sed "s|$helper_path|$tmp/helper|g" "$rules" \
    >"$tmp/rules/60-xen-channel.rules"

cat >"$tmp/inner" <<EOF
set -e
mount --bind '$sys' /sys
mount --bind '$tmp/udevrun' /run/udev
for d in /etc/udev/rules.d /usr/local/lib/udev/rules.d; do
    if [ -d \$d ]; then mount --bind '$tmp/empty' \$d; fi
done
mount --bind '$tmp/rules' /usr/lib/udev/rules.d
for a in add bind unbind remove; do
    SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=\$a \
        /sys/devices/console-1 >'$tmp/out/'\$a 2>&1 || true
    cat '/run/udev/data/+xen:console-1' >'$tmp/out/db.'\$a 2>/dev/null ||
        echo "(no database)" >'$tmp/out/db.'\$a
done
EOF
unshare -m sh "$tmp/inner"
check "udevadm test ran in a private mount namespace" test -s "$tmp/out/add"

prop=XEN_CHANNEL_NAME=org.example.agent
run_line="run: '$tmp/helper event console-1'"
check "the rule file loads without complaint" \
    sh -c "! grep -iE '60-xen-channel.rules.*(invalid|ignor|unknown)' \
        '$tmp'/out/add"
check "add: IMPORT{program} reads the name into the event" \
    grep -qx "$prop" "$tmp/out/add"
check "add: udev's database keeps it" grep -qx "E:$prop" "$tmp/out/db.add"
for a in bind unbind; do
    check "$a: IMPORT{db} carries the name over" \
        grep -qx "$prop" "$tmp/out/$a"
    check "$a: the rewritten database still has it" \
        grep -qx "E:$prop" "$tmp/out/db.$a"
done
check "remove: the event still has the name (read from the database)" \
    grep -qx "$prop" "$tmp/out/remove"
check "remove: udev deletes the database" \
    grep -qx "(no database)" "$tmp/out/db.remove"
for a in add bind unbind remove; do
    check "$a: runs the helper's event command" \
        grep -qxF "$run_line" "$tmp/out/$a"
done
if [ $fails -ne 0 ]; then
    for a in add bind unbind remove; do
        sed "s/^/# $a: /" "$tmp/out/$a" | grep -vE 'hwdb|trie|Parsed'
    done
fi

echo "1..$n"
[ $fails -eq 0 ]
