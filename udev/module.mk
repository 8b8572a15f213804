# Guest side: the udev rule and the helper that makes /dev/xen-channels/NAME.
UDEVDIR      ?= $(PREFIX)/lib/udev
UDEV_HELPER  := $(OUT)/bin/xen-channel-helper
UDEV_SRCS    := xen-channel-helper.c event.c record.c outcome.c slots.c \
                observe.c state.c links.c guest_xs.c log.c
UDEV_OBJS    := $(UDEV_SRCS:%.c=$(OUT)/obj/udev/%.o)
PROGRAMS     += $(UDEV_HELPER)

$(UDEV_HELPER): $(UDEV_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UDEV_OBJS) $(LIB_A) \
	    $(call pkglibs,$(LIB_PKGS))

# The rule names the helper by its installed path, known at install time.
udev_rule = sed 's|@HELPER@|$(1)|g' udev/60-xen-channel.rules.in

# The text make install writes, for the tests (which run the helper from
# $(OUT)/bin in its place).
UDEV_RULE_TEST := $(OUT)/udev/60-xen-channel.rules
TEST_DEPS      += $(UDEV_RULE_TEST)

$(UDEV_RULE_TEST): udev/60-xen-channel.rules.in udev/module.mk
	@mkdir -p $(@D)
	$(call udev_rule,$(UDEVDIR)/xen-channel-helper) > $@

define INSTALL_UDEV
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	install -m 0755 $(UDEV_HELPER) $(DESTDIR)$(UDEVDIR)/
	$(call udev_rule,$(UDEVDIR)/xen-channel-helper) \
	    > $(DESTDIR)$(UDEVDIR)/rules.d/60-xen-channel.rules

endef
INSTALL_EXTRA += $(INSTALL_UDEV)
