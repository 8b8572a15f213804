# Unit tests: every tests/unit/test_*.c is a cmocka program linked against
# the static library. Integration tests: every tests/integration/test_*.sh.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/%)
TESTS     += $(UNIT_BINS) $(sort $(wildcard tests/integration/test_*.sh))

$(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(TEST_PKGS))
