#!/usr/bin/env bash
# test_xl_parse.sh - `xl-channel parse FILE`: the channel= entries of an
# xl.cfg read with libxlutil, printed as a JSON array; every kind of bad
# config (SPEC §2) fails with exit 1, a message naming the file, the entry,
# the spec and the problem, and nothing on stdout; usage errors exit 2.
# Output: TAP. Data: tests/data/cfg/.
set -u

src=${XCH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${XCH_OUT:?XCH_OUT must name the build directory}/bin/xl-channel
data=$src/tests/data/cfg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failures=0

# report STATUS NAME [DIAGNOSTIC]: one TAP line (STATUS 0 = pass).
report() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failures=$((failures + 1))
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
        printf '# exit %s; stdout:\n' "$rc"
        sed 's/^/#   /' "$tmp/out"
        echo "# stderr:"
        sed 's/^/#   /' "$tmp/err"
    fi
}

# run ARGS...: runs xl-channel; sets rc, output in $tmp/out and $tmp/err.
run() {
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

# stderr_has TEXT...: every TEXT (fixed string) occurs in stderr.
stderr_has() {
    local t
    for t in "$@"; do
        grep -qF -- "$t" "$tmp/err" || return 1
    done
}

# expect_invalid NAME CFG TEXT...: parse CFG fails with exit 1, an
# "xl-channel: " message containing every TEXT, and an empty stdout.
expect_invalid() {
    local name=$1 cfg=$2
    shift 2
    run parse "$cfg"
    [ "$rc" -eq 1 ] && [ ! -s "$tmp/out" ] &&
        grep -q '^xl-channel: ' "$tmp/err" && stderr_has "$@"
    report $? "$name" "expected exit 1 and: $*"
}

# expect_usage NAME ARGS...: exit 2, a message on stderr, nothing on stdout.
expect_usage() {
    local name=$1
    shift
    run "$@"
    [ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/err" ]
    report $? "$name"
}

# expect_json NAME CFG PYTHON-LIST: parse CFG succeeds, prints nothing on
# stderr, and stdout is a JSON array equal to the Python literal.
expect_json() {
    local name=$1 cfg=$2 expected=$3
    run parse "$cfg"
    [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] &&
        python3 -c '
import ast, json, sys
got = json.load(open(sys.argv[1]))
want = ast.literal_eval(sys.argv[2])
if got != want:
    sys.exit("got %r\nwant %r" % (got, want))
' "$tmp/out" "$expected" 2>"$tmp/diag"
    report $? "$name" "$(cat "$tmp/diag" 2>/dev/null)"
}

# ---- valid configs ------------------------------------------------------

expect_json "valid config with several channels prints them as JSON" \
    "$data/valid.cfg" '[
    {"name": "org.qemu.guest_agent.0",
     "connection.socket": {"path": "/run/xenchannel/valid-agent.sock"}},
    {"name": "org.example.console", "connection.pty": {}},
    {"backend_domname": "driver-dom", "name": "org.example.spaced",
     "connection.pty": {}},
    {"backend_domname": "0", "devid": 5, "name": "x:y+z@w-1_2",
     "connection.socket": {"path": "/run/x.sock"}},
    {"name": "org.example.commas", "connection.pty": {}},
]'

run parse "$data/valid.cfg"
head -2 "$tmp/out" | tr '\n' '|' | grep -qx '\[|    {|'
report $? "JSON output is yajl-beautified (4-space indent)"

expect_json "channel += appends to the list" "$data/appended.cfg" '[
    {"name": "first", "connection.pty": {}},
    {"name": "second", "connection.pty": {}},
]'

expect_json "config without channel= has no channels" \
    "$data/no-channels.cfg" '[]'

expect_json "empty channel list has no channels" "$data/empty-list.cfg" '[]'

expect_json "docs/examples/demo.cfg parses" \
    "$src/docs/examples/demo.cfg" '[
    {"name": "org.qemu.guest_agent.0",
     "connection.socket": {"path": "/run/xenchannel/demo-agent.sock"}},
    {"name": "org.example.console", "connection.pty": {}},
]'

# ---- files libxlutil cannot read ----------------------------------------

