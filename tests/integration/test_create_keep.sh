#!/usr/bin/env bash
# `xl-channel create` with xl's stand-in (tests/testbed/xl-standin), and
# the kept set: channels that come back whenever xl builds the domain
# again (reboot or crash restart, save and restore, migration to another
# host), changed by attach and detach, and out of the guest's reach.
. "${XCH_SRC:?XCH_SRC not set}/tests/daemon/lib.sh"

export XL=$out/testbed/xl-standin
dt_start
start_daemon || bail "xenchanneld starts"

cfg=$tmp/web.cfg
cat >"$cfg" <<EOF
name = "web"
memory = 128
channel = [ "name=org.test.agent,connection=socket,path=$tmp/agent.sock",
            "name=org.test.tty,connection=pty" ]
EOF

# The kept set in xenstore, "devid spec" a line.
kept_xs() { # DOMID
    local k
    for k in $(xenstore-list "/local/domain/$1/xenchannel" 2>/dev/null); do
        echo "$k $(xenstore-read "/local/domain/$1/xenchannel/$k")"
    done
}
# The kept set in libxl's configuration of the domain, likewise.
kept_json() { # DOMID
    local uuid
    uuid=$(xenstore-read "/local/domain/$1/vm") && uuid=${uuid#/vm/}
    python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
for k, v in c["c_info"].get("xsdata", {}).items():
    if k.startswith("xenchannel/"):
        print(k[len("xenchannel/"):], v)' \
        "$XENCHANNEL_LIBXL_DIR/userdata-d.$1.$uuid.libxl-json"
}
# "devid name" of each channel of domain $1, one line, by the library.
chans() { "$xl" list --json "$1" | python3 -c '
import json, sys
print(" ".join("%d:%s" % (c["devid"], c["name"]) for c in json.load(sys.stdin)))'; }
domid() { "$XL" domid "$1"; }
paused() { [ -e "$host/standin/$1.paused" ]; }
# Waits until domain $1 has the channels $2 (chans' format), both FE and
# BE in place (the daemon took them: BE state 2 or more).
wait_chans() { # DOMID DEVID...
    local dev
    for dev in "${@:2}"; do
        "$xt" wait-xs "$(be_path "$1" "$dev")/state" 2 || return 1
    done
}

# ---- create ------------------------------------------------------------
"$xl" create "$cfg" 2>"$tmp/create.err"
ok "create: exit 0"
grep -q "^Parsing config from $cfg" "$tmp/create.err"
ok "create: xl's own output (no -q) reaches the user"
d=$(domid web)
grep -qx "create -p $cfg channel=\[\] # channel=\[\]" "$host/xl-standin.log" &&
    grep -qx "unpause $d" "$host/xl-standin.log" ||
    { show "$host/xl-standin.log"; false; }
ok "xl create -p FILE channel=[] (so libxl hands no channel to QEMU), then xl unpause"
[ "$(chans web)" = "1:org.test.agent 2:org.test.tty" ] && ! paused "$d"
ok "both channels attached, the domain unpaused"
wait_chans "$d" 1 2
ok "xenchanneld serves both"
printf '%s\n' "1 name=org.test.agent,connection=socket,path=$tmp/agent.sock" \
    "2 name=org.test.tty,connection=pty" >"$tmp/kept.want"
diff "$tmp/kept.want" <(kept_xs "$d") && diff "$tmp/kept.want" <(kept_json "$d")
ok "kept in xenstore and in libxl's configuration (c_info.xsdata)"
[ "$(xenstore-ls -p "/local/domain/$d" | grep -E '^xenchannel ')" != "" ] &&
    xenstore-ls -p "/local/domain/$d" | grep -E '^xenchannel ' | grep -q "(n0,r$d)"
ok "the set is dom0's, read-only to the guest (n0 r$d)"

# The guest, through its own xenbus bridge, can neither change nor add.
(
    eval "$("$xenhost" guest-env "$host" "$d")"
    xenstore-read "/local/domain/$d/xenchannel/2" >/dev/null &&
        ! xenstore-write "/local/domain/$d/xenchannel/2" "name=evil,connection=pty" 2>/dev/null &&
        ! xenstore-write "/local/domain/$d/xenchannel/3" "name=evil,connection=pty" 2>/dev/null &&
        ! xenstore-rm "/local/domain/$d/xenchannel/1" 2>/dev/null &&
        ! xenstore-rm "/local/domain/$d/xenchannel" 2>/dev/null &&
        ! xenstore-chmod "/local/domain/$d/xenchannel" "b$d" 2>/dev/null
)
ok "the guest reads its set but cannot write, add, remove or chmod it"
diff "$tmp/kept.want" <(kept_xs "$d")
ok "the set is unchanged"

"$xl" create -q "$cfg" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "already exists" "$tmp/err" && [ "$(domid web)" = "$d" ] &&
    [ "$(chans web)" = "1:org.test.agent 2:org.test.tty" ]
ok "create of a name in use: xl's error, exit 1, the running domain untouched"

# ---- rebuilds ------------------------------------------------------------
# xl reboot, the guest's own reboot and on_crash='restart' are one thing
# to xl: the kept configuration is read, the domain destroyed, a new one
# built with the same name and UUID, and unpaused.
uuid=$(xenstore-read "/local/domain/$d/vm")
d2=$("$XL" reboot web)
ok "reboot: the domain is built again"
[ "$(xenstore-read "/local/domain/$d2/vm")" = "$uuid" ]
ok "same UUID"
wait_chans "$d2" 1 2 && [ "$(chans web)" = "1:org.test.agent 2:org.test.tty" ]
ok "both channels came back and xenchanneld serves them"
grep -q "domain $d2: channel 1 attached again from its kept set" "$tmp/xenchanneld.err"
ok "the daemon says it attached them from the kept set"

# The guest gets them as hot-plug and data flows.
start_guest "$d2" "$tmp/g2" 3 || bail "guest simulator of $d2"
wait_lines 3 "connected org.test.agent" "connected org.test.tty"
ok "the guest connects both"
"$xt" wait-path "$tmp/agent.sock" &&
    python3 "$src/tests/guest/chanclient.py" pair "$tmp/agent.sock" 65536 \
        --peer "$tmp/g2/org.test.agent"
ok "bytes flow both ways through the channel that came back"
kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
unset 'dt_pids[-1]'
exec 3<&-

# attach and detach change the set.
"$xl" attach web "name=org.test.extra,connection=pty" &&
    "$xl" detach -f web org.test.tty
ok "attach one, detach another"
printf '%s\n' "1 name=org.test.agent,connection=socket,path=$tmp/agent.sock" \
    "3 name=org.test.extra,connection=pty" >"$tmp/kept.want"
diff "$tmp/kept.want" <(kept_xs "$d2") && diff "$tmp/kept.want" <(kept_json "$d2")
ok "the set follows: the attached one in, the detached one out"
d3=$("$XL" reboot web) && wait_chans "$d3" 1 3 &&
    [ "$(chans web)" = "1:org.test.agent 3:org.test.extra" ]
ok "a second reboot brings back the changed set"

# save, then restore: the save image carries the configuration. libxl
# makes the restored domain's nodes, loads its memory, introduces the
# domain and unpauses it, and the guest resumes at once, looking for the
# devices it had: Linux gives up for good on one whose directory is
# missing then. The stand-in's build step stands for the memory load: it
# waits for the kept channels' directories (on a host that leaves them to
# the introduction, it waits in vain and the restore fails), notes the
# backend states, and lets a bystander guest die meanwhile: a
# @releaseDomain while the restored domain is not introduced yet.
"$XL" save web "$tmp/web.save" && ! "$XL" domid web 2>/dev/null
ok "save: the domain is gone"
grep -q '"xenchannel/3": "name=org.test.extra,connection=pty"' "$tmp/web.save"
ok "the save image carries the set"
by=$("$xenhost" domain-create "$host" bystander) &&
    add_channel "$by" 1 org.test.by socket "$tmp/by.sock" 65536 &&
    "$xt" wait-path "$tmp/by.sock"
ok "a bystander guest with a channel of its own"
cat >"$tmp/build.sh" <<EOF
d=\$XENHOST_DOMID
XCD_TEST_TIMEOUT=30 "$xt" wait-xs /local/domain/\$d/device/console/1/state 1 &&
    XCD_TEST_TIMEOUT=30 "$xt" wait-xs /local/domain/\$d/device/console/3/state 1 &&
    echo \$d >"$tmp/build.domid" &&
    "$xenhost" domain-state "$host" "$by" gone && "$xenhost" virq "$host" &&
    "$xt" wait-log "$tmp/xenchanneld.err" "domain $by is gone" &&
    xenstore-read "$(be_path '$d' 1)/state" "$(be_path '$d' 3)/state" >"$tmp/build.be"
EOF
d4=$(XL_STANDIN_BUILD="sh $tmp/build.sh" "$XL" restore "$tmp/web.save" 2>"$tmp/restore.err") ||
    cat "$tmp/restore.err" >&2
[ -n "$d4" ] && [ "$(cat "$tmp/build.domid")" = "$d4" ]
ok "restore: the kept channels are written while the domain is built, before it is introduced"
[ "$(tr '\n' ' ' <"$tmp/build.be")" = "1 1 " ]
ok "xenchanneld leaves them alone until then (backend state 1)"
start_guest "$d4" "$tmp/g4" 3 --resume 1,3,5 || bail "guest simulator of $d4"
wait_lines 3 "connected org.test.agent" "connected org.test.extra" &&
    grep -q "device/console/5: unable to read the other end" "$tmp/guestsim-$d4.err"
ok "the guest resumes at once: 1 and 3 connect; 5, which it had and is gone, fails as in Linux"
"$xt" wait-xs "$(be_path "$d4" 1)/state" 4 && "$xt" wait-xs "$(be_path "$d4" 3)/state" 4 &&
    [ "$(chans web)" = "1:org.test.agent 3:org.test.extra" ]
ok "xenchanneld serves both from the introduction on"
! grep -q "domain $d4 is gone" "$tmp/xenchanneld.err" &&
    "$xenhost" domain-destroy "$host" "$by"
ok "the bystander's @releaseDomain did not take the restored domain's channels"
"$xt" wait-path "$tmp/agent.sock" &&
    python3 "$src/tests/guest/chanclient.py" pair "$tmp/agent.sock" 65536 \
        --peer "$tmp/g4/org.test.agent"
ok "bytes flow both ways through the resumed channel"
kill "${dt_pids[-1]}" && wait "${dt_pids[-1]}" 2>/dev/null
unset 'dt_pids[-1]'
exec 3<&-

# migration: another host (testbed) with its own xenchanneld.
host2=$tmp/host2
mkdir -p "$host2"
(
    eval "$("$xenhost" start "$host2")" || exit 1
    eval "$("$xenhost" env "$host2" --preload)"
    exec "$out/sbin/xenchanneld" --foreground --control "$tmp/control2.sock" \
        --socket-dir "$tmp/run2"
) 2>>"$tmp/xenchanneld2.err" &
x2=$!
dt_pids+=("$x2")
"$xt" wait-path "$tmp/control2.sock" || bail "the second host's daemon"
d5=$("$XL" migrate web "$host2")
ok "migrate to the other host"
(
    eval "$("$xenhost" env "$host2")"
    export XENCHANNELD_CONTROL=$tmp/control2.sock
    wait_chans "$d5" 1 3 && [ "$(chans web)" = "1:org.test.agent 3:org.test.extra" ] &&
        [ "$(kept_xs "$d5" | wc -l)" = 2 ]
)
ok "there the channels come back, and their set with them"
! "$XL" domid web 2>/dev/null
ok "and the source domain is gone"
kill "$x2" && wait "$x2" 2>/dev/null
"$xenhost" stop "$host2"

# ---- create's failures -----------------------------------------------------
: >"$host/xl-standin.log"
cat >"$tmp/bad.cfg" <<EOF
name = "bad"
channel = [ "name=org.ok,connection=pty", "name=org.bad,connection=pty,colour=red" ]
EOF
"$xl" create "$tmp/bad.cfg" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "bad.cfg: channel\[1\]" "$tmp/err" && grep -q colour "$tmp/err"
ok "a bad entry: exit 1, the error names the file and the entry"
[ ! -s "$host/xl-standin.log" ] && ! "$XL" domid bad 2>/dev/null
ok "and xl was not run: nothing created"

cat >"$tmp/late.cfg" <<EOF
name = "late"
channel = [ "name=org.first,connection=pty",
            "name=org.second,connection=pty,backend=nosuchdomain" ]
EOF
"$xl" create "$tmp/late.cfg" 2>"$tmp/err"
[ $? -eq 1 ] &&
    grep -q "late.cfg: channel\[1\] 'org.second': cannot attach.*nosuchdomain" "$tmp/err" &&
    grep -q "destroyed the domain 'late'" "$tmp/err" || { show "$tmp/err"; false; }
ok "an attach that fails: the error names the entry, the domain is destroyed"
grep -q "^destroy " "$host/xl-standin.log" && ! "$XL" domid late 2>/dev/null &&
    [ -z "$(ls "$XENCHANNEL_LIBXL_DIR")" ] && [ -z "$(xenstore-ls /libxl)" ]
ok "nothing of it is left (xl destroy)"

printf '%s\n' 'name = "stuck"' 'channel = [ "name=org.s,connection=pty" ]' \
    >"$tmp/stuck.cfg"
XL_STANDIN_FAIL=unpause "$xl" create -q "$tmp/stuck.cfg" 'name="stuck2"' \
    2>"$tmp/err"
[ $? -eq 1 ] && grep -q "unpause .* failed" "$tmp/err" &&
    grep -q "destroyed the domain 'stuck2'" "$tmp/err" && ! "$XL" domid stuck2 2>/dev/null ||
    { show "$tmp/err"; false; }
ok "a failing unpause destroys the domain too (an extra line renamed it)"
XL_STANDIN_FAIL=create "$xl" create -q "$cfg" 'name="other"' 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "create failed (exit status 1): no domain was created" "$tmp/err" &&
    ! grep -q "destroy" "$tmp/err"
ok "xl create failing: said, nothing to destroy"

for o in -F -V -e -d -n --vncviewer; do
    "$xl" create "$o" "$cfg" 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "not supported" "$tmp/err" || { echo "# $o" && show "$tmp/err"; false; }
done
ok "other xl create options are refused as usage errors"
"$xl" create "$cfg" "channel=[]" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "channel= list" "$tmp/err"
ok "a channel= line on the command line is refused"
"$xl" create 2>/dev/null
[ $? -eq 2 ]
ok "create without FILE: usage error"

# -p stays paused; -c runs xl console.
cat >"$tmp/p.cfg" <<EOF
name = "held"
channel = [ "name=org.held,connection=pty" ]
EOF
: >"$host/xl-standin.log"
"$xl" create -p -q "$tmp/p.cfg" && dp=$(domid held) && paused "$dp" &&
    [ "$(chans held)" = "1:org.held" ] && ! grep -qx "unpause $dp" "$host/xl-standin.log"
ok "-p: channels attached, the domain left paused"
sed 's/held/shown/' "$tmp/p.cfg" >"$tmp/c.cfg"
"$xl" create -c -q "$tmp/c.cfg" >"$tmp/out" && dc=$(domid shown) &&
    grep -qx "xl-standin: console of domain $dc (shown)" "$tmp/out" && ! paused "$dc"
ok "-c: unpaused, then xl console on it"

# ---- a domain being destroyed ----------------------------------------------
# libxl's destroy removes the devices, then /vm/<uuid>, then the domain's
# nodes (kept set included). In between, the domain lacks its kept
# channels and its mark has changed: it must not get them back. Here the
# first two steps by hand, then a domain made with a kept set of its own,
# whose channel coming back shows the daemon has looked at everything.
logged=$(wc -l <"$tmp/xenchanneld.err")
dd=$(domid shown) && uuid=$(xenstore-read "/local/domain/$dd/vm") &&
    xenstore-rm "$(fe_path "$dd" 1)" "$(be_path "$dd" 1)" "/libxl/$dd/device/console/1" &&
    xenstore-rm "$uuid" && [ -n "$(kept_xs "$dd")" ]
ok "a domain halfway through libxl's destroy: devices and /vm gone, its set still there"
dn=$("$xenhost" domain-create "$host" next --xsdata "xenchannel/1=name=org.next,connection=pty" \
    --xsdata "xenchannel/2=name=org.ghost,connection=pty,backend=ghost") &&
    "$xt" wait-log "$tmp/xenchanneld.err" "domain $dn: channel 1 attached again"
ok "a domain made meanwhile gets its kept channel"
! xenstore-read "$(be_path "$dd" 1)/state" 2>/dev/null &&
    ! tail -n "+$((logged + 1))" "$tmp/xenchanneld.err" | grep -q "domain $dd: channel 1 attached again"
ok "the one being destroyed does not get its channel back"
# Its channel 2 cannot be attached (no domain 'ghost'): looked at when the
# domain is made and when it is introduced, said once. One more domain
# shows the daemon has looked at everything before.
ds=$("$xenhost" domain-create "$host" sync --xsdata "xenchannel/1=name=org.sync,connection=pty") &&
    "$xt" wait-log "$tmp/xenchanneld.err" "domain $ds: channel 1 attached again" &&
    [ "$(grep -c "domain $dn: kept channel 2 .*cannot be attached" "$tmp/xenchanneld.err")" = 1 ] ||
    { show "$tmp/xenchanneld.err"; false; }
ok "a kept channel that cannot be attached is warned about once"

dt_done
