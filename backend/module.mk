# xenchanneld: the backend daemon. It links only libxenchannel and
# stable-ABI libraries (xenstore, xenevtchn, xengnttab, yajl) plus
# libevent_core. Its pieces (everything but main.c) are also linked into
# the unit tests tests/unit/test_backend_*.c.
XCD_SRCS   := $(filter-out backend/main.c,$(wildcard backend/*.c))
XCD_OBJS   := $(XCD_SRCS:%.c=$(OUT)/obj/%.o)
XCD_BIN    := $(OUT)/sbin/xenchanneld
XCD_LIBS   := $(call pkglibs,$(LIB_PKGS) libevent_core)
XCD_MAN    := $(OUT)/man/xenchanneld.8
PROGRAMS   += $(XCD_BIN) $(XCD_MAN)

$(XCD_BIN): $(OUT)/obj/backend/main.o $(XCD_OBJS) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OUT)/obj/backend/main.o $(XCD_OBJS) \
	    $(LIB_A) $(XCD_LIBS)

$(XCD_MAN): docs/xenchanneld.pod
	@mkdir -p $(@D)
	podchecker $< >/dev/null
	pod2man --section=8 --center=xenchannel \
	    --release="xenchannel $(VERSION)" --name=XENCHANNELD $< $@

# Unit tests of the daemon's pieces: these need the daemon's objects and
# libevent, which the generic unit-test rule does not link.
XCD_UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%, \
                     $(wildcard tests/unit/test_backend_*.c))
$(XCD_UNIT_BINS): $(OUT)/tests/%: $(OUT)/obj/tests/unit/%.o $(XCD_OBJS) \
        $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(XCD_OBJS) $(LIB_A) \
	    $(call pkglibs,$(TEST_PKGS) libevent_core)

define INSTALL_XCD
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(XCD_BIN) $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(XCD_MAN) $(DESTDIR)$(MANDIR)/man8/

endef
INSTALL_EXTRA += $(INSTALL_XCD)
