# The daemon's integration-test helpers: xcd-test (stream, wait-path,
# wait-xs, status) and xcd-guest (a misbehaving frontend); the scripts are
# tests/integration/test_daemon_*.sh.
XCD_TEST_BIN  := $(OUT)/bin/xcd-test
XCD_GUEST_BIN := $(OUT)/bin/xcd-guest
TEST_DEPS     += $(XCD_TEST_BIN) $(XCD_GUEST_BIN) $(XCD_BIN)

$(XCD_GUEST_BIN): $(OUT)/obj/tests/daemon/xcd_guest.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS))

$(XCD_TEST_BIN): $(OUT)/obj/tests/daemon/xcd_test.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call pkglibs,xenstore yajl)

# Relay throughput through the daemon next to the raw ring's
# (tests/bench/bench_relay.sh, which also runs bench_ring).
BENCHES += tests/bench/bench_relay.sh
bench: $(XCD_BIN) $(XCD_TEST_BIN) $(OUT)/bin/xch-guestsim $(OUT)/bin/xl-channel
