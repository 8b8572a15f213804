# Benchmarks: figures, never assertions.
#
# make bench (tests/bench/bench.sh): one table of the relay's figures next
# to its baselines, measured in the same run; make bench-plots: the plots
# of docs/performance.md from the last run's figures. bench_ring: the
# console ring between two processes (also used by test_guest_ring_echo).
BENCH_DIR  := $(OUT)/bench
BENCH_RING := $(BENCH_DIR)/bench_ring
BENCH_PROGS := $(BENCH_RING) $(BENCH_DIR)/bench_guest \
    $(BENCH_DIR)/bench_minrelay $(BENCH_DIR)/bench_run \
    $(BENCH_DIR)/bench_frontends
BENCH_UTIL := $(OUT)/obj/tests/bench/bench_util.o
TEST_DEPS  += $(BENCH_RING)

$(BENCH_RING): $(OUT)/obj/tests/bench/bench_ring.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS))

$(BENCH_DIR)/bench_%: $(OUT)/obj/tests/bench/bench_%.o $(BENCH_UTIL) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))

.PHONY: bench bench-progs bench-plots
bench-progs: $(BENCH_PROGS)

# What bench.sh runs (the daemon's, the toolstack's and the testbed's
# targets named literally: their module.mk files are read after this one).
bench: bench-progs $(OUT)/lib/xensim.so $(OUT)/testbed/xensim-ctl \
    $(OUT)/testbed/xsbridge $(OUT)/testbed/xenhost $(OUT)/sbin/xenchanneld \
    $(OUT)/bin/xcd-test $(OUT)/bin/xl-channel
	@XCH_SRC=$(CURDIR) XCH_OUT=$(abspath $(OUT)) tests/bench/bench.sh

# The plots of docs/performance.md (gnuplot) from the figures the last
# `make bench` kept in $(OUT)/bench/last/.
bench-plots:
	@XCH_SRC=$(CURDIR) XCH_OUT=$(abspath $(OUT)) tests/bench/bench_plots.sh

# How far a host reader falls behind through xenchanneld, quiet and beside
# busy processes, to size --buffer-limit; and the testbed's event channels
# alone. Not part of make bench's table.
.PHONY: bench-lag
bench-lag: $(OUT)/sbin/xenchanneld $(OUT)/bin/xcd-test $(OUT)/bin/xch-guestsim \
    $(OUT)/bin/xl-channel $(OUT)/testbed/xenhost
	@XCH_SRC=$(CURDIR) XCH_OUT=$(abspath $(OUT)) tests/bench/bench_lag.sh