expect_invalid "missing file" "$tmp/no-such.cfg" \
    "xl-channel: $tmp/no-such.cfg: cannot read: No such file or directory"

expect_invalid "directory instead of a file" "$tmp" \
    "xl-channel: $tmp: cannot read: Is a directory"

expect_invalid "syntax error passes on libxlutil's message with the line" \
    "$data/syntax-error.cfg" \
    "$data/syntax-error.cfg:4: config parsing error near \`memory'"

# ---- channel= of the wrong shape ----------------------------------------

expect_invalid "single string instead of a list" "$data/single-string.cfg" \
    "$data/single-string.cfg: channel= must be a list" \
    "not the single string \"connection=pty,name=a\""

expect_invalid "list inside the channel list" "$data/nested-list.cfg" \
    "$data/nested-list.cfg: channel[1] is a list, not a spec string"

expect_invalid "duplicate name" "$data/duplicate-name.cfg" \
    "$data/duplicate-name.cfg: channel[2] \"connection=socket,path=/run/a.sock,name=org.example.a\": name \"org.example.a\" is already used by channel[0]"

expect_invalid "duplicate explicit devid" "$data/duplicate-devid.cfg" \
    "$data/duplicate-devid.cfg: channel[2] \"connection=pty,name=c,devid=3\": devid 3 is already used by channel[0]"

# ---- every invalid spec, as the second entry of a config ----------------

# write_cfg FILE QUOTED-SPEC: a config whose channel[1] is the spec, given
# as an xl.cfg string literal (with its quotes).
write_cfg() {
    printf 'name = "t"\nchannel = [\n    "connection=pty,name=ok",\n    %s,\n]\n' \
        "$2" >"$1"
}

i=0
while IFS='|' read -r name spec problem; do
    case $name in '' | '#'*) continue ;; esac
    i=$((i + 1))
    cfg=$tmp/invalid-$i.cfg
    write_cfg "$cfg" "\"$spec\""
    expect_invalid "invalid spec: $name" "$cfg" \
        "xl-channel: $cfg: channel[1] \"$spec\": $problem"
done <"$data/invalid-specs.txt"

cfg=$tmp/control.cfg
write_cfg "$cfg" "\"connection=socket,name=x,path=/a$(printf '\t')b\""
expect_invalid "invalid spec: control character in a value (escaped)" \
    "$cfg" "xl-channel: $cfg: channel[1] \"connection=socket,name=x,path=/a\\x09b\": value \"/a\\x09b\" of path contains a control character"

cfg=$tmp/quote.cfg
write_cfg "$cfg" "'connection=pty,name=x,backend=a\"b'"
expect_invalid "invalid spec: double quote in a value" "$cfg" \
    "xl-channel: $cfg: channel[1] \"connection=pty,name=x,backend=a\\\"b\": value \"a\\\"b\" of backend contains a '\"'"

# ---- usage and help -------------------------------------------------------

expect_usage "no command: exit 2"
expect_usage "unknown command: exit 2" frobnicate
expect_usage "unknown top-level option: exit 2" --frobnicate
expect_usage "parse without FILE: exit 2" parse
expect_usage "parse with two FILEs: exit 2" parse "$data/valid.cfg" \
    "$data/valid.cfg"
expect_usage "parse with an unknown option: exit 2" parse --frobnicate \
    "$data/valid.cfg"
expect_usage "help for an unknown command: exit 2" help frobnicate

run --help
[ "$rc" -eq 0 ] && grep -q '^Usage: xl-channel ' "$tmp/out" &&
    grep -q '^  parse ' "$tmp/out" && [ ! -s "$tmp/err" ]
report $? "--help lists the commands, exit 0"

run -h
[ "$rc" -eq 0 ] && grep -q '^Usage: xl-channel ' "$tmp/out"
report $? "-h prints the usage, exit 0"

run parse --help
[ "$rc" -eq 0 ] && grep -q '^Usage: xl-channel parse ' "$tmp/out" &&
    [ ! -s "$tmp/err" ]
report $? "parse --help, exit 0"

run help parse
[ "$rc" -eq 0 ] && grep -q '^Usage: xl-channel parse ' "$tmp/out"
report $? "help parse, exit 0"

echo "1..$n"
[ "$failures" -eq 0 ]
