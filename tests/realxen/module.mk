# The real-Xen tier (docs/realxen.md): Xen 4.17 with a PV dom0 and PV, PVH
# and HVM guests, booted under QEMU's software emulation (no KVM) from
# Debian 12 packages, running the installed xenchannel.
#
#   make check-realxen   the scenarios of tests/realxen/dom0/check.sh, one
#                        boot, TAP through tests/run-tests (summary line)
#   make bench-realxen   xenchanneld beside QEMU's channel backend in one
#                        boot, per guest type: throughput, round trips
#                        (figures only)
#
# Downloads and base images are cached in $(RX_DIR); the xenchannel overlay
# (make install DESTDIR=$(RX_STAGE) PREFIX=/usr) is made fresh every run.
RX_DIR    := $(BUILD)/realxen
RX_FETCH  := $(RX_DIR)/fetch
RX_STAGE  := $(RX_DIR)/stage
RX_TOOL   := $(RX_DIR)/bin/rxtool
RX_MKROOT := tests/realxen/mkroot.sh
# The base images copy host programs: rebuild them when packages change.
RX_HOSTPKGS := $(wildcard /var/lib/dpkg/status)
# qemu.cpio: Xen's QEMU (HVM device model, upstream channel backend),
# hvmloader and SeaBIOS, in dom0's image in both modes.
RX_BASES  := $(RX_DIR)/dom0-base.cpio $(RX_DIR)/guest-base.cpio \
             $(RX_DIR)/qemu.cpio
RX_ENV     = RX_DIR=$(abspath $(RX_DIR)) RX_STAGE=$(abspath $(RX_STAGE)) \
             RX_TOOL=$(abspath $(RX_TOOL)) XCH_SRC=$(CURDIR)

.PHONY: check-realxen bench-realxen realxen-stage

# rxtool runs in dom0 and in the guests: never with sanitizers.
$(RX_TOOL): tests/realxen/rxtool.c
	@mkdir -p $(@D)
	$(CC) $(BASECFLAGS) $(CPPFLAGS_ALL) $(CFLAGS) -o $@ $< \
	    $(call pkglibs,xenstore)

$(RX_FETCH)/kver: tests/realxen/fetch.sh
	tests/realxen/fetch.sh $(RX_FETCH)

$(RX_DIR)/%-base.cpio: $(RX_MKROOT) $(RX_FETCH)/kver $(RX_HOSTPKGS)
	$(RX_MKROOT) $* $(RX_FETCH) $(RX_DIR)/root-$*
	$(RX_MKROOT) cpio $(RX_DIR)/root-$* $@

$(RX_DIR)/qemu.cpio: $(RX_MKROOT) $(RX_FETCH)/kver $(RX_HOSTPKGS)
	$(RX_MKROOT) qemu $(RX_FETCH) $(RX_DIR)/root-qemu
	$(RX_MKROOT) cpio $(RX_DIR)/root-qemu $@

# What is tested is what make install lays out.
realxen-stage: all
	rm -rf $(RX_STAGE)
	$(MAKE) -s --no-print-directory install PREFIX=/usr \
	    DESTDIR=$(abspath $(RX_STAGE))

check-realxen: realxen-stage $(RX_TOOL) $(RX_BASES)
	@$(RX_ENV) XCH_OUT=$(abspath $(RX_DIR)) XCH_TEST_TIMEOUT=780 \
	    tests/run-tests tests/realxen/test_realxen.sh

bench-realxen: realxen-stage $(RX_TOOL) $(RX_BASES)
	@$(RX_ENV) tests/realxen/bench_realxen.sh
