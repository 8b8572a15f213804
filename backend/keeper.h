/*
 * keeper.h - attaching again the kept channels of a domain that was
 * built again (keeper.c).
 */
#ifndef XCD_KEEPER_H
#define XCD_KEEPER_H

#include <stdbool.h>

#include "daemon.h"

/* In domain 0: watches /vm (whose first event looks at every domain).
 * Elsewhere nothing. 0 or XCH_ERROR_NOMEM. */
int xcd_keeper_start(xcd_daemon *d);
/* Whether token is the keeper's; if so, a scan is due. */
bool xcd_keeper_event(xcd_daemon *d, const char *token);
/* A domain was introduced: a scan is due (failed attaches are retried). */
void xcd_keeper_domain_introduced(xcd_daemon *d);
/* Runs the scan that is due, once for a burst of events. */
void xcd_keeper_flush(xcd_daemon *d);
void xcd_keeper_stop(xcd_daemon *d);

#endif
