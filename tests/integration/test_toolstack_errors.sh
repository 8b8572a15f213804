#!/usr/bin/env bash
# Attach errors: a missing domain, an invalid spec, a duplicate name, a taken
# devid, an eighth channel without explicit devid, a missing backend domain.
# Each is a clear message naming the input, exit status 1 (2 for usage), and
# xenstore exactly as before (a full dump with permissions compared).
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"
"$xl" attach guest1 "name=org.test.one,connection=pty" ||
    bail "a first channel attached"

# Runs xl-channel with $2...; passes if it exits with $1, prints on stderr
# a line matching the regular expression in $msg, nothing on stdout, and
# xenstore did not change.
refused() {
    local want=$1 rc
    shift
    dump_all >"$tmp/before"
    "$xl" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    dump_all >"$tmp/after"
    if [ $rc -ne "$want" ] || [ -s "$tmp/out" ] ||
        ! grep -Eq -- "$msg" "$tmp/err" ||
        ! cmp -s "$tmp/before" "$tmp/after"; then
        echo "# exit $rc (want $want); stderr:"
        show "$tmp/err" "$tmp/out"
        diff "$tmp/before" "$tmp/after" | show
        return 1
    fi
    echo "# $(head -n 1 "$tmp/err")"
}

msg="domain 'nosuchguest' does not exist"
refused 1 attach nosuchguest "name=x,connection=pty"
ok "attach to a missing domain (name): clear error, nothing written"
msg="domain '77' does not exist"
refused 1 attach 77 "name=x,connection=pty"
ok "attach to a missing domain (id): clear error, nothing written"
msg='invalid channel spec "name=x,connection=tcp".*tcp'
refused 1 attach guest1 "name=x,connection=tcp"
ok "invalid connection: the spec and the value are named"
long=$("$xenhost" domain-create "$host" "guest-with-a-name-long-enough-to-make-the-socket-path-too-long") ||
    bail "a guest with a long name"
msg="the socket path made for channel 'org.test.a-longer-channel-name' will not do .*too long.*give it a path="
refused 1 attach "$long" "connection=socket,name=org.test.a-longer-channel-name"
ok "a socket without a path whose made path is too long: refused, naming why"
msg="--socket-dir relative: path \"relative\" is not absolute"
refused 2 attach --socket-dir relative guest1 "name=x,connection=socket"
ok "--socket-dir must be an absolute path"
msg='invalid channel spec "name=a/b,connection=pty"'
refused 1 attach guest1 "name=a/b,connection=pty"
ok "invalid name refused"
msg="already has a channel named 'org.test.one'"
refused 1 attach guest1 "name=org.test.one,connection=socket,path=/run/x"
ok "duplicate name refused"
msg="already has a console with devid 1"
refused 1 attach guest1 "name=org.test.two,connection=pty,devid=1"
ok "taken devid refused"
msg="devid 10 ends in 0: a Linux guest .* never probes"
refused 1 attach guest1 "name=org.test.ten,connection=pty,devid=10"
ok "a devid ending in 0 refused (Linux never probes it)"
msg="devid 11 ends in the same digit as devid 1 of domain $dom"
refused 1 attach guest1 "name=org.test.eleven,connection=pty,devid=11"
ok "a devid sharing its last digit with another console's refused"
msg="backend domain 'nosuchdriver' not found"
refused 1 attach guest1 "name=org.test.two,connection=pty,backend=nosuchdriver"
ok "missing backend domain refused"
msg="backend domain '99' not found"
refused 1 attach guest1 "name=org.test.two,connection=pty,backend=99"
ok "missing backend domain (id) refused"
msg="expects DOMAIN and SPEC"
refused 2 attach guest1
ok "missing argument: usage error, exit 2"
msg="unrecognized option"
refused 2 attach --bogus guest1 "name=x,connection=pty"
ok "unknown option: usage error, exit 2"

for i in 2 3 4 5 6 7; do
    "$xl" attach guest1 "name=org.test.$i,connection=pty" || break
done
[ "$(xenstore-list "/libxl/$dom/device/console" | sort -n | tr '\n' ' ')" = \
    "1 2 3 4 5 6 7 " ]
ok "seven channels take devids 1-7"
msg="no free devid in 1-7.*devid=N"
refused 1 attach guest1 "name=org.test.8,connection=pty"
ok "an eighth channel without devid: clear error, nothing written"
"$xl" attach guest1 "name=org.test.8,connection=pty,devid=8" 2>"$tmp/err" &&
    grep -q "warning: devid 8" "$tmp/err" &&
    [ "$(xenstore-read "/libxl/$dom/device/console/8/name")" = org.test.8 ]
ok "an eighth channel with devid=8 is attached, with a warning"

# --- automatic devids skip a last digit an explicit devid took
dom2=$("$xenhost" domain-create "$host" guest2) || bail "second guest created"
"$xl" attach guest2 "name=org.test.a,connection=pty,devid=12" &&
    "$xl" attach guest2 "name=org.test.b,connection=pty" &&
    "$xl" attach guest2 "name=org.test.c,connection=pty" &&
    [ "$(xenstore-list "/libxl/$dom2/device/console" | sort -n |
        tr '\n' ' ')" = "1 3 12 " ]
ok "with devid 12 taken, automatic devids are 1 and 3 (not 2)"

# --- detach errors
msg="has no channel named 'nosuch'"
refused 1 detach guest1 nosuch
ok "detach of an unknown name: clear error"
msg="has no channel with devid 9"
refused 1 detach guest1 9
ok "detach of an unknown devid: clear error"
msg="devid"
refused 1 detach guest1 0
ok "detach of devid 0 (the primary console) refused"
msg="invalid timeout 'soon'"
refused 2 detach --timeout soon guest1 1
ok "detach with a bad timeout: usage error"
msg="domain 'nosuchguest' does not exist"
refused 1 list guest1 nosuchguest
ok "list with one missing domain prints nothing, exit 1"

ts_done
