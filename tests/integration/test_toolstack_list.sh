#!/usr/bin/env bash
# `xl-channel list`: xl's table byte for byte (expected bytes, and the real
# xl under the testbed's preload), rows read from their own device when
# devids have gaps, untrusted frontend values shown as -1, the long table,
# --json read back, and the real libxenlight (libxl_device_channel_list +
# _getinfo) reporting the same channels as ours.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
dom2=$("$xenhost" domain-create "$host" guest2) || bail "guest 2 created"
fe() { echo "/local/domain/$dom/device/console/$1"; }
be() { echo "/local/domain/0/backend/console/$dom/$1"; }
as_guest() { # CMD...: run CMD as guest1 through its xenbus bridge
    (eval "$("$xenhost" guest-env "$host" "$dom")" && "$@")
}
real_xl() { # ARGS...: the real xl, preloaded
    (eval "$("$xenhost" env "$host" --preload)" &&
        /usr/lib/xen-4.17/bin/xl "$@")
}

# A primary console as libxl writes it (devid 0, no name): not a channel.
xenstore-write "/libxl/$dom/device/console/0/frontend" "$(fe 0)" \
    "/libxl/$dom/device/console/0/backend" "$(be 0)" \
    "/libxl/$dom/device/console/0/type" xenconsoled "$(fe 0)/limit" 1048576 \
    "$(fe 0)/type" xenconsoled "$(fe 0)/tty" /dev/pts/0 ||
    bail "primary console written"

"$xl" attach guest1 "name=org.test.pty,connection=pty" &&
    "$xl" attach guest1 "name=org.test.sock,connection=socket,path=$tmp/s.sock" &&
    "$xl" attach guest1 "name=org.test.pty2,connection=pty" &&
    "$xl" attach guest2 "name=org.other,connection=socket,path=$tmp/o.sock" ||
    bail "channels attached"
# What a connected guest and backend would have written.
as_guest xenstore-write "$(fe 1)/ring-ref" 8 "$(fe 1)/port" 17 \
    "$(fe 1)/state" 4 "$(fe 2)/ring-ref" 9 "$(fe 2)/port" 18 \
    "$(fe 2)/state" 3 &&
    xenstore-write "$(fe 1)/tty" /dev/pts/7 &&
    xenstore-rm "$(fe 3)/tty" || bail "frontend values written"

"$xl" list guest1 >"$tmp/list" && cmp "$tmp/list" "$data/list-xl.txt"
ok "list prints xl's table (expected bytes)"
"$xl" channel-list "$dom" >"$tmp/list" && cmp "$tmp/list" "$data/list-xl.txt"
ok "channel-list alias, domain by id"

real_xl channel-list "$dom" >"$tmp/xl.out" 2>"$tmp/xl.err" &&
    cmp "$tmp/xl.out" "$data/list-xl.txt" ||
    { show "$tmp/xl.err" "$tmp/xl.out"; false; }
ok "the real xl channel-list prints the same bytes (devids 1-3)"
real_xl channel-list "$dom" "$dom2" >"$tmp/xl.out" 2>"$tmp/xl.err" &&
    "$xl" list "$dom" guest2 >"$tmp/list" && cmp "$tmp/xl.out" "$tmp/list"
ok "and for two domains in one call"

# The oracle: what libxenlight makes of our layout, against our JSON.
"$xl" list --json guest1 >"$tmp/list.json" &&
    python3 - "$tmp/list.json" >"$tmp/ours" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1])):
    conn = [k for k in c if k.startswith("connection.")][0].split(".")[1]
    path = c[f"connection.{conn}"].get("path", "")
    print(f"name={c['name']} connection={conn} path={path} "
          f"state={c.get('state', 0)} evtch={c.get('evtch', 0)} "
          f"rref={c.get('rref', 0)} backend_id={c.get('backend_id', 0)}")
PY
[ $? -eq 0 ] || bail "list --json read back"
(eval "$("$xenhost" env "$host" --preload)" &&
    "$out/tests/toolstack/ts_libxl_list" "$dom") >"$tmp/libxl" 2>"$tmp/libxl.err"
diff <(sort "$tmp/libxl") <(sort "$tmp/ours") >"$tmp/diff" && [ -s "$tmp/ours" ] ||
    { show "$tmp/diff" "$tmp/libxl.err"; false; }
ok "libxenlight reports the same names, connections, paths and states"

python3 - "$tmp/list.json" "$tmp" <<'PY'
import json, sys
chans = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
assert [c["devid"] for c in chans] == [1, 2, 3]
a, b, c = chans
assert a["name"] == "org.test.pty" and a["connection.pty"] == {"path": "/dev/pts/7"}
assert (a["state"], a["evtch"], a["rref"]) == (4, 17, 8)
assert a["frontend_state"] == "connected" and a["backend_state"] == "initialising"
assert a["frontend"] == "/local/domain/1/device/console/1"
assert a["backend"] == "/local/domain/0/backend/console/1/1"
assert b["connection.socket"] == {"path": tmp + "/s.sock"}
assert (b["state"], b["evtch"], b["rref"]) == (3, 18, 9)
assert c["connection.pty"] == {"path": "/NO-SUCH-PATH"}
assert (c["evtch"], c["rref"]) == (-1, -1)
assert all("bytes_to_guest" not in x for x in chans)  # no daemon: omitted
PY
ok "list --json parses back with the right values"

