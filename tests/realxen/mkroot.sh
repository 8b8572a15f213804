#!/bin/bash
# Build the root trees of the real-Xen tier's initramfs images from the
# host's own Debian 12 files: programs with the libraries ldd lists, put at
# their canonical (merged /usr) paths.
#
#   mkroot.sh dom0 FETCHDIR ROOT      xenstored, xen-init-dom0, xenconsoled,
#                                     xl, libxl-save-helper, xenstore-*,
#                                     busybox, Xen modules
#   mkroot.sh qemu FETCHDIR ROOT      Xen's QEMU (the xenpv machine, the
#                                     upstream channel backend; the xenfv
#                                     device model of HVM guests) with its
#                                     keymaps and option ROMs, hvmloader and
#                                     SeaBIOS
#   mkroot.sh guest FETCHDIR ROOT     busybox, systemd-udevd/udevadm and the
#                                     distribution's udev rules
#   mkroot.sh libs ROOT [BASE...]     add the libraries of every ELF file
#                                     already in ROOT (the xenchannel overlay)
#                                     that none of the trees BASE has
#   mkroot.sh cpio ROOT FILE          pack ROOT as a newc cpio archive
#
# Debian 12 has a merged /usr: /bin, /sbin, /lib and /lib64 are symlinks
# into /usr, in the images too. Work is batched (one ldd, one readlink, one
# tar) because a fork costs tens of milliseconds on a loaded CI machine.
set -eu

die() {
    echo "mkroot.sh: $*" >&2
    exit 1
}

