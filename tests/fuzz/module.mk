# Fuzz targets: every tests/fuzz/fuzz_*.c is a libFuzzer program built with
# clang (always with ASan+UBSan, whatever SANITIZE says) together with the
# library sources it exercises. `make fuzz` runs each for a bounded time
# (FUZZ_SECONDS, default 30) starting from its checked-in corpus
# tests/fuzz/corpus/<name>/; new inputs go to $(OUT)/fuzz/corpus-<name>/.
# `make check` replays the checked-in corpus (test_fuzz_corpus.sh).
FUZZ_CC     ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 $(WARNFLAGS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -Ilibxl-channel/include -I$(OUT)/gen -Ilibxl-channel \
               $(call pkgcflags,xenstore yajl)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%, \
                   $(wildcard tests/fuzz/fuzz_*.c))
FUZZERS     += $(FUZZ_BINS)
TESTS       += tests/fuzz/test_fuzz_corpus.sh
TEST_DEPS   += $(FUZZ_BINS)

# One rule per target: its own file first, then the sources it exercises.
$(OUT)/fuzz/fuzz_ring: tests/fuzz/fuzz_ring.c libxl-channel/ring.c \
        libxl-channel/include/xenchannel_ring.h | $(GENERATED)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# The library as a whole (spec parser, generated types) for the parsers.
FUZZ_LIB_SRCS := $(LIB_SRCS) $(GEN_SRCS)
FUZZ_LIB_LIBS := $(call pkglibs,$(LIB_PKGS))

$(OUT)/fuzz/fuzz_spec $(OUT)/fuzz/fuzz_json: $(OUT)/fuzz/%: tests/fuzz/%.c \
        $(FUZZ_LIB_SRCS) | $(GENERATED)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(FUZZ_LIB_LIBS)

# The control request parser with the daemon's pieces around it.
$(OUT)/fuzz/fuzz_control: tests/fuzz/fuzz_control.c $(XCD_SRCS) \
        $(FUZZ_LIB_SRCS) | $(GENERATED)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(call pkgcflags,libevent_core) -o $@ \
	    $(filter %.c,$^) $(call pkglibs,$(LIB_PKGS) libevent_core)

fuzz: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
	    name=$$(basename $$f); \
	    mkdir -p $(OUT)/fuzz/corpus-$$name; \
	    echo "fuzz: $$name for $${FUZZ_SECONDS:-30} s"; \
	    $$f -max_total_time=$${FUZZ_SECONDS:-30} -print_final_stats=1 \
	        $(OUT)/fuzz/corpus-$$name tests/fuzz/corpus/$$name; \
	done
