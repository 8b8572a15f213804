# Host integration for systemd: xenchanneld.service (the install paths
# filled in at install time) in SYSTEMDUNITDIR, and an example socket unit
# with the documentation.
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR         ?= $(PREFIX)/share/doc/xenchannel

# The unit names the daemon by its installed path.
systemd_service = sed 's|@SBINDIR@|$(1)|g' systemd/xenchanneld.service.in

define INSTALL_SYSTEMD
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)/examples
	$(call systemd_service,$(SBINDIR)) \
	    > $(DESTDIR)$(SYSTEMDUNITDIR)/xenchanneld.service
	install -m 0644 systemd/xenchannel@.socket $(DESTDIR)$(DOCDIR)/examples/

endef
INSTALL_EXTRA  += $(INSTALL_SYSTEMD)
# Directories only this project puts files in: make uninstall removes them
# once empty (deepest first).
UNINSTALL_DIRS += $(DOCDIR)/examples $(DOCDIR)