# The shared libraries that the ELF programs given need, one path a line
# (static programs and non-ELF files contribute nothing).
elf_libs() {
    local out
    [ $# -gt 0 ] || return 0
    out=$(LC_ALL=C ldd "$@" 2>&1 || true)
    if printf '%s\n' "$out" | grep -q 'not found'; then
        die "missing libraries: $(printf '%s\n' "$out" | grep 'not found')"
    fi
    printf '%s\n' "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
                                $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' |
        LC_ALL=C sort -u
}

# Copy host files (and the libraries of those that are ELF programs) into
# the image at their canonical paths. A file named through a symlink
# (libfoo.so.1 -> libfoo.so.1.2.3, /lib64/ld-linux...) also gets that name
# as a symlink, at the canonical path of its directory.
add_files() {
    local -a req reals dirs
    local i name list
    mapfile -t req < <(printf '%s\n' "$@" "$(elf_libs "$@")" |
        grep -v '^$' | LC_ALL=C sort -u)
    for i in "${req[@]}"; do
        [ -e "$i" ] || die "missing on the host: $i (tools/deps installs it)"
    done
    mapfile -t reals < <(readlink -f "${req[@]}")
    mapfile -t dirs < <(for i in "${req[@]}"; do
        printf '%s\n' "${i%/*}"
    done | xargs readlink -f)
    list=$(printf '%s\n' "${reals[@]}" | sed 's|^/||' | LC_ALL=C sort -u)
    printf '%s\n' "$list" | tar -C / -cf - -T - | tar -C "$root" -xf -
    for i in "${!req[@]}"; do
        name=${dirs[$i]}/${req[$i]##*/}
        if [ "$name" != "${reals[$i]}" ] && [ ! -e "$root$name" ]; then
            mkdir -p "$root${name%/*}"
            ln -s "${reals[$i]}" "$root$name"
        fi
    done
}

skeleton() {
    mkdir -p "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib64 \
        "$root"/usr/lib/x86_64-linux-gnu "$root"/proc "$root"/sys \
        "$root"/dev "$root"/run "$root"/tmp "$root"/etc "$root"/var \
        "$root"/root
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    ln -s /run "$root/var/run"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
}

# busybox-static; its applet links are made at boot (busybox --install),
# all but the shell that runs /init.
busybox_path() {
    command -v busybox || die "busybox missing (package busybox-static)"
}

# glibc dlopens libgcc_s for pthread_cancel (xl aborts without it); ldd
# does not list it.
libgcc_s() {
    echo /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
}

busybox_sh() {
    ln -s busybox "$root/usr/bin/sh"
}

add_modules() {
    local kver m src=$fetch/mods/lib/modules
    kver=$(cat "$fetch/kver")
    mkdir -p "$root/usr/lib/modules/$kver"
    (cd "$src/$kver" && tar -cf - modules.* kernel/drivers/xen/xen-evtchn.ko \
        kernel/drivers/xen/xen-gntdev.ko kernel/drivers/xen/xen-gntalloc.ko \
        kernel/drivers/xen/xen-privcmd.ko kernel/drivers/xen/xenfs) |
        tar -xf - -C "$root/usr/lib/modules/$kver"
    for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
        [ -n "$(find "$root/usr/lib/modules/$kver" -name "$m.ko*")" ] ||
            die "module $m not in the kernel package"
    done
}

mk_dom0() {
    local x=/usr/lib/xen-4.17/bin
    skeleton
    # xenstore-read & co. are one program under several names.
    # libxl runs libxl-save-helper for xl save and xl restore.
    add_files "$x/xenstored" "$x/xen-init-dom0" "$x/xenconsoled" "$x/xl" \
        "$x/libxl-save-helper" \
        /usr/bin/xenstore /usr/bin/xenstore-chmod /usr/bin/xenstore-exists \
        /usr/bin/xenstore-list /usr/bin/xenstore-ls /usr/bin/xenstore-read \
        /usr/bin/xenstore-rm /usr/bin/xenstore-watch /usr/bin/xenstore-write \
        "$(busybox_path)" "$(libgcc_s)"
    # Debian's /usr/sbin/xl is a wrapper script; the image runs xl directly.
    ln -s "$x/xl" "$root/usr/sbin/xl"
    busybox_sh
    add_modules
    mkdir -p "$root"/var/lib/xen "$root"/var/log/xen/console "$root"/etc/xen
    : >"$root/etc/xen/xl.conf"
}

mk_qemu() {
    mkdir -p "$root"
    # HVM: libxl loads hvmloader (xen-utils-4.17) and hands it SeaBIOS
    # (package seabios) from these paths, compiled into libxl.
    add_files /usr/libexec/xen-qemu-system-i386 \
        /usr/lib/xen-4.17/boot/hvmloader /usr/share/seabios/bios-256k.bin
    # libxl always passes -vnc none: QEMU needs a keymap or it exits. An HVM
    # guest booted with kernel= needs the option ROM that loads it
    # (linuxboot_dma.bin, or linuxboot.bin without fw_cfg DMA); QEMU also
    # looks for ROMs in /usr/share/seabios (its VGA BIOSes).
    mkdir -p "$root/usr/share/qemu"
    tar -C /usr/share/qemu -cf - keymaps linuxboot.bin linuxboot_dma.bin |
        tar -C "$root/usr/share/qemu" -xf -
    tar -C /usr/share -cf - seabios | tar -C "$root/usr/share" -xf -
}

mk_guest() {
    skeleton
    add_files "$(busybox_path)" "$(libgcc_s)" /usr/bin/udevadm \
        /usr/lib/systemd/systemd-udevd /usr/lib/udev/rules.d/*.rules
    busybox_sh
    mkdir -p "$root/etc/udev/rules.d"
}

# Libraries for the ELF files an overlay brings (make install's output),
# but not those the image it goes onto has already.
mk_libs() {
    local -a elves libs need=()
    local lib real base have
    mapfile -t elves < <(find "$root" -type f -perm -u+x)
    [ ${#elves[@]} -gt 0 ] || return 0
    mapfile -t libs < <(elf_libs "${elves[@]}")
    for lib in "${libs[@]}"; do
        real=$(readlink -f "$lib")
        have=0
        for base in "$@"; do
            if [ -e "$base$real" ]; then
                have=1
            fi
        done
        [ $have -eq 1 ] || need+=("$lib")
    done
    [ ${#need[@]} -gt 0 ] || return 0
    add_files "${need[@]}"
}

mk_cpio() {
    local out=$1
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
    mv "$out.tmp" "$out"
}

what=${1:-}
case $what in
dom0 | qemu | guest)
    [ $# -eq 3 ] || die "usage: mkroot.sh $what FETCHDIR ROOT"
    fetch=$2
    root=$3
    rm -rf "$root"
    "mk_$what"
    ;;
libs)
    [ $# -ge 2 ] || die "usage: mkroot.sh libs ROOT [BASE...]"
    root=$2
    shift 2
    mk_libs "$@"
    ;;
cpio)
    [ $# -eq 3 ] || die "usage: mkroot.sh cpio ROOT FILE"
    root=$2
    mk_cpio "$3"
    ;;
*)
    die "usage: mkroot.sh dom0|qemu|guest|libs|cpio ..."
    ;;
esac
