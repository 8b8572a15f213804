# xenchannel — one GNU Makefile for the whole tree.
#
#   make                 build everything into $(BUILD)/
#   make check           build, lint and run every test (SANITIZE=1: ASan+UBSan)
#   make check-stress    both builds' checks STRESS_RUNS times (5) beside two
#                        busy processes
#   make demo            the README's demo
#   make bench           benchmarks (figures, never assertions)
#   make fuzz            each fuzz target for a bounded time
#   make install         PREFIX=/usr/local DESTDIR=
#   make uninstall       removes what make install installs (same variables)
#   make deps            install the Debian 12 packages (as root)
#   make lint            clang-format, cppcheck, clang-tidy
#
# Each folder adds its own parts in a module.mk fragment; this file holds
# the shared rules. Generated C lives in $(OUT)/gen, never in the source tree.

BUILD    ?= build
SANITIZE ?= 0
PREFIX   ?= /usr/local
DESTDIR  ?=
LIBDIR   ?= $(PREFIX)/lib
BINDIR   ?= $(PREFIX)/bin
SBINDIR  ?= $(PREFIX)/sbin
INCDIR   ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PYTHON   ?= python3
PKG_CONFIG ?= pkg-config
CC       ?= gcc

ifeq ($(SANITIZE),1)
OUT      := $(BUILD)/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else
OUT      := $(BUILD)
SANFLAGS :=
endif

VERSION    := 0.1.0
SOVERSION  := 0

# pkg-config modules: the library and the daemon use only stable-ABI ones.
LIB_PKGS   := xenstore xenevtchn xengnttab yajl
TOOL_PKGS  := $(LIB_PKGS) xlutil xenlight xencontrol xentoollog
TEST_PKGS  := $(TOOL_PKGS) cmocka

pkgcflags = $(shell $(PKG_CONFIG) --cflags $(1))
pkglibs   = $(shell $(PKG_CONFIG) --libs $(1))

WARNFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-missing-field-initializers
BASECFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -fPIC $(WARNFLAGS)
CPPFLAGS_ALL := -Ilibxl-channel/include -I$(OUT)/gen -Ilibxl-channel \
                $(call pkgcflags,$(TEST_PKGS) libevent_core)
ALL_CFLAGS = $(BASECFLAGS) $(SANFLAGS) $(CPPFLAGS_ALL) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

# Filled in by the module.mk fragments.
PROGRAMS   :=
LIBRARIES  :=
TESTS      :=
TEST_DEPS  :=
BENCHES    :=
FUZZERS    :=
GENERATED  :=
INSTALL_HEADERS :=
UNINSTALL_DIRS :=
LINT_C     := $(shell find idl libxl-channel backend xl-cmd udev tests -name "*.[ch]" 2>/dev/null | sort)

STRESS_RUNS ?= 5

.PHONY: all check check-stress lint deps demo bench fuzz install uninstall \
        clean format
all:

# The generated types first: the library's object list needs GEN_OBJS.
include idl/module.mk
include libxl-channel/module.mk
include $(filter-out idl/module.mk libxl-channel/module.mk, \
    $(sort $(wildcard */module.mk tests/*/module.mk)))

all: $(LIBRARIES) $(PROGRAMS)

# Object files mirror the source tree; generated sources live in $(OUT)/gen.
$(OUT)/obj/%.o: %.c | $(GENERATED)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/obj/gen/%.o: $(OUT)/gen/%.c | $(GENERATED)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)

# Keep objects that pattern rules chain through, so nothing relinks needlessly.
.SECONDARY:

# Lint runs as one of the tests (tests/lint.sh) so that its result is part of
# the summary line and a lint finding does not hide test results. The
# sanitizer build lints nothing new, so it skips it.
LINT_TEST := $(if $(filter 1,$(SANITIZE)),,tests/lint.sh)
check: all $(filter-out %.sh,$(TESTS)) $(TEST_DEPS)
	@XCH_SRC=$(CURDIR) XCH_OUT=$(abspath $(OUT)) XCH_BUILD=$(BUILD) \
	    XCH_SANITIZE=$(SANITIZE) tests/run-tests $(LINT_TEST) $(TESTS)

check-stress:
	@XCH_BUILD=$(BUILD) tests/check-stress $(STRESS_RUNS)

demo: all $(TEST_DEPS)
	@XCH_SRC=$(CURDIR) XCH_OUT=$(abspath $(OUT)) tools/demo

lint: $(GENERATED)
	@LINT_CFLAGS="-std=c11 -D_GNU_SOURCE $(CPPFLAGS_ALL)" \
	    LINT_INCLUDES="-Ilibxl-channel/include -I$(OUT)/gen -Ilibxl-channel" \
	    tools/lint $(LINT_C)
	@tools/lint-tests

deps:
	tools/deps

install: all
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
	    $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0644 $(INSTALL_HEADERS) $(DESTDIR)$(INCDIR)/
	$(INSTALL_EXTRA)

# What make install installs, with the same variables, is what the same
# install into a scratch directory installs: remove those files (and
# symbolic links), then the directories only this project uses, if empty.
uninstall:
	@stage=$$(mktemp -d) && trap 'rm -rf "$$stage"' EXIT && \
	$(MAKE) -s --no-print-directory install DESTDIR="$$stage" && \
	find "$$stage" ! -type d | sed "s|^$$stage||" | sort | \
	    while read -r f; do \
	        echo "rm -f $(DESTDIR)$$f"; rm -f "$(DESTDIR)$$f" || exit 1; \
	    done
	rmdir $(addprefix $(DESTDIR),$(UNINSTALL_DIRS)) 2>/dev/null || true

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $(LINT_C)
