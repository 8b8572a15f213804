# Man pages from POD with pod2man: the toolstack's xl-channel(1), and
# xen-channels(7), the guest side of channels.
XL_MAN := $(OUT)/man/xl-channel.1
XCH7_MAN := $(OUT)/man/xen-channels.7
PROGRAMS += $(XL_MAN) $(XCH7_MAN)

$(XL_MAN): docs/xl-channel.pod
	@mkdir -p $(@D)
	podchecker $< >/dev/null
	pod2man --section=1 --center=xenchannel \
	    --release="xenchannel $(VERSION)" --name=XL-CHANNEL $< $@

$(XCH7_MAN): docs/xen-channels.pod
	@mkdir -p $(@D)
	podchecker $< >/dev/null
	pod2man --section=7 --center=xenchannel \
	    --release="xenchannel $(VERSION)" --name=XEN-CHANNELS $< $@

define INSTALL_XL_MAN
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0644 $(XL_MAN) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(XCH7_MAN) $(DESTDIR)$(MANDIR)/man7/

endef
INSTALL_EXTRA += $(INSTALL_XL_MAN)
