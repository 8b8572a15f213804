/*
 * registry.c - the daemon's channels by (domid, devid) and by port
 * (registry.h).
 */
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "registry.h"

#define TABLE_SIZE 1024
#define PORTS_MIN  64

int xcd_registry_init(xcd_registry *r)
{
    memset(r, 0, sizeof(*r));
    r->table = calloc(TABLE_SIZE, sizeof(xcd_channel *));
    if (!r->table)
        return XCH_ERROR_NOMEM;
    r->table_size = TABLE_SIZE;
    return 0;
}

void xcd_registry_dispose(xcd_registry *r)
{
    free(r->table);
    free(r->by_port);
    free(r->doms);
    memset(r, 0, sizeof(*r));
}

static size_t hash(const xcd_registry *r, unsigned int domid,
                   unsigned int devid)
{
    return (domid * 31u + devid) % r->table_size;
}

/* The count of domid's channels, NULL if it has none. */
static xcd_domain_count *domain_count(const xcd_registry *r, unsigned int domid)
{
    size_t i;

    for (i = 0; i < r->ndoms; i++)
        if (r->doms[i].domid == domid)
            return &r->doms[i];
    return NULL;
}

int xcd_registry_add(xcd_registry *r, xcd_channel *c)
{
    size_t h = hash(r, c->domid, c->devid);
    xcd_domain_count *dc = domain_count(r, c->domid), *bigger;
    bool first = !dc;

    if (first) {
        if (r->ndoms == r->doms_cap) {
            size_t cap = r->doms_cap ? r->doms_cap * 2 : 16;

            bigger = realloc(r->doms, cap * sizeof(*bigger));
            if (!bigger)
                return XCH_ERROR_NOMEM;
            r->doms = bigger;
            r->doms_cap = cap;
        }
        dc = &r->doms[r->ndoms++];
        dc->domid = c->domid;
        dc->channels = 0;
    }
    dc->channels++;
    c->next = r->list;
    r->list = c;
    c->hnext = r->table[h];
    r->table[h] = c;
    return first;
}

bool xcd_registry_remove(xcd_registry *r, xcd_channel *c)
{
    xcd_domain_count *dc = domain_count(r, c->domid);
    xcd_channel **pp;

    for (pp = &r->list; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    for (pp = &r->table[hash(r, c->domid, c->devid)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
    if (!dc || --dc->channels)
        return false;
    *dc = r->doms[--r->ndoms];
    return true;
}

xcd_channel *xcd_registry_find(const xcd_registry *r, unsigned int domid,
                               unsigned int devid)
{
    xcd_channel *c;

    for (c = r->table[hash(r, domid, devid)]; c; c = c->hnext)
        if (c->domid == domid && c->devid == devid)
            return c;
    return NULL;
}

int xcd_registry_port_set(xcd_registry *r, int port, xcd_channel *c)
{
    size_t size;
    xcd_channel **bigger;

    if (port < 0)
        return XCH_ERROR_INVAL;
    if ((size_t)port >= r->by_port_size) {
        if (!c)
            return 0;
        size = r->by_port_size ? r->by_port_size : PORTS_MIN;
        while (size <= (size_t)port)
            size *= 2;
        bigger = realloc(r->by_port, size * sizeof(xcd_channel *));
        if (!bigger)
            return XCH_ERROR_NOMEM;
        memset(bigger + r->by_port_size, 0,
               (size - r->by_port_size) * sizeof(xcd_channel *));
        r->by_port = bigger;
        r->by_port_size = size;
    }
    r->by_port[port] = c;
    return 0;
}

xcd_channel *xcd_registry_port_get(const xcd_registry *r, int port)
{
    return port >= 0 && (size_t)port < r->by_port_size ? r->by_port[port]
                                                       : NULL;
}
