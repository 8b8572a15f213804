#!/usr/bin/env bash
# The simulated Xen host (tests/testbed): real xenstored 4.17 under the
# xensim preload, guests through their xenbus bridges. Prints TAP.
# Every wait is on a real condition (xenstore-watch output on a fifo).
set -u
src=${XCH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${XCH_OUT:-$src/build}
xenhost=$out/testbed/xenhost
xsbin=/usr/lib/xen-4.17/bin

n=0
failed=0
ok() { # NAME CMD...
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        failed=$((failed + 1))
    fi
}

echo "1..13"
A=$(mktemp -d)
B=$(mktemp -d)
cleanup() {
    "$xenhost" stop "$A" >/dev/null 2>&1
    "$xenhost" stop "$B" >/dev/null 2>&1
    rm -rf "$A" "$B"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that cleanup runs on a timeout too

# Both run CMD in place of their subshell (exec), so that a watcher
# started in the background is a direct child of the background job.
dom0() { # DIR CMD... : run as dom0 of testbed DIR
    (
        eval "$("$xenhost" env "$1")"
        shift
        exec "$@"
    )
}

as_guest() { # DIR D CMD... : run as guest D of testbed DIR
    (
        eval "$("$xenhost" guest-env "$1" "$2")"
        shift 2
        exec "$@"
    )
}

# watch_start NAME DIR D|0 PATH: a watcher process whose events arrive on
# fd 3 of this shell; it has fired once (registration) when this returns.
# (A failure leaves the watcher to the EXIT trap's testbed stop.)
watch_start() {
    local fifo=$2/$1.fifo
    mkfifo "$fifo"
    if [ "$3" = 0 ]; then
        dom0 "$2" xenstore-watch "$4" >"$fifo" &
    else
        as_guest "$2" "$3" xenstore-watch "$4" >"$fifo" &
    fi
    watcher=$!
    exec 3<"$fifo"
    local registered
    IFS= read -r -u 3 registered && [ "$registered" = "$4" ]
}

watch_next() { # the next event's path
    IFS= read -r -u 3 ev && echo "$ev"
}

watch_stop() {
    # $! is the background function's shell; the watcher is its child.
    pkill -P "$watcher" 2>/dev/null
    kill "$watcher" 2>/dev/null
    wait "$watcher" 2>/dev/null
    exec 3<&-
}

"$xenhost" start "$A" >/dev/null || {
    echo "Bail out! xenhost start failed"
    exit 1
}
ok "dom0 has name and domid" \
    test "$(dom0 "$A" xenstore-read /local/domain/0/name)/$(dom0 "$A" xenstore-read /local/domain/0/domid)" = Domain-0/0
quiet() {
    "$@" >/dev/null
}
ok "test-xenstore passes as dom0" quiet dom0 "$A" "$xsbin/test-xenstore"

G1=$("$xenhost" domain-create "$A" guest1)
G2=$("$xenhost" domain-create "$A" guest2 --domid 42)
ok "guests are created with the domids asked for" \
    test "$G1/$G2/$(as_guest "$A" 42 xenstore-read domid)" = 1/42/42

# test-xenstore works in "xenstore-test" under the domain's home.
dom0 "$A" xenstore-write "/local/domain/$G1/xenstore-test" ""
dom0 "$A" xenstore-chmod "/local/domain/$G1/xenstore-test" "n$G1"
ok "test-xenstore passes as a guest, through its bridge" \
    quiet as_guest "$A" "$G1" "$xsbin/test-xenstore"

ok "a guest cannot read /local/domain/0" \
    bash -c '! "$@" 2>/dev/null' _ as_guest "$A" "$G1" xenstore-read /local/domain/0/name
guest_cannot_write() {
    ! as_guest "$A" "$G1" xenstore-write "/local/domain/$G2/data/x" 1 2>/dev/null &&
        ! as_guest "$A" "$G1" xenstore-write /newtop 1 2>/dev/null &&
        as_guest "$A" "$G1" xenstore-write "/local/domain/$G1/data/x" 1
}
ok "a guest writes only its own writable nodes" guest_cannot_write

watch_across() {
    watch_start w1 "$A" "$G1" "/local/domain/$G1/data/flag" || return 1
    dom0 "$A" xenstore-write "/local/domain/$G1/data/flag" on
    local ev
    ev=$(watch_next)
    watch_stop
    [ "$ev" = "/local/domain/$G1/data/flag" ]
}
ok "a dom0 write fires a guest's watch in another process" watch_across

destroy_releases() {
    local lx=/libxl/$G2/device/console/1
    local fe=/local/domain/$G2/device/console/1
    local be=/local/domain/0/backend/console/$G2/1
    dom0 "$A" xenstore-write "$fe/state" 1 "$be/state" 1 \
        "$lx/frontend" "$fe" "$lx/backend" "$be" || return 1
    watch_start w2 "$A" 0 @releaseDomain || return 1
    "$xenhost" domain-destroy "$A" "$G2" || return 1
    local ev
    ev=$(watch_next)
    watch_stop
    [ "$ev" = @releaseDomain ] &&
        ! dom0 "$A" xenstore-exists "/local/domain/$G2" &&
        ! dom0 "$A" xenstore-exists "/libxl/$G2" &&
        ! dom0 "$A" xenstore-exists "$be" &&
        [ ! -e "$A/sim/domains/$G2" ]
}
ok "destroying a domain fires @releaseDomain and removes its nodes" \
    destroy_releases

dying_domain_released() {
    local G3
    G3=$("$xenhost" domain-create "$A" guest3) || return 1
    quiet dom0 "$A" "$xsbin/xenstore-control" quota "$G3" || return 1
    watch_start w3 "$A" 0 @releaseDomain || return 1
    "$xenhost" domain-state "$A" "$G3" dying || return 1
    "$xenhost" virq "$A" || return 1
    local ev
    ev=$(watch_next)
    watch_stop
    # xenstored knows the domain no more (its quota query says ENOENT).
    [ "$ev" = @releaseDomain ] &&
        ! quiet dom0 "$A" "$xsbin/xenstore-control" quota "$G3" 2>/dev/null
}
ok "VIRQ_DOM_EXC makes xenstored release a dying domain" dying_domain_released

two_testbeds() {
    "$xenhost" start "$B" >/dev/null || return 1
    local gb
    gb=$("$xenhost" domain-create "$B" other) || return 1
    dom0 "$A" xenstore-write /only-in-a 1 &&
        ! dom0 "$B" xenstore-exists /only-in-a &&
        [ "$gb" = 1 ] &&
        [ "$(as_guest "$B" 1 xenstore-read name)" = other ] &&
        [ "$(as_guest "$A" "$G1" xenstore-read name)" = guest1 ]
}
ok "two testbeds at once do not see each other" two_testbeds

xl_list() {
    (
        eval "$("$xenhost" env "$A" --preload)"
        "$xsbin/xl" list | grep -q "^guest1 *$G1 "
    )
}
ok "the real xl lists the domain table" xl_list

# The real `xl channel-list` against a channel written by hand, in the
# layout libxl writes (it reads the /libxl copy and the FE state, port,
# ring-ref and tty).
xl_channel_list() {
    local fe=/local/domain/$G1/device/console/1
    local be=/local/domain/0/backend/console/$G1/1
    local lx=/libxl/$G1/device/console/1
    local expected actual
    dom0 "$A" xenstore-write "$fe/state" 4 "$fe/port" 9 "$fe/ring-ref" 8 \
        "$fe/tty" /dev/pts/9 "$be/state" 4 "$lx/frontend" "$fe" \
        "$lx/backend" "$be" "$lx/connection" pty "$lx/name" org.test ||
        return 1
    expected=$(
        printf '%-3s %-2s %-5s %-6s %8s %-10s %-30s\n' \
            Idx BE state evt-ch ring-ref connection ""
        printf '%-3d %-2d %-5d %-6d %-8d %-10s %-30s \n' \
            0 0 4 9 8 pty /dev/pts/9
    )
    actual=$(
        eval "$("$xenhost" env "$A" --preload)"
        "$xsbin/xl" channel-list "$G1"
    ) || return 1
    [ "$expected" = "$actual" ]
}
ok "the real xl channel-list reads a channel in libxl's layout" \
    xl_channel_list

stop_all() {
    local pid
    pid=$(cat "$A/xenstored.pid")
    "$xenhost" stop "$A" && ! kill -0 "$pid" 2>/dev/null &&
        [ ! -e "$A/guest/$G1/bridge.pid" ] &&
        dom0 "$B" xenstore-read /local/domain/1/name >/dev/null
}
ok "xenhost stop ends one testbed and leaves the other running" stop_all

[ "$failed" -eq 0 ]
