# Guest side: the udev rule and the helper that makes /dev/xen-channels/NAME.
UDEVDIR      ?= $(PREFIX)/lib/udev
UDEV_HELPER  := $(OUT)/bin/xen-channel-helper
UDEV_RULES   := $(OUT)/udev/60-xen-channel.rules
UDEV_OBJS    := $(OUT)/obj/udev/xen-channel-helper.o
PROGRAMS     += $(UDEV_HELPER) $(UDEV_RULES)

$(UDEV_HELPER): $(UDEV_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UDEV_OBJS) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))

$(UDEV_RULES): udev/60-xen-channel.rules.in udev/module.mk
	@mkdir -p $(@D)
	sed 's|@HELPER@|$(UDEVDIR)/xen-channel-helper|g' $< > $@

define INSTALL_UDEV
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	install -m 0755 $(UDEV_HELPER) $(DESTDIR)$(UDEVDIR)/
	install -m 0644 $(UDEV_RULES) $(DESTDIR)$(UDEVDIR)/rules.d/

endef
INSTALL_EXTRA += $(INSTALL_UDEV)
