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

