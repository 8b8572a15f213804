# xl-channel: the command-line tool. It may use the Xen-versioned libraries
# (libxlutil, libxenctrl); the library does not. Its bash completion
# (xl-channel.bash) lists its commands and options: keep them in step
# (tests/integration/test_completion.sh compares them with --help).
XL_SRCS := $(wildcard xl-cmd/*.c)
XL_OBJS := $(XL_SRCS:%.c=$(OUT)/obj/%.o)
XL_BIN  := $(OUT)/bin/xl-channel
PROGRAMS += $(XL_BIN)
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# The version `xl-channel --version` prints, rewritten only when it
# changes (so that nothing is rebuilt for nothing).
XL_VERSION_H := $(OUT)/gen/xl-channel-version.h
GENERATED += $(XL_VERSION_H)
$(XL_VERSION_H): xl-cmd/version-force
	@mkdir -p $(@D)
	@printf '#define XLCH_VERSION "%s"\n' '$(VERSION)' > $@.$$$$ && \
	    { cmp -s $@.$$$$ $@ && rm -f $@.$$$$ || mv -f $@.$$$$ $@; }
.PHONY: xl-cmd/version-force

$(XL_BIN): $(XL_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(XL_OBJS) $(LIB_A) \
	    $(call pkglibs,$(TOOL_PKGS))

define INSTALL_XL
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(XL_BIN) $(DESTDIR)$(BINDIR)/
	install -m 0644 xl-cmd/xl-channel.bash \
	    $(DESTDIR)$(BASHCOMPDIR)/xl-channel

endef
INSTALL_EXTRA += $(INSTALL_XL)
