# Toolstack tests. test_ts_values: cmocka, no xenstore, run by make check.
# Run by tests/integration/test_toolstack_*.sh on the testbed: ts_race
# (concurrent attaches, the EAGAIN path) and ts_libxl_list (the real
# libxenlight's view of a domain's channels, an oracle). ts_race and
# test_ts_values use the library's internal header.
TS_TEST_DIR := $(OUT)/tests/toolstack
TS_PROGS    := $(TS_TEST_DIR)/ts_race $(TS_TEST_DIR)/ts_libxl_list
TEST_DEPS   += $(TS_PROGS)
TESTS       += $(TS_TEST_DIR)/test_ts_values

$(TS_TEST_DIR)/ts_race: $(OUT)/obj/tests/toolstack/ts_race.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS))

$(TS_TEST_DIR)/ts_libxl_list: $(OUT)/obj/tests/toolstack/ts_libxl_list.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(call pkglibs,xenlight xentoollog)

$(TS_TEST_DIR)/test_ts_values: $(OUT)/obj/tests/toolstack/test_ts_values.o \
        $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS) cmocka)
