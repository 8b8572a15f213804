#!/usr/bin/env bash
# Turn the serial log of a boot into TAP for tests/run-tests.
#
#   serial2tap.sh SCENARIOS LOG
#
# SCENARIOS is the dom0 script whose rx_test lines declare the tests (id,
# description), in order; every one of them gets a TAP line: "ok" when dom0
# reported "RXT ok ID", "not ok" when it reported a failure or never got
# there (a hung or crashed boot). A failed test's part of the log (from
# "RXT begin ID" to its result) follows as TAP comments, at most 80 lines.
set -eu
scen=$1
log=$2
clean=$(mktemp)
trap 'rm -f "$clean"' EXIT
tr -d '\r' <"$log" >"$clean" 2>/dev/null || true

mapfile -t ids < <(sed -n 's/^ *rx_test \([a-z0-9_]*\) [0-9]* "\([^"]*\)".*/\1/p' "$scen")
mapfile -t descs < <(sed -n 's/^ *rx_test \([a-z0-9_]*\) [0-9]* "\([^"]*\)".*/\2/p' "$scen")
echo "1..${#ids[@]}"
ended=0
grep -q '^RX: RX-END' "$clean" && ended=1
fails=0
for i in "${!ids[@]}"; do
    id=${ids[$i]}
    n=$((i + 1))
    res=$(grep -E "^RXT (ok|not ok) $id - " "$clean" | tail -n 1 || true)
    case $res in
    "RXT ok $id - "*)
        echo "ok $n - $id: ${res#RXT ok "$id" - }"
        continue
        ;;
    "RXT not ok $id - "*)
        echo "not ok $n - $id: ${res#RXT not ok "$id" - }"
        ;;
    *)
        echo "not ok $n - $id: ${descs[$i]} # not reached"
        ;;
    esac
    fails=$((fails + 1))
    awk -v id="$id" '$0 ~ "^RXT begin " id " " { on = 1 }
                     on { print }
                     on && $0 ~ "^RXT (ok|not ok) " id " - " { exit }' \
        "$clean" | tail -n 80 | sed 's/^/# /'
done
if [ $ended -eq 0 ]; then
    echo "# the boot did not end normally; the last lines of the serial log:"
    tail -n 60 "$clean" | sed 's/^/# /'
fi
echo "# serial log: $log"
[ $fails -eq 0 ] && [ $ended -eq 1 ]
