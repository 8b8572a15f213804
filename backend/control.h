/*
 * control.h - the control socket (docs/control-protocol.md).
 */
#ifndef XCD_CONTROL_H
#define XCD_CONTROL_H

#include "daemon.h"

/* Listens on path (mode 0600). 0 or a negative XCH_ERROR_* (logged). */
int xcd_control_open(xcd_daemon *d, const char *path, xcd_control **out);
void xcd_control_close(xcd_control *ctl);

/* The daemon is stopping for a failure (why): every connection gets the
 * rest of its reply, or an error reply if it has none yet, and so does
 * every connection not accepted yet, as far as it can take it without
 * waiting. */
void xcd_control_refuse_all(xcd_control *ctl, const char *why);

/* One request (a JSON line) to its reply (malloc'd JSON, one line with
 * '\n'). *passed_fd is a descriptor that came with the request, or -1;
 * a request that uses it sets it to -1, the caller closes what is left.
 * Exposed for tests. */
char *xcd_control_handle(xcd_daemon *d, const char *request, int *passed_fd);

#endif
