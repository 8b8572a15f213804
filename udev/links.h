/*
 * The links in the guest's /dev: xen-channels/NAME (the design's name) and
 * xen-channel/NAME (upstream's xen-pv-channel(7) spelling), both pointing
 * at ../hvcN.
 */
#ifndef XCH_UDEV_LINKS_H
#define XCH_UDEV_LINKS_H

/* Points both links of name at hvc slot, replacing them atomically. */
int xch_links_make(const char *devdir, const char *name, int slot);

/* Removes both links of name where they still point at hvc slot. */
int xch_links_remove(const char *devdir, const char *name, int slot);

/* Removes every link to an hvc tty in both directories. */
void xch_links_purge(const char *devdir);

#endif
