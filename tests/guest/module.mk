# The guest side for tests: xch-guestsim (the hvc_xen frontend simulator)
# and xch-echoback (a minimal test-only console backend that echoes each
# channel's `out` ring into its `in` ring). Both use the ring code of the
# library; they run under the testbed's preload.
GUEST_UTIL_OBJS := $(OUT)/obj/tests/guest/gsutil.o
GUESTSIM_BIN    := $(OUT)/bin/xch-guestsim
ECHOBACK_BIN    := $(OUT)/bin/xch-echoback
PROGRAMS        += $(GUESTSIM_BIN) $(ECHOBACK_BIN)

$(OUT)/bin/xch-guestsim: $(OUT)/obj/tests/guest/guestsim.o $(GUEST_UTIL_OBJS) \
        $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))

$(OUT)/bin/xch-echoback: $(OUT)/obj/tests/guest/echoback.o $(GUEST_UTIL_OBJS) \
        $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))
