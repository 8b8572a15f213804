# The simulated Xen host (docs/testbed.md): the xensim preload (fake
# hypervisor), the launcher `xenhost` with its C helper, the per-guest
# xenbus bridge, the testbed's own tests and the event-channel benchmark
# (bench_evtchn, run by hand; make bench is tests/bench/module.mk's).
#
# The preload is never sanitized (it runs inside xenstored and xl); programs
# that run preloaded under SANITIZE=1 need ASAN_OPTIONS=verify_asan_link_order=0,
# which `xenhost env` prints.
TB_DIR      := $(OUT)/testbed
TB_CORE     := tests/testbed/xensim_state.c tests/testbed/xensim_evtchn.c \
               tests/testbed/xensim_grant.c
TB_CORE_OBJS := $(TB_CORE:%.c=$(OUT)/obj/%.o)
XENSIM_SO   := $(OUT)/lib/xensim.so
XENSIM_OBJS := $(patsubst %.c,$(OUT)/xensim-obj/%.o,$(TB_CORE) \
                   tests/testbed/xensim_preload.c)
XENSIM_CFLAGS := $(BASECFLAGS) -fvisibility=hidden $(CPPFLAGS_ALL) $(CFLAGS)

TB_PROGS    := $(TB_DIR)/xsbridge $(TB_DIR)/xensim-ctl $(TB_DIR)/xenhost \
               $(TB_DIR)/xl-standin
TB_TESTS    := $(TB_DIR)/test_evtchn $(TB_DIR)/test_bridge
PROGRAMS    += $(XENSIM_SO) $(TB_PROGS)
TEST_DEPS   += $(XENSIM_SO) $(TB_PROGS) $(TB_TESTS)

.PHONY: testbed
testbed: $(XENSIM_SO) $(TB_PROGS) $(TB_TESTS) $(TB_DIR)/bench_evtchn

$(OUT)/xensim-obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(XENSIM_CFLAGS) -MMD -MP -c -o $@ $<

$(XENSIM_SO): $(XENSIM_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,--no-undefined $(LDFLAGS) -o $@ $^ -ldl -lpthread

-include $(shell find $(OUT)/xensim-obj -name '*.d' 2>/dev/null)

$(TB_DIR)/xenhost: tests/testbed/xenhost
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(TB_DIR)/xl-standin: tests/testbed/xl-standin
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(TB_DIR)/xensim-ctl: $(OUT)/obj/tests/testbed/xensim_ctl.o $(TB_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkglibs,xenstore) -lpthread

$(TB_DIR)/xsbridge: $(OUT)/obj/tests/testbed/xsbridge.o $(TB_CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread

# Test programs use the real Xen libraries: run them under the preload.
$(TB_DIR)/test_%: $(OUT)/obj/tests/testbed/test_%.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ \
	    $(call pkglibs,xenstore xenevtchn xengnttab) -lpthread

$(TB_DIR)/bench_evtchn: $(OUT)/obj/tests/testbed/bench_evtchn.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkglibs,xenevtchn)

