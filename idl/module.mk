# The IDL generator turns idl/channel.idl into the C types and their
# functions. Outputs live in $(OUT)/gen.
IDL_GEN     := idl/gentypes.py
IDL_INPUTS  := idl/channel.idl $(wildcard idl/*.py)
GEN_HEADERS := $(OUT)/gen/xenchannel_types.h
GEN_SRCS    := $(OUT)/gen/xenchannel_types.c
GEN_OBJS    := $(GEN_SRCS:$(OUT)/gen/%.c=$(OUT)/obj/gen/%.o)
GENERATED   += $(GEN_HEADERS) $(GEN_SRCS)

$(GEN_HEADERS) $(GEN_SRCS) &: $(IDL_INPUTS)
	@mkdir -p $(@D)
	$(PYTHON) $(IDL_GEN) idl/channel.idl $(GEN_HEADERS) $(GEN_SRCS)
