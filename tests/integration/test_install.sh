#!/usr/bin/env bash
# make install puts a usable library in place: a program built against the
# installed headers through pkg-config links with the installed
# libxenchannel.so (by its soname) and runs; the programs, man pages,
# systemd units (the install paths filled in) and bash completion are
# there. make uninstall, with the same variables, removes all of it and
# nothing else.
set -u
: "${XCH_SRC:?}" "${XCH_BUILD:?}"
if [ "${XCH_SANITIZE:-0}" = 1 ]; then
    echo "1..0 # SKIP the installed library is the sanitized one"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0
check() { # NAME CMD...
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        fails=$((fails + 1))
    fi
}

root=$tmp/root
env MAKEFLAGS= make -s -C "$XCH_SRC" --no-print-directory install \
    BUILD="$XCH_BUILD" DESTDIR="$root" PREFIX=/usr >"$tmp/install.log" 2>&1
check "make install succeeds" test $? -eq 0
for f in usr/include/xenchannel.h usr/include/xenchannel_types.h \
    usr/include/xenchannel_ring.h usr/lib/libxenchannel.a \
    usr/lib/pkgconfig/xenchannel.pc usr/bin/xl-channel \
    usr/sbin/xenchanneld usr/lib/udev/xen-channel-helper \
    usr/lib/udev/rules.d/60-xen-channel.rules \
    usr/share/man/man1/xl-channel.1 usr/share/man/man8/xenchanneld.8 \
    usr/share/man/man7/xen-channels.7 \
    usr/lib/systemd/system/xenchanneld.service \
    usr/share/doc/xenchannel/examples/xenchannel@.socket \
    usr/share/bash-completion/completions/xl-channel; do
    check "installs $f" test -e "$root/$f"
done
unit=$root/usr/lib/systemd/system/xenchanneld.service
check "the service runs the daemon where it was installed" \
    grep -qx 'ExecStart=/usr/sbin/xenchanneld --foreground' "$unit"
check "no @PLACEHOLDER@ is left in the service" \
    sh -c "! grep -n '@[A-Z]*@' '$unit'"
check "the service and the socket unit are not executable" \
    sh -c "[ \"\$(stat -c %a '$unit' \
        '$root/usr/share/doc/xenchannel/examples/xenchannel@.socket')\" = \
        \"644
644\" ]"
check "the udev rule runs the helper where it was installed" \
    grep -q 'IMPORT{program}="/usr/lib/udev/xen-channel-helper name %k"' \
    "$root/usr/lib/udev/rules.d/60-xen-channel.rules"
check "xenchannel.pc names the install paths" \
    grep -qx 'includedir=/usr/include' "$root/usr/lib/pkgconfig/xenchannel.pc"
check "libxenchannel.so carries its soname" \
    sh -c "objdump -p '$root/usr/lib/libxenchannel.so' |
        grep -q 'SONAME *libxenchannel.so.0$'"
# The library and the daemon use only stable-ABI libraries: nothing whose
# soname is the Xen version (libxenctrl, libxenlight, libxlutil, ...).
for f in usr/lib/libxenchannel.so usr/sbin/xenchanneld; do
    check "$f needs no Xen-versioned library" \
        sh -c "objdump -p '$root/$f' | grep NEEDED > '$tmp/needed' &&
            grep -q libxenstore '$tmp/needed' &&
            ! grep -qE 'lib(xenctrl|xenlight|xlutil|xenguest)' '$tmp/needed'"
done

cat >"$tmp/user.c" <<'PROG'
#include <stdio.h>
#include <stdlib.h>
#include <xenchannel.h>

int main(void)
{
    xch_device_channel c;
    char *err = NULL, *json;

    xch_device_channel_init(&c);
    if (xch_channel_spec_parse("connection=pty,name=org.x", &c, NULL, &err))
        return 1;
    json = xch_device_channel_to_json(&c);
    if (!json)
        return 1;
    fputs(json, stdout);
    free(json);
    xch_device_channel_dispose(&c);
    return 0;
}
PROG
export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$root
# shellcheck disable=SC2046 # pkg-config prints several words
cc -std=c11 -Wall -Werror -o "$tmp/user" "$tmp/user.c" \
    $(pkg-config --cflags --libs xenchannel) 2>"$tmp/cc.log"
check "a program builds against the installed headers via pkg-config" \
    test $? -eq 0 || sed 's/^/# /' "$tmp/cc.log"
out=$(LD_LIBRARY_PATH=$root/usr/lib "$tmp/user" 2>&1)
check "it runs with the installed shared library" \
    grep -q '"connection.pty"' <<<"$out"
check "it uses the installed libxenchannel.so.0" \
    sh -c "LD_LIBRARY_PATH='$root/usr/lib' ldd '$tmp/user' |
        grep -q '$root/usr/lib/libxenchannel.so.0'"

# --- uninstall: the same variables, everything installed goes, a file of
# somebody else stays (also in a directory the install uses).
mkdir -p "$root/usr/bin" "$root/usr/share/doc/other"
echo keep >"$root/usr/bin/other-tool"
echo keep >"$root/usr/share/doc/other/README"
env MAKEFLAGS= make -s -C "$XCH_SRC" --no-print-directory uninstall \
    BUILD="$XCH_BUILD" DESTDIR="$root" PREFIX=/usr >"$tmp/uninstall.log" 2>&1
check "make uninstall succeeds" test $? -eq 0 || sed 's/^/# /' "$tmp/uninstall.log"
find "$root" ! -type d | sort >"$tmp/left"
check "it leaves no file of ours behind" \
    sh -c "printf '%s\n' '$root/usr/bin/other-tool' \
        '$root/usr/share/doc/other/README' | cmp -s - '$tmp/left'" ||
    sed 's/^/# left: /' "$tmp/left"
check "nor our documentation directory" test ! -e "$root/usr/share/doc/xenchannel"

# The unit directory and the other directories can be moved.
root2=$tmp/root2
dirs="SYSTEMDUNITDIR=/lib/systemd/system BASHCOMPDIR=/etc/bash_completion.d
    DOCDIR=/usr/share/doc/xenchannel-doc UDEVDIR=/lib/udev"
# shellcheck disable=SC2086 # dirs is a list of assignments
env MAKEFLAGS= make -s -C "$XCH_SRC" --no-print-directory install \
    BUILD="$XCH_BUILD" DESTDIR="$root2" PREFIX=/usr $dirs >"$tmp/install2.log" 2>&1
check "make install with SYSTEMDUNITDIR, BASHCOMPDIR, DOCDIR, UDEVDIR" \
    test -e "$root2/lib/systemd/system/xenchanneld.service" -a \
    -e "$root2/etc/bash_completion.d/xl-channel" -a \
    -e "$root2/usr/share/doc/xenchannel-doc/examples/xenchannel@.socket" -a \
    -e "$root2/lib/udev/xen-channel-helper"
# shellcheck disable=SC2086
env MAKEFLAGS= make -s -C "$XCH_SRC" --no-print-directory uninstall \
    BUILD="$XCH_BUILD" DESTDIR="$root2" PREFIX=/usr $dirs >"$tmp/uninstall2.log" 2>&1
check "make uninstall with the same variables removes every file" \
    sh -c "[ -z \"\$(find '$root2' ! -type d)\" ]" ||
    find "$root2" ! -type d | sed 's/^/# left: /'

echo "1..$n"
[ $fails -eq 0 ]
