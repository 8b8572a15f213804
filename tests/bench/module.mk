# Benchmarks: figures, never assertions. bench_ring: console ring
# throughput between two processes through the testbed's preload.
BENCH_RING := $(OUT)/bench/bench_ring
BENCHES    += $(BENCH_RING)
TEST_DEPS  += $(BENCH_RING)

$(BENCH_RING): $(OUT)/obj/tests/bench/bench_ring.o $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(call pkglibs,$(LIB_PKGS))
