/*
 * parse.h - watch paths under the daemon's backend directory.
 */
#ifndef XCD_PARSE_H
#define XCD_PARSE_H

/* Splits a watch path under base ("base/D/N/rest..."): *domid and *devid
 * are -1 when the path stops before them. XCH_ERROR_INVAL if the path is
 * not under base or D/N are not numbers in range. */
int xcd_parse_be_path(const char *base, const char *path, long *domid,
                      long *devid);

#endif
