/*
 * registry.h - every channel of the daemon, found by guest and devid (a
 * xenstore watch names both) and by local event channel port (a guest
 * notification names the port): each lookup costs the same whatever the
 * number of channels.
 */
#ifndef XCD_REGISTRY_H
#define XCD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct xcd_channel xcd_channel;

/* How many channels a guest has. */
typedef struct xcd_domain_count {
    unsigned int domid;
    unsigned int channels;
} xcd_domain_count;

typedef struct xcd_registry {
    xcd_channel *list;      /* every channel, through c->next */
    xcd_domain_count *doms; /* the guests that have channels */
    size_t ndoms, doms_cap;
    xcd_channel **table; /* hash of (domid, devid), through c->hnext */
    size_t table_size;
    xcd_channel **by_port; /* local port -> channel */
    size_t by_port_size;
} xcd_registry;

/* 0 or XCH_ERROR_NOMEM. */
int xcd_registry_init(xcd_registry *r);
/* Frees the tables (not the channels). */
void xcd_registry_dispose(xcd_registry *r);

/* Adds c: 1 if it is its guest's first channel, 0 if not, or
 * XCH_ERROR_NOMEM (nothing added). */
int xcd_registry_add(xcd_registry *r, xcd_channel *c);
/* Removes c: whether it was its guest's last channel. */
bool xcd_registry_remove(xcd_registry *r, xcd_channel *c);
xcd_channel *xcd_registry_find(const xcd_registry *r, unsigned int domid,
                               unsigned int devid);

/* Records c (NULL: nobody) as the owner of local port. 0, or
 * XCH_ERROR_INVAL / XCH_ERROR_NOMEM. */
int xcd_registry_port_set(xcd_registry *r, int port, xcd_channel *c);
xcd_channel *xcd_registry_port_get(const xcd_registry *r, int port);

#endif
