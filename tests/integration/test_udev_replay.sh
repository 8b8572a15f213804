#!/usr/bin/env bash
# A Linux guest's uevents for its channel consoles (add, bind, unbind,
# remove; coldplug's add alone), replayed through the installed udev rule
# and the helper by a small model of udev and of the guest kernel
# (tests/udev/udevsim.py), with the channels attached and detached by the
# real xl-channel on the simulated host: the links name each channel's own
# tty, or are absent and the helper says why (tests/udev/replay.py).
set -u
: "${XCH_OUT:?}" "${XCH_SRC:?}"
xenhost=$XCH_OUT/testbed/xenhost
tmp=$(mktemp -d)
cleanup() {
    "$xenhost" stop "$tmp/tb" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

eval "$("$xenhost" start "$tmp/tb")" || exit 1
domid=$("$xenhost" domain-create "$tmp/tb" guest1) || exit 1
guest_path=$(eval "$("$xenhost" guest-env "$tmp/tb" "$domid")" &&
    echo "$XENSTORED_PATH") || exit 1

XCH_REPLAY_DIR=$tmp/replay XCH_DOMID=$domid \
    XCH_GUEST_XENSTORED_PATH=$guest_path \
    python3 "$XCH_SRC/tests/udev/replay.py"
