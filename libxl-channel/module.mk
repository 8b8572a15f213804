# libxenchannel: every .c here plus the generated type code.
LIB_SRCS   := $(wildcard libxl-channel/*.c)
LIB_OBJS   := $(LIB_SRCS:%.c=$(OUT)/obj/%.o) $(GEN_OBJS)
LIB_A      := $(OUT)/lib/libxenchannel.a
LIB_SO     := $(OUT)/lib/libxenchannel.so.$(VERSION)
LIB_SONAME := libxenchannel.so.$(SOVERSION)
LIB_LIBS   := $(call pkglibs,$(LIB_PKGS))

LIBRARIES  += $(LIB_A) $(LIB_SO)
INSTALL_HEADERS += libxl-channel/include/xenchannel.h \
                   libxl-channel/include/xenchannel_ring.h $(GEN_HEADERS)

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--no-undefined \
	    $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
	ln -sf $(@F) $(@D)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(@D)/libxenchannel.so

# xenchannel.pc is written at install time: it holds the install paths.
define INSTALL_LIB
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libxenchannel.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES@|$(LIB_PKGS)|' libxl-channel/xenchannel.pc.in \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/xenchannel.pc

endef
INSTALL_EXTRA += $(INSTALL_LIB)
