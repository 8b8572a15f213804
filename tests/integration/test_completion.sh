#!/usr/bin/env bash
# The bash completion of xl-channel (xl-cmd/xl-channel.bash), sourced into
# this shell and called as bash calls it (COMP_WORDS split at ':' and '='
# as bash splits them, COMP_CWORD): commands and aliases, options, domain
# names and channel names from the testbed's real xenstored and xenstore
# tools, spec keys, files; `xl list` when the xenstore tools are missing;
# nothing, quietly, when xenstore cannot be read. And its lists of
# commands and options are those of xl-channel --help.
. "${XCH_SRC:?XCH_SRC not set}/tests/toolstack/lib.sh"
export LC_ALL=C # the order of sort

# shellcheck source=xl-cmd/xl-channel.bash
. "$src/xl-cmd/xl-channel.bash"
[ "$(complete -p xl-channel)" = "complete -F _xl_channel xl-channel" ]
ok "sourcing it registers _xl_channel for xl-channel"

comp() { # WORD...: the last one is completed; prints the replies sorted
    COMP_WORDS=(xl-channel "$@")
    COMP_CWORD=$#
    COMP_LINE="xl-channel $*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _xl_channel 2>>"$tmp/comp.err" || echo "# _xl_channel returned $?"
    [ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' '
}
is() { # EXPECTED WORD...
    local expect=$1 got
    shift
    got=$(comp "$@")
    [ "$got" = "$expect" ] && return 0
    echo "# completing [$*]: got [$got], want [$expect]"
    return 1
}

all_cmds="apply attach channel-attach channel-detach channel-list create detach events help list parse version"
is "$all_cmds" ""
ok "commands and their xl aliases"
is "channel-attach channel-detach channel-list" channel-
ok "the channel-* aliases"
is "detach" de
ok "a command from its start"
is "--help --version -h" -
ok "global options"
is "$all_cmds" --help ""
ok "a command after a global option"
is "--help --json --long -h -l" list -
ok "list's options"
is "--force --help --timeout -f -h -t" detach -
ok "detach's options"
is "--help --json -h" events -
ok "events' options"
is "" version ""
ok "version takes no argument"
is "$all_cmds" help ""
ok "help COMMAND"

ts_start
"$xenhost" domain-create "$host" guest1 >/dev/null &&
    "$xenhost" domain-create "$host" guest2 >/dev/null || bail "guests created"
"$xl" attach guest1 "name=org.test.a,connection=pty" &&
    "$xl" attach guest1 "name=org.test:b,connection=socket,path=$tmp/b.sock" &&
    "$xl" attach guest2 "name=org.other.c,connection=pty" ||
    bail "channels attached"

is "Domain-0 guest1 guest2" list ""
ok "list: domain names from xenstore"
is "guest1 guest2" list -l gu
ok "list -l: names starting with the word"
is "Domain-0 guest1 guest2" list guest1 ""
ok "list: more than one domain"
is "guest1 guest2" events --json g
ok "events: domain names"
is "guest1" attach guest1
ok "attach: the domain"
is "backend= connection= devid= limit= name= path=" attach guest1 ""
ok "attach DOMAIN: the spec keys"
# bash splits "connection=" into "connection" "=": the reply replaces
# what follows the '='.
is "pty socket" attach guest1 connection =
ok "attach: connection= values"
is "x,connection=" attach guest1 name = x,co
ok "attach: a key after a comma"
is "guest1 guest2" attach guest1 name = x,backend = g
ok "attach: backend= domain names"
is "guest1 guest2" apply gu
ok "apply: the domain"

is "org.test.a org.test:b" detach guest1 ""
ok "detach DOMAIN: the names of its channels"
is "org.test.a org.test:b" channel-detach -f guest1 org.t
ok "channel-detach, after an option"
is "org.test.a org.test:b" detach --timeout 5 guest1 ""
ok "an option's value is not the domain"
is "" detach --timeout ""
ok "nothing for the value of --timeout"
is "org.test.a org.test:b" detach 1 ""
ok "a domain given by id"
is "org.other.c" detach guest2 ""
ok "another domain's channels"
is "1" detach guest1 1
ok "detach: devids when the word is a number"
# bash splits "org.test:" into "org.test" ":": the reply is what follows.
is "b" detach guest1 org.test :
ok "a name with ':' after the ':'"
is "b" detach guest1 org.test : b
ok "a name with ':' within its last part"
is "" detach guest1 org.test.a ""
ok "nothing after the channel"
is "" detach nosuchguest ""
ok "nothing for a domain that does not exist"

mkdir -p "$tmp/cfgs" && : >"$tmp/cfgs/guest1.cfg"
is "$tmp/cfgs/guest1.cfg" apply guest1 "$tmp/cfgs/g"
ok "apply DOMAIN: files"
is "$tmp/cfgs/guest1.cfg" parse "$tmp/cfgs/g"
ok "parse: files"
is "$tmp/cfgs/guest1.cfg" create -q "$tmp/cfgs/g"
ok "create: files, after its options"
is "--help -c -h -p -q" create -
ok "create's options"
is "" create "$tmp/cfgs/guest1.cfg" ""
ok "create FILE: nothing for the KEY=VALUE lines"

[ ! -s "$tmp/comp.err" ] || { show "$tmp/comp.err"; false; }
ok "nothing on stderr"

# xenstored unreachable: no candidates, nothing printed.
: >"$tmp/comp.err"
(export XENSTORED_PATH=$tmp/nowhere && is "" list "" &&
    is "" detach guest1 "") && [ ! -s "$tmp/comp.err" ]
ok "no xenstored: no domain or channel, nothing on stderr"

# No xenstore tools: `xl list` (here a stand-in) gives the names.
# (sort and paste are the test's)
mkdir -p "$tmp/bin"
for t in awk sort paste; do ln -s "$(command -v $t)" "$tmp/bin/$t"; done
cat >"$tmp/bin/xl" <<'XL'
#!/bin/sh
[ "$1" = list ] || exit 1
printf '%s\n' "Name                                        ID   Mem VCPUs	State	Time(s)" \
    "Domain-0                                     0  1024     2     r-----      10.0" \
    "web1                                         5   512     1     -b----       1.0"
XL
chmod +x "$tmp/bin/xl"
(PATH=$tmp/bin && is "Domain-0 web1" list "")
ok "without xenstore tools: the names from xl list"
rm "$tmp/bin/xl"
(PATH=$tmp/bin && is "" list "" && is "" detach web1 "")
ok "without xenstore tools or xl: nothing"

# The lists are those of the command: every command and alias of --help,
# every option of each usage text is completed, and every completed
# option is accepted by its command.
"$xl" --help | sed -n '/^Commands:/,/^$/p' | awk -F '  +' '/^  [a-z]/ { print $2 }' |
    tr -s ', ' '\n' | sort | paste -sd ' ' >"$tmp/help-cmds"
[ "$(cat "$tmp/help-cmds")" = "$all_cmds" ] || { show "$tmp/help-cmds"; false; }
ok "the commands are those of xl-channel --help"
opts_of_usage() { # COMMAND: the options its --help names
    "$xl" "$1" --help | sed -n '1p; /^Options:/,/^$/p' |
        grep -oE '(^|[][ |,])--?[a-z][a-z-]*' | grep -oE -- '--?[a-z-]+' |
        sort -u
}
for c in $all_cmds; do
    # shellcheck disable=SC2046
    diff <(opts_of_usage "$c") <(printf '%s\n' $(_xl_channel_options "$c") | sort -u) \
        >"$tmp/opts.diff" || { echo "# $c:" && show "$tmp/opts.diff" && false; }
    ok "$c: the options of its --help are completed"
    refused=0
    for o in $(_xl_channel_options "$c"); do
        if _xl_channel_takes_value "$c" "$o"; then
            "$xl" "$c" "$o" 1 --help >/dev/null
        else
            "$xl" "$c" "$o" --help >/dev/null
        fi || { echo "# $c $o refused" && refused=1; }
    done
    [ $refused = 0 ]
    ok "$c: every option completed is one it accepts"
done

ts_done
