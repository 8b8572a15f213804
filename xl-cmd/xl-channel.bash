# bash completion for xl-channel(1)                        -*- shell-script -*-
#
# Installed as $(PREFIX)/share/bash-completion/completions/xl-channel
# (bash-completion loads it on first use); without bash-completion,
# source it from ~/.bashrc. It needs nothing but bash.
#
# Completes commands and their xl spellings, each command's options,
# domain names, channel names of a domain after `detach DOMAIN`, spec
# keys after `attach DOMAIN`, and files where a command reads one (after
# `create FILE`, its KEY=VALUE lines are left to the user). Domain
# and channel names are read from xenstore (xenstore-list, xenstore-read:
# no hypervisor call); without the xenstore tools, domain names come from
# `xl list`. Whatever fails (not root, no xenstored) completes nothing and
# prints nothing.
#
# The commands and options below follow `xl-channel --help` and each
# `xl-channel COMMAND --help`; tests/integration/test_completion.sh
# compares them.

_xl_channel_commands=(parse list channel-list attach channel-attach detach
    channel-detach apply create events help version)

# The options of COMMAND, one a word; those that take a value end in '='
# in the second list.
_xl_channel_options() { # COMMAND
    case $1 in
    list | channel-list) echo "-h --help -l --long --json" ;;
    detach | channel-detach) echo "-h --help -f --force -t --timeout" ;;
    events) echo "-h --help --json" ;;
    attach | channel-attach | apply) echo "-h --help --socket-dir" ;;
    create) echo "-h --help -q -c -p" ;;
    parse | help | version)
        echo "-h --help" ;;
    esac
}
_xl_channel_takes_value() { # COMMAND OPTION
    case $1:$2 in
    detach:-t | detach:--timeout | channel-detach:-t | \
        channel-detach:--timeout) return 0 ;;
    attach:--socket-dir | channel-attach:--socket-dir | apply:--socket-dir)
        return 0 ;;
    esac
    return 1
}

# Domain names, one a line.
_xl_channel_domains() {
    local -a ids paths
    local out p
    if command -v xenstore-list >/dev/null 2>&1; then
        mapfile -t ids < <(xenstore-list /local/domain 2>/dev/null)
        [ ${#ids[@]} -gt 0 ] || return 0
        paths=("${ids[@]/#//local/domain/}")
        paths=("${paths[@]/%//name}")
        # One call; one per domain only when a domain went away meanwhile.
        if ! out=$(xenstore-read "${paths[@]}" 2>/dev/null); then
            out=$(for p in "${paths[@]}"; do
                xenstore-read "$p" 2>/dev/null
            done)
        fi
        [ -n "$out" ] && printf '%s\n' "$out"
    elif command -v xl >/dev/null 2>&1; then
        xl list 2>/dev/null | awk 'NR > 1 { print $1 }'
    fi
    return 0
}

# The id of domain DOMAIN (a name or an id).
_xl_channel_domid() { # DOMAIN
    local id
    case $1 in
    '') return 1 ;;
    *[!0-9]*) ;;
    *)
        echo "$1"
        return 0
        ;;
    esac
    command -v xenstore-list >/dev/null 2>&1 || return 1
    for id in $(xenstore-list /local/domain 2>/dev/null); do
        if [ "$(xenstore-read "/local/domain/$id/name" 2>/dev/null)" = "$1" ]; then
            echo "$id"
            return 0
        fi
    done
    return 1
}

# The names of the channels of domain DOMID, one a line; with
# WITH_DEVIDS, their devids too.
_xl_channel_names() { # DOMID [WITH_DEVIDS]
    local dir=/libxl/$1/device/console dev name
    command -v xenstore-list >/dev/null 2>&1 || return 0
    for dev in $(xenstore-list "$dir" 2>/dev/null); do
        # The primary console (devid 0) has no name: not a channel.
        name=$(xenstore-read "$dir/$dev/name" 2>/dev/null) || continue
        [ -n "$name" ] || continue
        echo "$name"
        [ -n "${2:-}" ] && echo "$dev"
    done
    return 0
}

# COMPREPLY: the candidates (whole words) that start with $full, less
# $strip, the part of the word bash does not replace (it splits words
# at ':' and '=').
_xl_channel_reply() { # CANDIDATE...
    local c
    for c in "$@"; do
        [[ $c == "$full"* ]] && COMPREPLY+=("${c#"$strip"}")
    done
}

