#!/bin/sh
# Fetch the Xen hypervisor and the Debian kernel with `apt-get download`
# and unpack what the harness needs into DIR. Nothing is installed: the
# packages are only unpacked under DIR.
#
#   fetch.sh DIR
#
# DIR/xen          the hypervisor, uncompressed (a multiboot image for QEMU)
# DIR/vmlinuz      the kernel as packaged (a bzImage)
# DIR/vmlinux      the same kernel uncompressed (an ELF image), what dom0 and
#                  the guests boot: under TCG, unpacking its xz payload costs
#                  seconds at each domain creation
# DIR/kver         its version (the modules' directory name)
# DIR/mods/lib/modules/KVER  the Xen driver modules only, depmod'ed
# DIR/versions     the package versions used
set -eu
mkdir -p "$(dirname "$1")"
dir=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$dir.tmp
rm -rf "$tmp"
mkdir -p "$tmp/debs" "$tmp/x"
cd "$tmp/debs"

get() {
    if ! apt-get download -q "$@" >../download.log 2>&1; then
        cat ../download.log >&2
        echo "fetch.sh: apt-get download $* failed (package lists out of" \
            "date? run 'apt-get update' or 'sh tools/deps')" >&2
        exit 1
    fi
}

# The kernel is found through the meta package: point releases replace the
# versioned package (linux-image-6.1.0-NN-amd64), the meta package stays.
get linux-image-amd64 xen-hypervisor-4.17-amd64
kpkg=$(dpkg-deb -f linux-image-amd64_*.deb Depends |
    tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n 1)
if [ -z "$kpkg" ]; then
    echo "fetch.sh: no linux-image-* dependency in linux-image-amd64" >&2
    exit 1
fi
get "$kpkg"

for deb in *.deb; do
    printf '%s %s\n' "$(dpkg-deb -f "$deb" Package)" \
        "$(dpkg-deb -f "$deb" Version)"
done >../versions

# Only the hypervisor, the kernel image and the Xen driver modules.
dpkg-deb --fsys-tarfile xen-hypervisor-4.17-amd64_*.deb |
    tar -x -C ../x --wildcards './boot/xen-*.gz'
dpkg-deb --fsys-tarfile "$kpkg"_*.deb |
    tar -x -C ../x --wildcards './boot/vmlinuz-*' '*/modules/*/modules.*' \
        '*/modules/*/kernel/drivers/xen/*'
cd ..
zcat x/boot/xen-*-amd64.gz >xen
cp x/boot/vmlinuz-* vmlinuz
# The bzImage's payload is an xz stream (Debian: CONFIG_KERNEL_XZ).
off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' vmlinuz | head -n 1 |
    cut -d: -f1)
if [ -z "$off" ] || ! tail -c +$((off + 1)) vmlinuz |
    xz -dc --single-stream >vmlinux 2>/dev/null ||
    [ "$(head -c 4 vmlinux | od -An -c | tr -d ' ')" != '177ELF' ]; then
    echo "fetch.sh: no xz-compressed ELF kernel in vmlinuz" >&2
    exit 1
fi
kver=$(basename x/boot/vmlinuz-*)
kver=${kver#vmlinuz-}
echo "$kver" >kver
mkdir -p mods/lib/modules
mv x/*lib/modules/"$kver" mods/lib/modules/
depmod -b "$PWD/mods" "$kver"
rm -rf x debs download.log
cd ..
rm -rf "$dir"
mv "$tmp" "$dir"
