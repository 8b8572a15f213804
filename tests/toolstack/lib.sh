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
. "$src/tests/lib/tap.sh"
xenhost=$out/testbed/xenhost
xl=$out/bin/xl-channel
data=$src/tests/data/toolstack

tmp=$(mktemp -d)
host=$tmp/host
mkdir -p "$host"
ts_pids=()

# shellcheck disable=SC2317 # called by the EXIT trap
ts_cleanup() {
    local i
    # The last started first: guests before the backends they wait for.
    for ((i = ${#ts_pids[@]} - 1; i >= 0; i--)); do
        kill "${ts_pids[$i]}" 2>/dev/null && wait "${ts_pids[$i]}" 2>/dev/null
    done
    "$xenhost" stop "$host" 2>/dev/null
    rm -rf "$tmp"
}
trap ts_cleanup EXIT

tap_logs() {
    for f in "$tmp"/*.err "$host"/xenstored.log; do
        [ -f "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
    done
}

ts_done() { tap_done; }

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

