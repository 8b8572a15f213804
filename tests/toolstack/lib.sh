# shellcheck shell=bash disable=SC2034 # the variables are for the tests
# Shared by tests/integration/test_toolstack_*.sh (sourced): TAP output, a
# private simulated Xen host, and xenstore dumps to compare.
#
# After sourcing: $out $src $tmp $host $xl (xl-channel), dom0's xenstore
# environment exported (ts_start), and an EXIT trap that stops the
# processes whose pids are in ts_pids and the testbed, and removes $tmp.
set -u
out=${XCH_OUT:?XCH_OUT not set}
src=${XCH_SRC:?XCH_SRC not set}
xenhost=$out/testbed/xenhost
xl=$out/bin/xl-channel
data=$src/tests/data/toolstack

tmp=$(mktemp -d)
host=$tmp/host
mkdir -p "$host"
n=0
failed=0
ts_pids=()

# shellcheck disable=SC2317 # called by the EXIT trap
ts_cleanup() {
    local pid
    for pid in "${ts_pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    "$xenhost" stop "$host" 2>/dev/null
    rm -rf "$tmp"
}
trap ts_cleanup EXIT

ok() { # DESCRIPTION: the last command's status
    local rc=$?
    n=$((n + 1))
    if [ $rc -eq 0 ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        failed=1
    fi
    return 0
}

bail() {
    echo "not ok $((n + 1)) - $1"
    for f in "$tmp"/*.err "$host"/xenstored.log; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
    done
    exit 1
}

ts_done() {
    echo "1..$n"
    exit $failed
}

# Shows a file in the TAP output (as comments).
show() {
    sed "s|^|# |" "$@"
}

# Starts the testbed; dom0's environment stays exported.
ts_start() {
    eval "$("$xenhost" start "$host")" || bail "testbed starts"
}

# Every node under / with value and permissions, in a stable order: what
# must not change when a command fails.
dump_all() {
    xenstore-ls -f -p / | sort
}

# Node $1 and its subtree, one "path = "value"   (perms)" line each.
dump_tree() {
    xenstore-ls -f -p "$(dirname "$1")" | grep -E "^$1( |/)" | sort
}

# The template file $1 with @D@ @B@ @N@ @NAME@ @PATH@ replaced.
expected() { # FILE D B N NAME [PATH]
    sed -e "s|@D@|$2|g" -e "s|@B@|$3|g" -e "s|@N@|$4|g" -e "s|@NAME@|$5|g" \
        -e "s|@PATH@|${6:-}|g" "$1" | sort
}

# Reads lines from fd $1 until one equals $2 (bounded: a hung program
# fails the test rather than hanging it).
wait_line() {
    local line
    while IFS= read -r -t 60 line <&"$1"; do
        echo "# <$1> $line"
        [ "$line" = "$2" ] && return 0
    done
    echo "# no line '$2' on fd $1"
    return 1
}
