#!/usr/bin/env bash
# make check-realxen: one boot of Xen, a PV dom0 and PV, PVH and HVM guests
# under QEMU (TCG), running tests/realxen/dom0/check.sh; its serial log
# becomes TAP.
# The environment comes from tests/realxen/module.mk.
set -eu
: "${RX_DIR:?}" "${XCH_SRC:?}"
log=$RX_DIR/check-serial.log
rm -f "$log"
start=$(date +%s)
"$XCH_SRC/tests/realxen/boot.sh" check "$log" "${RX_BOOT_SECS:-720}" || true
echo "# boot took $(($(date +%s) - start)) s"
exec "$XCH_SRC/tests/realxen/serial2tap.sh" \
    "$XCH_SRC/tests/realxen/dom0/check.sh" "$log"