_xl_channel() {
    local -a words=() args=() cands=()
    local i w raw prev_break=0 cmd="" full tail strip skip=0 nopts=0
    COMPREPLY=()

    # Join the pieces bash made of a word at ':' and '=' (COMP_WORDBREAKS):
    # a piece made only of those characters belongs to its neighbours.
    for ((i = 1; i <= COMP_CWORD; i++)); do
        raw=${COMP_WORDS[i]}
        if [[ -n $raw && -z ${raw//[:=]/} ]]; then
            if [ ${#words[@]} -gt 0 ]; then
                words[${#words[@]} - 1]+=$raw
            else
                words+=("$raw")
            fi
            prev_break=1
        elif [ $prev_break = 1 ] && [ ${#words[@]} -gt 0 ]; then
            words[${#words[@]} - 1]+=$raw
            prev_break=0
        else
            words+=("$raw")
            prev_break=0
        fi
    done
    [ ${#words[@]} -gt 0 ] || words=("")
    full=${words[${#words[@]} - 1]}
    # What bash replaces: the current piece, or nothing after a ':' or '='.
    raw=${COMP_WORDS[COMP_CWORD]}
    if [[ -n $raw && -z ${raw//[:=]/} ]]; then
        tail=""
    else
        tail=$raw
    fi
    strip=${full:0:${#full}-${#tail}}

    # The command, then its arguments (options and their values left out).
    for ((i = 0; i < ${#words[@]} - 1; i++)); do
        w=${words[i]}
        if [ -z "$cmd" ]; then
            case $w in
            -*) ;;
            *) cmd=$w ;;
            esac
            continue
        fi
        if [ $skip = 1 ]; then
            skip=0
        elif [ $nopts = 0 ] && [ "$w" = -- ]; then
            nopts=1
        elif [ $nopts = 0 ] && [[ $w == -* ]]; then
            _xl_channel_takes_value "$cmd" "$w" && skip=1
        else
            args+=("$w")
        fi
    done

    if [ -z "$cmd" ]; then
        if [[ $full == -* ]]; then
            _xl_channel_reply -h --help --version
        else
            _xl_channel_reply "${_xl_channel_commands[@]}"
        fi
        return 0
    fi
    [ $skip = 1 ] && return 0 # the value of an option
    if [ $nopts = 0 ] && [[ $full == -* ]]; then
        # shellcheck disable=SC2046 # one word per option
        _xl_channel_reply $(_xl_channel_options "$cmd")
        return 0
    fi

    case $cmd:${#args[@]} in
    list:* | channel-list:* | events:* | attach:0 | channel-attach:0 | \
        detach:0 | channel-detach:0 | apply:0)
        mapfile -t cands < <(_xl_channel_domains)
        _xl_channel_reply "${cands[@]}"
        ;;
    detach:1 | channel-detach:1)
        local domid with_devids=""
        domid=$(_xl_channel_domid "${args[0]}") || return 0
        [[ $full == [0-9]* ]] && with_devids=1
        mapfile -t cands < <(_xl_channel_names "$domid" $with_devids)
        _xl_channel_reply "${cands[@]}"
        ;;
    attach:1 | channel-attach:1)
        # SPEC: key=value pairs separated by commas.
        local head=${full%"${full##*,}"} piece=${full##*,} key dom
        compopt -o nospace 2>/dev/null
        case $piece in
        connection=*)
            cands=("${head}connection=pty" "${head}connection=socket")
            ;;
        backend=*)
            while IFS= read -r dom; do
                cands+=("${head}backend=$dom")
            done < <(_xl_channel_domains)
            ;;
        *=*) ;;
        *)
            for key in name connection path backend devid limit; do
                cands+=("$head$key=")
            done
            ;;
        esac
        _xl_channel_reply "${cands[@]}"
        ;;
    apply:1 | parse:0 | create:0)
        compopt -o filenames 2>/dev/null
        mapfile -t cands < <(compgen -f -- "$full")
        _xl_channel_reply "${cands[@]}"
        ;;
    help:0)
        _xl_channel_reply "${_xl_channel_commands[@]}"
        ;;
    esac
    return 0
}

complete -F _xl_channel xl-channel
