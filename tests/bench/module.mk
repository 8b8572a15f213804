# Benchmarks: figures, never assertions. bench_ring: console ring
# throughput between two processes through the testbed's preload, run by
# tests/bench/bench_ring.sh (which sets up a private simulated host).
BENCH_RING := $(OUT)/bench/bench_ring
BENCHES    += tests/bench/bench_ring.sh
TEST_DEPS  += $(BENCH_RING)

# What the script runs (the testbed's targets, named literally because
# tests/testbed/module.mk is read after this file).
bench: $(BENCH_RING) $(OUT)/lib/xensim.so $(OUT)/testbed/xensim-ctl

$(BENCH_RING): $(OUT)/obj/tests/bench/bench_ring.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS))

# How far a host reader falls behind through xenchanneld, quiet and beside
# busy processes, to size --buffer-limit (tests/bench/bench_lag.sh; the
# daemon's targets named literally, tests/daemon/module.mk is read later).
BENCHES += tests/bench/bench_lag.sh
bench: $(OUT)/sbin/xenchanneld $(OUT)/bin/xcd-test $(OUT)/bin/xch-guestsim \
    $(OUT)/bin/xl-channel $(OUT)/testbed/xenhost
