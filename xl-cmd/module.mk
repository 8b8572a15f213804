# xl-channel: the command-line tool. It may use the Xen-versioned libraries
# (libxlutil, libxenctrl); the library does not.
XL_SRCS := $(wildcard xl-cmd/*.c)
XL_OBJS := $(XL_SRCS:%.c=$(OUT)/obj/%.o)
XL_BIN  := $(OUT)/bin/xl-channel
PROGRAMS += $(XL_BIN)

$(XL_BIN): $(XL_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(XL_OBJS) $(LIB_A) \
	    $(call pkglibs,$(TOOL_PKGS))

define INSTALL_XL
	install -m 0755 $(XL_BIN) $(DESTDIR)$(BINDIR)/

endef
INSTALL_EXTRA += $(INSTALL_XL)
