# The generator on a test-only IDL with every kind of type: the types are
# generated at build time into $(OUT)/gen/testtypes.[ch] and tested by
# their own program, linked so that it can make allocations fail.
TESTTYPES_H := $(OUT)/gen/testtypes.h
TESTTYPES_C := $(OUT)/gen/testtypes.c
GENERATED   += $(TESTTYPES_H) $(TESTTYPES_C)
IDL_GENERIC_TEST := $(OUT)/tests/test_idl_generic
TESTS       += $(IDL_GENERIC_TEST)

$(TESTTYPES_H) $(TESTTYPES_C) &: tests/idl/testtypes.idl $(IDL_GEN) idl/idl.py
	@mkdir -p $(@D)
	$(PYTHON) $(IDL_GEN) tests/idl/testtypes.idl $(TESTTYPES_H) $(TESTTYPES_C)

$(IDL_GENERIC_TEST): $(OUT)/obj/tests/idl/test_idl_generic.o \
                     $(OUT)/obj/gen/testtypes.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=strdup \
	    -o $@ $^ $(call pkglibs,yajl cmocka)
