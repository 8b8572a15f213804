# Man pages of the toolstack: xl-channel(1), from POD with pod2man.
XL_MAN := $(OUT)/man/xl-channel.1
PROGRAMS += $(XL_MAN)

$(XL_MAN): docs/xl-channel.pod
	@mkdir -p $(@D)
	podchecker $< >/dev/null
	pod2man --section=1 --center=xenchannel \
	    --release="xenchannel $(VERSION)" --name=XL-CHANNEL $< $@

define INSTALL_XL_MAN
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(XL_MAN) $(DESTDIR)$(MANDIR)/man1/

endef
INSTALL_EXTRA += $(INSTALL_XL_MAN)
