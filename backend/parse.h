/*
 * parse.h - watch paths under the daemon's backend directory.
 */
#ifndef XCD_PARSE_H
#define XCD_PARSE_H

#include <stdbool.h>

/* Splits a watch path under base ("base/D/N/rest..."): *domid and *devid
 * are -1 when the path stops before them. XCH_ERROR_INVAL if the path is
 * not under base or D/N are not numbers in range. */
int xcd_parse_be_path(const char *base, const char *path, long *domid,
                      long *devid);

/* Whether a watch path names a key of a device's BE that only the daemon
 * writes (its status keys and hotplug-status): the watch fires for the
 * daemon's own writes too, and those need no update of the channel. */
bool xcd_be_own_status_key(const char *path);

#endif
