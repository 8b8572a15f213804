# Unit test of the udev helper's replay of Linux's hvc slot allocation.
UDEV_SLOTS_TEST := $(OUT)/tests/test_udev_slots
TESTS           += $(UDEV_SLOTS_TEST)

$(UDEV_SLOTS_TEST): $(OUT)/obj/tests/udev/test_udev_slots.o \
        $(OUT)/obj/udev/slots.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(call pkglibs,cmocka)
