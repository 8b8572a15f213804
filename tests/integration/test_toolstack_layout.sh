#!/usr/bin/env bash
# The xenstore layout `xl-channel attach` writes (SPEC §3): every key, value
# and permission for pty and socket channels, with dom0 and with a driver
# domain as backend; and what the guest (through its xenbus bridge) and the
# driver domain may and may not change.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
drv=$("$xenhost" domain-create "$host" driver1) || bail "driver domain created"

fe() { echo "/local/domain/$dom/device/console/$1"; }
be() { echo "/local/domain/$2/backend/console/$dom/$1"; }
lx() { echo "/libxl/$dom/device/console/$1"; }
layout() { # N BACKEND
    { dump_tree "$(fe "$1")" && dump_tree "$(be "$1" "$2")" &&
        dump_tree "$(lx "$1")"; } | sort
}
as_guest() { # D CMD...: run CMD as guest D through its xenbus bridge
    local d=$1
    shift
    (eval "$("$xenhost" guest-env "$host" "$d")" && "$@")
}

# --- dom0 backend
"$xl" attach guest1 "name=org.test.pty,connection=pty" 2>"$tmp/a.err"
ok "attach a pty channel by domain name"
diff <(expected "$data/layout-pty.txt" "$dom" 0 1 org.test.pty) \
    <(layout 1 0) >"$tmp/diff" || { show "$tmp/diff"; false; }
ok "pty channel, dom0 backend: keys, values, permissions as SPEC §3"

"$xl" attach "$dom" "connection=socket,path=$tmp/agent.sock,name=org.test.sock" \
    2>"$tmp/a.err"
ok "attach a socket channel by domain id"
diff <(expected "$data/layout-socket.txt" "$dom" 0 2 org.test.sock \
    "$tmp/agent.sock") <(layout 2 0) >"$tmp/diff" || {
    show "$tmp/diff"
    false
}
ok "socket channel, dom0 backend: keys, values, permissions as SPEC §3"

# --- driver domain backend, by name and by id
"$xl" attach guest1 "name=org.test.drv,connection=socket,path=$tmp/d.sock,backend=driver1" \
    2>"$tmp/a.err"
ok "attach a socket channel with a driver domain backend (by name)"
diff <(expected "$data/layout-socket.txt" "$dom" "$drv" 3 org.test.drv \
    "$tmp/d.sock") <(layout 3 "$drv") >"$tmp/diff" || {
    show "$tmp/diff"
    false
}
ok "socket channel, driver domain backend: layout as SPEC §3"

"$xl" attach guest1 "name=org.test.drvpty,connection=pty,backend=$drv" \
    2>"$tmp/a.err"
ok "attach a pty channel with a driver domain backend (by id)"
diff <(expected "$data/layout-pty.txt" "$dom" "$drv" 4 org.test.drvpty) \
    <(layout 4 "$drv") >"$tmp/diff" || { show "$tmp/diff"; false; }
ok "pty channel, driver domain backend: layout as SPEC §3"

# --- limit= (our extension): FE `limit` as libxl's key, BE `limit` for the
# backend (trusted), and its /libxl copy
"$xl" attach guest1 "name=org.test.lim,connection=pty,limit=64K" \
    2>"$tmp/a.err"
ok "attach a channel with limit=64K"
lim=5 # the lowest free devid
[ "$(xenstore-read "$(lx "$lim")/name")" = org.test.lim ] &&
    [ "$(xenstore-read "$(fe "$lim")/limit")" = 65536 ] &&
    [ "$(xenstore-read "$(be "$lim" 0)/limit")" = 65536 ] &&
    [ "$(xenstore-read "$(lx "$lim")/limit")" = 65536 ] &&
    dump_tree "$(be "$lim" 0)/limit" | grep -q "(n0,r$dom)$"
ok "limit in FE, BE (backend-owned, guest-readable) and the /libxl copy"
! xenstore-exists "$(be 1 0)/limit"
ok "a channel without limit= has no BE limit (the backend's default)"
# --- a socket channel without a path (our extension): one is made,
# <socket dir>/<domain name>/<channel name>, and written like a given one
"$xl" attach --socket-dir "$tmp/socks" guest1 \
    "name=org.test.auto,connection=socket" 2>"$tmp/a.err" &&
    auto=6 &&
    [ "$(xenstore-read "$(lx "$auto")/name")" = org.test.auto ] &&
    [ "$(xenstore-read "$(be "$auto" 0)/path")" = "$tmp/socks/guest1/org.test.auto" ] &&
    [ "$(xenstore-read "$(lx "$auto")/path")" = "$tmp/socks/guest1/org.test.auto" ] &&
    [ "$(xenstore-read "$(fe "$auto")/output")" = "chardev:libxl-channel$auto" ]
