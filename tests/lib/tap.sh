# shellcheck shell=bash
# TAP output and bounded waits, sourced by the shell tests.
#
#   ok DESCRIPTION        a result from the last command's status
#   bail DESCRIPTION      a failed result, the logs (tap_logs), the plan, exit
#   tap_done              the plan line, then exit with the tests' status
#   show FILE...          files as TAP comments
#   wait_line FD LINE     reads FD until LINE (bounded)
#   wait_lines FD LINE... reads FD until every LINE was seen, in any order
#
# Every test ends with a plan ("1..N") that tests/run-tests checks against
# the results it counted. A sourcing library may define tap_logs to print
# its logs when a test bails or fails.
#
# Waits are bounded (TAP_WAIT seconds per line, default 60) so that a hung
# program fails its test instead of hanging it. Only wait for an order the
# product promises: where events of several channels or processes may
# arrive in any order, wait_lines.
tap_n=0
tap_failed=0
TAP_WAIT=${TAP_WAIT:-60}

ok() { # DESCRIPTION: the last command's status
    local rc=$?
    tap_n=$((tap_n + 1))
    if [ $rc -eq 0 ]; then
        echo "ok $tap_n - $1"
    else
        echo "not ok $tap_n - $1"
        tap_failed=1
    fi
    return 0
}

bail() { # DESCRIPTION
    tap_n=$((tap_n + 1))
    echo "not ok $tap_n - $1"
    declare -F tap_logs >/dev/null && tap_logs
    echo "1..$tap_n"
    exit 1
}

tap_done() {
    [ $tap_failed -eq 0 ] || ! declare -F tap_logs >/dev/null || tap_logs
    echo "1..$tap_n"
    exit $tap_failed
}

show() { # FILE...
    sed "s|^|# |" "$@"
}

wait_line() { # FD LINE
    local line
    while IFS= read -r -t "$TAP_WAIT" line <&"$1"; do
        echo "# <$1> $line"
        [ "$line" = "$2" ] && return 0
    done
    echo "# no line '$2' on fd $1"
    return 1
}

wait_lines() { # FD LINE...
    local fd=$1 line i
    shift
    local -a want=("$@")
    while [ ${#want[@]} -gt 0 ] &&
        IFS= read -r -t "$TAP_WAIT" line <&"$fd"; do
        echo "# <$fd> $line"
        for i in "${!want[@]}"; do
            [ "$line" = "${want[$i]}" ] && unset "want[$i]"
        done
    done
    [ ${#want[@]} -eq 0 ] && return 0
    echo "# not seen on fd $fd: ${want[*]}"
    return 1
}
