#!/usr/bin/env bash
# `xl-channel apply DOMAIN FILE`: every channel= entry of an xl.cfg is
# attached; an invalid entry attaches nothing; a failing attach removes the
# channels this run attached, so xenstore is as before.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"

ts_start
"$xenhost" domain-create "$host" guest1 >/dev/null || bail "guest created"

"$xl" apply guest1 "$data/apply-three.cfg"
ok "apply of a config with three channels"
"$xl" list --json guest1 | python3 -c '
import json, sys
chans = json.load(sys.stdin)
got = [(c["devid"], c["name"], list(k for k in c if k.startswith("connection."))[0])
       for c in chans]
assert got == [(1, "org.cfg.a", "connection.pty"),
               (2, "org.cfg.b", "connection.socket"),
               (5, "org.cfg.c", "connection.pty")], got
assert chans[1]["connection.socket"]["path"] == "/run/xch-test/b.sock"'
ok "all three attached with their devids, names and connections"

before=$(dump_all)
"$xl" apply guest1 "$data/apply-conflict.cfg" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ]
ok "apply with a name already in use fails"
grep -q "apply-conflict.cfg: channel\[1\] 'org.cfg.b': .*already has a channel named 'org.cfg.b'" "$tmp/err" &&
    grep -q "removed the 1 channel attached before it" "$tmp/err" ||
    { show "$tmp/err"; false; }
ok "the error names the file, the entry and the reason, and the rollback"
[ "$before" = "$(dump_all)" ] || { diff <(echo "$before") <(dump_all) | show; false; }
ok "the channel attached before the failure was removed: xenstore as before"

"$xl" apply guest1 "$data/apply-invalid.cfg" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q 'apply-invalid.cfg: channel\[2\]' "$tmp/err" ||
    { show "$tmp/err"; false; }
ok "an invalid entry is named (file and position)"
[ "$before" = "$(dump_all)" ]
ok "and nothing of that config was attached"

"$xl" apply nosuchguest "$data/apply-three.cfg" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "'nosuchguest' does not exist" "$tmp/err" &&
    [ "$before" = "$(dump_all)" ]
ok "apply to a missing domain: clear error, nothing written"
"$xl" apply guest1 2>/dev/null
[ $? -eq 2 ]
ok "apply without FILE: usage error"

ts_done
