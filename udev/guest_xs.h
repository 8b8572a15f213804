/* What the guest's udev helper reads from xenstore, as the guest. */
#ifndef XCH_UDEV_GUEST_XS_H
#define XCH_UDEV_GUEST_XS_H

#include <stddef.h>

/*
 * The name of the channel behind console-N: its sysfs attribute nodename,
 * then <nodename>/name from xenstore, checked. malloc'd; NULL after
 * logging what is wrong.
 */
char *xch_guest_channel_name(const char *sysfs, const char *kernel);

/*
 * device/console as xenstore lists it (the order the kernel probes it in
 * at boot), as devids; entries that are not devids are left out. Sets *n;
 * 0, or -1 after logging.
 */
int xch_guest_console_listing(int *devids, size_t max, size_t *n);

#endif