# --- the backend's status keys in the long listing
xenstore-write "$(be 1)/state" 4 "$(be 1)/client-connected" 1 \
    "$(be 1)/host-end" client "$(be 1)/bytes-dropped" 4096 \
    "$(be 1)/error" "ring corrupt: prod-cons 5000" \
    "$(be 2)/host-end" failed \
    "$(be 2)/host-error" "$tmp/s.sock exists and is not a socket" ||
    bail "backend status keys written"
"$xl" list -l guest1 >"$tmp/long" &&
    cmp "$tmp/long" <(sed "s|@TMP@|$tmp|" "$data/list-long.txt") ||
    { show "$tmp/long"; false; }
ok "list --long shows names, states, the host end, the backend's status keys (expected bytes)"
"$xl" list --json guest1 | python3 -c '
import json, sys
a = json.load(sys.stdin)[0]
assert a["client_connected"] is True and a["bytes_dropped"] == 4096
assert a["error"] == "ring corrupt: prod-cons 5000"
assert a["backend_state"] == "connected" and a["host_end"] == "client"
'
ok "and --json the same"

# --- a gap in the devids: each row from its own device
"$xl" detach --force guest1 2 && "$xl" list guest1 >"$tmp/list" &&
    cmp "$tmp/list" "$data/list-xl-gap.txt"
ok "with devids 1 and 3, each row is read from its own device"
real_xl channel-list "$dom" >"$tmp/xl.out" 2>/dev/null
echo "# upstream xl with the gap (reads row 1 from devid 2):"
show "$tmp/xl.out"

# --- untrusted frontend values
as_guest xenstore-write -- "$(fe 1)/state" 4x "$(fe 1)/port" -3 \
    "$(fe 1)/ring-ref" 99999999999 || bail "garbage written by the guest"
"$xl" list guest1 >"$tmp/list" &&
    grep -q '^0   0  -1    -1     -1       pty        /dev/pts/7 ' "$tmp/list" ||
    { show "$tmp/list"; false; }
ok "garbage from the guest shows as -1, not as a number"

as_guest xenstore-rm "$(fe 1)" || bail "the guest removes its FE"
"$xl" list guest1 >"$tmp/list" &&
    grep -q '^0   0  -1    -1     -1       pty        /NO-SUCH-PATH ' "$tmp/list"
ok "a frontend the guest removed lists with -1 and /NO-SUCH-PATH"

"$xl" list --json nosuchguest >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q "'nosuchguest' does not exist" "$tmp/err"
ok "a missing domain: exit 1, nothing on stdout"
"$xl" list -l --json guest1 >/dev/null 2>&1
[ $? -eq 2 ]
ok "--long with --json: usage error"
"$xl" list --help | grep -q '^Usage: xl-channel list'
ok "list --help"

# --- no DOMAIN: every domain that has channels, by domain id
"$xenhost" domain-create "$host" guest10 --domid 10 >/dev/null &&
    "$xenhost" domain-create "$host" guest9 --domid 9 >/dev/null &&
    "$xenhost" domain-create "$host" empty >/dev/null ||
    bail "more guests created"
"$xl" attach guest10 "name=org.ten,connection=pty" &&
    "$xl" attach guest9 "name=org.nine,connection=pty" &&
    "$xl" attach guest9 "name=org.nine.b,connection=socket,path=$tmp/n.sock" ||
    bail "their channels attached"
# What a toolstack that died may leave: /libxl of a domain that is gone.
xenstore-write /libxl/42/device/console/1/name org.ghost \
    /libxl/42/device/console/1/connection pty || bail "stale /libxl/42 written"
"$xl" list >"$tmp/all" && "$xl" list guest1 guest2 9 10 >"$tmp/each" &&
    cmp "$tmp/all" "$tmp/each" || { show "$tmp/all"; false; }
ok "list without DOMAIN: the table of every domain with channels, by id (9 before 10)"
[ "$(cut -c1-3 "$tmp/all" | tr -s ' \n' ' ')" = "Idx 0 1 0 0 1 0 " ]
ok "and Idx counts from 0 in each domain"
"$xl" channel-list >"$tmp/all2" && cmp "$tmp/all" "$tmp/all2"
ok "channel-list without DOMAIN too"
"$xl" list -l >"$tmp/all" && "$xl" list -l guest1 guest2 9 10 >"$tmp/each" &&
    cmp "$tmp/all" "$tmp/each" &&
    [ "$(awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$tmp/all" | paste -sd ' ')" = "1 1 2 9 9 10" ] ||
    { show "$tmp/all"; false; }
ok "list -l without DOMAIN: the same rows as naming them, by domain id"
"$xl" list --json >"$tmp/all.json" &&
    "$xl" list --json guest1 guest2 9 10 >"$tmp/each.json" &&
    cmp "$tmp/all.json" "$tmp/each.json" &&
    python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert [(x["frontend_id"], x["devid"]) for x in c] == \
    [(1, 1), (1, 3), (2, 1), (9, 1), (9, 2), (10, 1)], c
assert "org.ghost" not in [x["name"] for x in c]
' "$tmp/all.json"
ok "list --json without DOMAIN: every channel, no domain that is gone or has none"
xenstore-rm /libxl/42 && "$xl" detach --force guest1 1 &&
    "$xl" detach --force guest1 3 && "$xl" detach --force guest2 1 &&
    "$xl" detach --force guest9 1 && "$xl" detach --force guest9 2 &&
    "$xl" detach --force guest10 1 || bail "every channel detached"
"$xl" list >"$tmp/none" && [ "$(cat "$tmp/none")" = "$(head -1 "$data/list-xl.txt")" ] &&
    "$xl" list --json | python3 -c 'import json, sys; assert json.load(sys.stdin) == []'
ok "no channel anywhere: the header alone, an empty JSON array"

ts_done
