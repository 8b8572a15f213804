# Guest side: the udev rule and the helper that makes /dev/xen-channels/NAME.
UDEVDIR      ?= $(PREFIX)/lib/udev
UDEV_HELPER  := $(OUT)/bin/xen-channel-helper
UDEV_OBJS    := $(OUT)/obj/udev/xen-channel-helper.o
PROGRAMS     += $(UDEV_HELPER)

$(UDEV_HELPER): $(UDEV_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UDEV_OBJS) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))

# The rule names the helper by its installed path, known at install time.
define INSTALL_UDEV
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	install -m 0755 $(UDEV_HELPER) $(DESTDIR)$(UDEVDIR)/
	sed 's|@HELPER@|$(UDEVDIR)/xen-channel-helper|g' \
	    udev/60-xen-channel.rules.in \
	    > $(DESTDIR)$(UDEVDIR)/rules.d/60-xen-channel.rules

endef
INSTALL_EXTRA += $(INSTALL_UDEV)