ok "a socket channel without a path gets <socket dir>/guest1/<name>"
dom2=$("$xenhost" domain-create "$host" guest2) &&
    "$xl" attach guest2 "name=org.test.auto,connection=socket" &&
    [ "$(xenstore-read "/local/domain/0/backend/console/$dom2/1/path")" = \
        /run/xenchannel/guest2/org.test.auto ]
ok "by default under /run/xenchannel; the same name in another domain does not meet it"
"$xl" attach guest1 "name=org.test.badlim,connection=pty,limit=3K" \
    2>"$tmp/a.err"
[ $? -eq 1 ] && grep -q 'limit "3K" is below the smallest, 4K' "$tmp/a.err"
ok "limit=3K is refused, naming the value"

# --- the guest: may read its device, change only its own keys
before=$(dump_all)
as_guest "$dom" xenstore-read "$(fe 1)/name" >"$tmp/name" &&
    [ "$(cat "$tmp/name")" = org.test.pty ]
ok "the guest reads its channel's name (the bridge works)"
for key in name type output tty limit; do
    ! as_guest "$dom" xenstore-write "$(fe 1)/$key" evil 2>/dev/null &&
        ! as_guest "$dom" xenstore-rm "$(fe 1)/$key" 2>/dev/null
    ok "the guest can neither change nor remove FE $key"
done
! as_guest "$dom" xenstore-write "$(be 1 0)/state" 4 2>/dev/null &&
    ! as_guest "$dom" xenstore-write "$(be 2 0)/path" /etc/shadow 2>/dev/null &&
    ! as_guest "$dom" xenstore-write "$(be 1 0)/new" x 2>/dev/null &&
    ! as_guest "$dom" xenstore-rm "$(be 1 0)" 2>/dev/null
ok "the guest cannot write, add or remove anything under BE"
! as_guest "$dom" xenstore-write "$(be 3 "$drv")/connection" pty 2>/dev/null
ok "nor under a driver domain's BE"
! as_guest "$dom" xenstore-read "$(lx 1)/name" 2>/dev/null &&
    ! as_guest "$dom" xenstore-write "$(lx 1)/name" evil 2>/dev/null &&
    ! as_guest "$dom" xenstore-write "/libxl/$dom/x" y 2>/dev/null
ok "the guest can neither read nor write /libxl"
[ "$before" = "$(dump_all)" ]
ok "nothing changed in xenstore after the guest's attempts"

! as_guest "$dom" "$xl" attach "$dom" "name=org.evil,connection=pty,backend=0" \
    2>"$tmp/evil.err" && [ "$before" = "$(dump_all)" ] ||
    { show "$tmp/evil.err"; false; }
ok "xl-channel run by the guest itself fails and writes nothing"
show "$tmp/evil.err"

as_guest "$dom" xenstore-write "$(fe 1)/state" 3 &&
    [ "$(xenstore-read "$(fe 1)/state")" = 3 ]
ok "the guest can write its frontend state"

# --- the driver domain: owns its BE and the read-only FE keys
as_guest "$drv" xenstore-write "$(be 3 "$drv")/state" 2 &&
    as_guest "$drv" xenstore-write "$(fe 4)/tty" /dev/pts/9 &&
    [ "$(xenstore-read "$(fe 4)/tty")" = /dev/pts/9 ]
ok "the driver domain writes its BE state and the FE tty of its device"
! as_guest "$drv" xenstore-write "$(be 1 0)/state" 2 2>/dev/null &&
    ! as_guest "$drv" xenstore-read "$(lx 3)/name" 2>/dev/null &&
    ! as_guest "$drv" xenstore-write "$(fe 1)/tty" x 2>/dev/null
ok "but nothing of dom0's devices nor /libxl"

# --- detaching the driver domain's channels removes its BE too
"$xl" detach guest1 org.test.drv --force && "$xl" detach guest1 4 --timeout 0 2>/dev/null
ok "detach the driver domain's channels"
! xenstore-exists "$(be 3 "$drv")" && ! xenstore-exists "$(be 4 "$drv")" &&
    ! xenstore-exists "$(fe 3)" && ! xenstore-exists "$(lx 4)" &&
    ! xenstore-exists "/local/domain/$drv/backend" &&
    xenstore-exists "$(be 1 0)" && xenstore-exists "$(fe 2)"
ok "their FE, BE, LX and the emptied backend directories are gone, the rest stays"

ts_done
