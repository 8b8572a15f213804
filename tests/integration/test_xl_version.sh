#!/usr/bin/env bash
# xl-channel --version and `xl-channel version`: one line naming the
# program and the library with the build's version (the Makefile's
# VERSION), exit status 0, nothing on stderr; `version` takes no argument.
. "${XCH_SRC:?XCH_SRC not set}/tests/lib/tap.sh"
xl=${XCH_OUT:?XCH_OUT not set}/bin/xl-channel
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(sed -n 's/^VERSION *:= *//p' "$XCH_SRC/Makefile")
[ -n "$version" ]
ok "the Makefile has a VERSION ($version)"
expect="xl-channel $version (libxenchannel $version)"

"$xl" --version >"$tmp/out" 2>"$tmp/err" && [ "$(cat "$tmp/out")" = "$expect" ] &&
    [ "$(wc -l <"$tmp/out")" = 1 ] && [ ! -s "$tmp/err" ] ||
    show "$tmp/out" "$tmp/err"
ok "--version prints '$expect', exit 0"
"$xl" version >"$tmp/out2" 2>"$tmp/err" && cmp -s "$tmp/out" "$tmp/out2" &&
    [ ! -s "$tmp/err" ]
ok "the version command prints the same"
"$xl" --version list guest1 >"$tmp/out2" && cmp -s "$tmp/out" "$tmp/out2"
ok "--version before a command: the version, nothing else runs"
"$xl" version extra >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q '^Usage: xl-channel version' "$tmp/err"
ok "version with an argument: usage error (2)"
"$xl" version --help | grep -q '^Usage: xl-channel version'
ok "version --help"
"$xl" --help | grep -q '^Usage: xl-channel \[-h|--help\] \[--version\] COMMAND' &&
    "$xl" --help | grep -qE '^  version +show the version$'
ok "--help names --version and the version command"
tap_done
