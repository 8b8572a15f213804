#!/usr/bin/env bash
# Concurrent attachers and the EAGAIN restart path (tests/toolstack/
# ts_race.c), then the same race through the command: seven `xl-channel
# attach` processes at once get devids 1-7, each channel under its name.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
dom=$("$xenhost" domain-create "$host" guest1) || bail "guest created"

# ts_race prints its own TAP lines; renumber them into ours.
while IFS= read -r line; do
    case $line in
    "ok "* | "not ok "*)
        desc=${line#* - }
        [ "${line%% *}" = ok ]
        ok "$desc"
        ;;
    1..*) ;;
    *) echo "$line" ;;
    esac
done < <("$out/tests/toolstack/ts_race" "$dom" 2>&1)

# The command: seven processes held back by a lock until all are started
# (how many of them really overlap does not matter for what is checked).
exec 5>"$tmp/go"
flock -x 5
pids=()
for i in 1 2 3 4 5 6 7; do
    XENCHANNEL_DEBUG=1 flock -s "$tmp/go" \
        "$xl" attach guest1 "name=cmd.$i,connection=pty" 2>"$tmp/attach$i.err" &
    pids+=($!)
done
flock -u 5
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
[ $status -eq 0 ]
ok "seven concurrent xl-channel attach succeed"
"$xl" list --json guest1 >"$tmp/list.json" &&
    python3 - "$tmp/list.json" <<'PY'
import json, sys
chans = json.load(open(sys.argv[1]))
devids = sorted(c["devid"] for c in chans)
names = sorted(c["name"] for c in chans)
assert devids == list(range(1, 8)), devids
assert names == ["cmd.%d" % i for i in range(1, 8)], names
PY
ok "they hold devids 1-7 and all seven names"
retries=$(cat "$tmp"/attach*.err | sed -n 's/.*attach: \([0-9]*\) transaction retries/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
echo "# xl-channel attach: $retries transaction restarts in total (XENCHANNEL_DEBUG)"
[ "$(grep -c 'transaction retries' "$tmp"/attach*.err | awk -F: '{ s += $2 } END { print s }')" = 7 ]
ok "each attach reports its retries with XENCHANNEL_DEBUG"

ts_done
