#!/usr/bin/env bash
# Assemble the initramfs images of one boot and boot Xen with a PV dom0
# under QEMU's software emulation (TCG; no KVM needed). The serial log is
# the boot's whole output.
#
#   boot.sh MODE LOG SECS
#
# MODE: check (tests/realxen/dom0/check.sh) or bench (bench.sh). Both
# modes carry Xen's QEMU (the device model of the HVM guests, and QEMU's
# xenpv, the upstream channel backend of the bench), hvmloader and SeaBIOS.
# SECS bounds the boot: QEMU is killed after it. Environment (set by tests/realxen/module.mk): RX_DIR (the
# build directory of the tier: fetched packages, base images), RX_STAGE
# (xenchannel installed there with make install DESTDIR=), RX_TOOL (the
# rxtool binary), XCH_SRC (the source tree). RX_GUEST_EXTRA, RX_DOM0_EXTRA:
# directories whose contents are added to the guests' or dom0's image (for
# debugging, docs/realxen.md).
set -eu
mode=$1
log=$2
secs=$3
: "${RX_DIR:?}" "${RX_STAGE:?}" "${RX_TOOL:?}" "${XCH_SRC:?}"
here=$XCH_SRC/tests/realxen
# Kernel options that save CPU under TCG, for dom0 and the guests: no
# crypto self-tests at boot, no lockup watchdog timers, no speculation
# mitigations (nothing untrusted runs in these VMs).
RX_FAST_ARGS="cryptomgr.notests nowatchdog mitigations=off"
export RX_FAST_ARGS
mkroot=$here/mkroot.sh
work=$RX_DIR/boot-$mode
dom0_root=$RX_DIR/root-dom0
guest_root=$RX_DIR/root-guest
rm -rf "$work"
mkdir -p "$work"

add_tree() { # SRC DEST
    if [ -n "$1" ]; then
        tar -C "$1" -cf - . | tar -C "$2" -xf -
    fi
}

# xenchannel as make install laid it out, with the libraries its programs
# need that the image it goes onto lacks (libevent_core, libyajl, ...).
for side in dom0 guest; do
    mkdir -p "$work/overlay-$side"
    add_tree "$RX_STAGE" "$work/overlay-$side"
done
"$mkroot" libs "$work/overlay-dom0" "$dom0_root"
"$mkroot" libs "$work/overlay-guest" "$guest_root"

# The guest: base, xenchannel, then the tier's /init and helpers.
mkdir -p "$work/guest-extra/rx"
install -m 0755 "$here/guest/init" "$work/guest-extra/init"
install -m 0644 "$here/guest/glib.sh" "$work/guest-extra/rx/"
install -m 0755 "$RX_TOOL" "$work/guest-extra/rx/rxtool"
add_tree "${RX_GUEST_EXTRA:-}" "$work/guest-extra"
"$mkroot" libs "$work/guest-extra" "$guest_root" "$work/overlay-guest"

# dom0: base, QEMU and the HVM firmware, xenchannel, then /init, the tests,
# the guests' kernel (as an ELF vmlinux for PV and PVH guests, as the
# bzImage for HVM ones: QEMU's option ROM loads a bzImage) and initramfs.
# Linux unpacks concatenated cpio archives in order.
mkdir -p "$work/dom0-extra/rx" "$work/dom0-extra/usr/bin"
install -m 0755 "$here/dom0/init" "$work/dom0-extra/init"
install -m 0644 "$here"/dom0/*.sh "$work/dom0-extra/rx/"
install -m 0755 "$RX_TOOL" "$work/dom0-extra/rx/rxtool"
ln -s /rx/rxtool "$work/dom0-extra/usr/bin/rxtool"
# A hard link where possible: the kernel is 60 MB.
ln "$RX_DIR/fetch/vmlinux" "$work/dom0-extra/rx/vmlinux" 2>/dev/null ||
    cp "$RX_DIR/fetch/vmlinux" "$work/dom0-extra/rx/vmlinux"
ln "$RX_DIR/fetch/vmlinuz" "$work/dom0-extra/rx/vmlinuz" 2>/dev/null ||
    cp "$RX_DIR/fetch/vmlinuz" "$work/dom0-extra/rx/vmlinuz"
cp "$RX_DIR/fetch/versions" "$work/dom0-extra/rx/"
for part in overlay-guest guest-extra; do
    "$mkroot" cpio "$work/$part" "$work/$part.cpio"
done
cat "$RX_DIR/guest-base.cpio" "$work/overlay-guest.cpio" \
    "$work/guest-extra.cpio" >"$work/dom0-extra/rx/guest.cpio"
# HVM guests get it compressed: QEMU's option ROM reads the kernel and the
# initramfs from fw_cfg one byte at a time (Xen's QEMU has no fw_cfg DMA),
# each byte a step of QEMU in dom0: about 5 s per MB under TCG on a loaded
# host, far more than the guest takes to gunzip it (20 MB -> 8.6 MB saved
# a minute there).
gzip -c "$work/dom0-extra/rx/guest.cpio" >"$work/dom0-extra/rx/guest.cpio.gz"
add_tree "${RX_DOM0_EXTRA:-}" "$work/dom0-extra"
"$mkroot" libs "$work/dom0-extra" "$dom0_root" "$work/overlay-dom0"
for part in overlay-dom0 dom0-extra; do
    "$mkroot" cpio "$work/$part" "$work/$part.cpio"
done
cat "$RX_DIR/dom0-base.cpio" "$RX_DIR/qemu.cpio" "$work/overlay-dom0.cpio" \
    "$work/dom0-extra.cpio" >"$work/dom0.cpio"

# -cpu max without SMAP: with SMAP the PV dom0 dies at its first hypercall
# return. Without XSAVE (hence AVX): with it, PV guests that run at the same
# time crash in user space now and then (segfaults, "stack smashing
# detected": vector state corrupted under TCG). RX_CPU overrides the model.
# Xen does not scrub all memory at boot (bootscrub=false): under TCG that
# is seconds of CPU; pages are still scrubbed before a domain gets them.
# Multiboot modules are comma-separated: dom0's kernel (with its command
# line), then its initramfs.
kernel_args="console=hvc0 earlyprintk=xen loglevel=4 $RX_FAST_ARGS rx.mode=$mode"
echo "boot.sh: booting ($mode), serial log $log, at most $secs s"
rc=0
TIMEFORMAT="boot.sh: QEMU ran %R s, used %U s user + %S s system CPU"
time timeout --kill-after=5 "$secs" qemu-system-x86_64 \
    -machine q35,accel=tcg -cpu "${RX_CPU:-max,-smap,-xsave}" \
    -smp "${RX_SMP:-2}" -m 2048 \
    -display none -nodefaults -no-reboot -monitor none \
    -serial "file:$log" \
    -kernel "$RX_DIR/fetch/xen" \
    -append "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=1 bootscrub=false" \
    -initrd "$RX_DIR/fetch/vmlinux $kernel_args,$work/dom0.cpio" || rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "boot.sh: the boot did not end within $secs s; QEMU killed"
elif [ $rc -ne 0 ]; then
    echo "boot.sh: QEMU exited with status $rc"
fi
exit $rc
