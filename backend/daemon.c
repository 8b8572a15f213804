/*
 * daemon.c - the event sources of xenchanneld and device discovery.
 *
 * One libevent base (epoll) watches: the xenstore handle (watch events),
 * the event channel handle (guest notifications), every channel's client
 * and listening descriptors (relay.c), the control socket and signals.
 *
 * Xenstore watches: the backend directory /local/domain/<self>/backend/
 * console (token "be"), @releaseDomain ("rel"), and each channel's FE
 * state ("fe/<D>/<N>"). A watch event names the node that changed, so an
 * event costs one lookup of the channel it concerns, whatever the number
 * of channels.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>

#include "xenchanneld.h"

#define TOKEN_BE      "be"
#define TOKEN_RELEASE "rel"
#define TOKEN_FE      "fe/"
#define TABLE_SIZE    1024
/* Events handled per wake-up before yielding to other sources. */
#define EVENTS_PER_WAKEUP 64

static size_t table_hash(const xcd_daemon *d, unsigned int domid,
                         unsigned int devid)
{
    return (domid * 31u + devid) % d->table_size;
}

void xcd_daemon_link(xcd_daemon *d, xcd_channel *c)
{
    size_t h = table_hash(d, c->domid, c->devid);

    c->next = d->channels;
    d->channels = c;
    c->hnext = d->table[h];
    d->table[h] = c;
}

void xcd_daemon_unlink(xcd_daemon *d, xcd_channel *c)
{
    size_t h = table_hash(d, c->domid, c->devid);
    xcd_channel **pp;

    for (pp = &d->channels; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    for (pp = &d->table[h]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            break;
        }
    }
}

xcd_channel *xcd_daemon_find(const xcd_daemon *d, unsigned int domid,
                             unsigned int devid)
{
    xcd_channel *c;

    for (c = d->table[table_hash(d, domid, devid)]; c; c = c->hnext)
        if (c->domid == domid && c->devid == devid)
            return c;
    return NULL;
}

int xcd_daemon_port_set(xcd_daemon *d, int port, xcd_channel *c)
{
    size_t size;
    xcd_channel **bigger;

    if (port < 0)
        return XCH_ERROR_INVAL;
    if ((size_t)port >= d->by_port_size) {
        if (!c)
            return 0;
        size = d->by_port_size ? d->by_port_size : 64;
        while (size <= (size_t)port)
            size *= 2;
        bigger = realloc(d->by_port, size * sizeof(xcd_channel *));
        if (!bigger)
            return XCH_ERROR_NOMEM;
        memset(bigger + d->by_port_size, 0,
               (size - d->by_port_size) * sizeof(xcd_channel *));
        d->by_port = bigger;
        d->by_port_size = size;
    }
    d->by_port[port] = c;
    return 0;
}

/* ---- discovery ---- */

/* The device base/domid/devid changed (or appeared). */
static void device_changed(xcd_daemon *d, unsigned int domid,
                           unsigned int devid)
{
    xcd_channel *c = xcd_daemon_find(d, domid, devid);

    if (c)
        xcd_channel_update(c);
    else
        xcd_channel_create(d, domid, devid);
}

/* Re-reads the devices of one domain: new ones are created, known ones
 * updated (which tears down those whose BE is gone). */
static void scan_domain(xcd_daemon *d, unsigned int domid)
{
    char *dir = xcd_sprintf("%s/%u", d->be_base, domid);
    char **devs = NULL;
    unsigned int i, n = 0;
    unsigned long devid;
    xcd_channel *c, *next;

    if (!dir)
        return;
    /* An update frees at most its own channel: `next` stays valid. */
    for (c = d->channels; c; c = next) {
        next = c->next;
        if (c->domid == domid)
            xcd_channel_update(c);
    }
    devs = xs_directory(d->xs, XBT_NULL, dir, &n);
    for (i = 0; devs && i < n; i++)
        if (!xcd_parse_uint(devs[i], XCD_DEVID_MAX, &devid) && devid > 0)
            device_changed(d, domid, (unsigned int)devid);
    free(devs);
    free(dir);
}

static void scan_all(xcd_daemon *d)
{
    char **doms = NULL;
    unsigned int i, n = 0;
    unsigned long domid;
    xcd_channel *c, *next;

    /* Known channels too, in case their domain vanished altogether. */
    for (c = d->channels; c; c = next) {
        next = c->next;
        xcd_channel_update(c);
    }
    doms = xs_directory(d->xs, XBT_NULL, d->be_base, &n);
    for (i = 0; doms && i < n; i++)
        if (!xcd_parse_uint(doms[i], XCD_DOMID_MAX, &domid))
            scan_domain(d, (unsigned int)domid);
    free(doms);
}

/* @releaseDomain: tear down the channels of every domain that is gone.
 * One xenstore query per domain that has channels, not per channel. */
static void domains_released(xcd_daemon *d)
{
    unsigned int *doms = NULL, n = 0, cap = 0, i;
    xcd_channel *c, *next;

    for (c = d->channels; c; c = c->next) {
        for (i = 0; i < n && doms[i] != c->domid; i++)
            ;
        if (i < n)
            continue;
        if (n == cap) {
            unsigned int *bigger;

            cap = cap ? cap * 2 : 16;
            bigger = realloc(doms, cap * sizeof(*doms));
            if (!bigger)
                break;
            doms = bigger;
        }
        doms[n++] = c->domid;
    }
    for (i = 0; i < n; i++) {
        if (xs_is_domain_introduced(d->xs, doms[i]))
            continue;
        xcd_log(LOG_INFO, "domain %u is gone: releasing its channels", doms[i]);
        for (c = d->channels; c; c = next) {
            next = c->next;
            if (c->domid == doms[i])
                xcd_channel_destroy(c);
        }
    }
    free(doms);
}

static void watch_event(xcd_daemon *d, const char *path, const char *token)
{
    unsigned long domid, devid;
    long dom, dev;
    char part[24];
    const char *slash;

    if (!strcmp(token, TOKEN_RELEASE)) {
        domains_released(d);
    } else if (!strcmp(token, TOKEN_BE)) {
        if (xcd_parse_be_path(d->be_base, path, &dom, &dev))
            return;
        if (dom < 0)
            scan_all(d);
        else if (dev < 0)
            scan_domain(d, (unsigned int)dom);
        else if (dev > 0)
            device_changed(d, (unsigned int)dom, (unsigned int)dev);
    } else if (!strncmp(token, TOKEN_FE, strlen(TOKEN_FE))) {
        /* Our own token: "fe/<domid>/<devid>". */
        token += strlen(TOKEN_FE);
        slash = strchr(token, '/');
        if (!slash || (size_t)(slash - token) >= sizeof(part))
            return;
        memcpy(part, token, (size_t)(slash - token));
        part[slash - token] = '\0';
        if (xcd_parse_uint(part, XCD_DOMID_MAX, &domid) ||
            xcd_parse_uint(slash + 1, XCD_DEVID_MAX, &devid))
            return;
        {
            xcd_channel *c =
                xcd_daemon_find(d, (unsigned int)domid, (unsigned int)devid);

            if (c)
                xcd_channel_update(c);
        }
    }
}

static void xs_readable(evutil_socket_t fd, short what, void *arg)
{
    xcd_daemon *d = arg;
    char **ev;
    int i;

    (void)fd;
    (void)what;
    for (i = 0; i < EVENTS_PER_WAKEUP && !d->stopping; i++) {
        ev = xs_check_watch(d->xs);
        if (!ev)
            break;
        watch_event(d, ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
        free(ev);
    }
}

static void evtchn_readable(evutil_socket_t fd, short what, void *arg)
{
    xcd_daemon *d = arg;
    xenevtchn_port_or_error_t port;
    xcd_channel *c;
    int i;

    (void)fd;
    (void)what;
    for (i = 0; i < EVENTS_PER_WAKEUP; i++) {
        port = xenevtchn_pending(d->xce);
        if (port < 0)
            break;
        c = (size_t)port < d->by_port_size ? d->by_port[port] : NULL;
        if (c)
            xcd_channel_event(c); /* unmasks, unless storming */
        else
            xenevtchn_unmask(d->xce, (evtchn_port_t)port);
    }
}

/* ---- start and stop ---- */

static int read_self(xcd_daemon *d)
{
    unsigned int len;
    unsigned long v;
    char *s = xs_read(d->xs, XBT_NULL, "domid", &len);
    int rc = xcd_parse_uint(s, XCD_DOMID_MAX, &v);

    free(s);
    if (rc) {
        xcd_log(LOG_ERR, "cannot read this domain's id from xenstore key "
                         "`domid`");
        return XCH_ERROR_XENSTORE;
    }
    d->self = (unsigned int)v;
    return 0;
}

int xcd_daemon_start(xcd_daemon *d, struct event_base *base,
                     const xcd_options *opts)
{
    int fd, rc;

    d->opts = opts;
    d->base = base;
    d->table_size = TABLE_SIZE;
    d->table = calloc(d->table_size, sizeof(xcd_channel *));
    if (!d->table) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    d->xs = xs_open(0);
    if (!d->xs) {
        xcd_log(LOG_ERR, "cannot connect to xenstore: %s", strerror(errno));
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    rc = read_self(d);
    if (rc)
        goto out;
    d->xce = xenevtchn_open(NULL, 0);
    d->xgt = xengnttab_open(NULL, 0);
    if (!d->xce || !d->xgt) {
        xcd_log(LOG_ERR,
                "cannot open the event channel and grant devices: "
                "%s",
                strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    fd = xenevtchn_fd(d->xce);
    if (fd < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)) {
        xcd_log(LOG_ERR, "event channel descriptor: %s", strerror(errno));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    d->be_base = xcd_sprintf("/local/domain/%u/backend/console", d->self);
    if (!d->be_base) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    if (!xs_watch(d->xs, d->be_base, TOKEN_BE) ||
        !xs_watch(d->xs, "@releaseDomain", TOKEN_RELEASE)) {
        xcd_log(LOG_ERR, "cannot watch %s and @releaseDomain: %s", d->be_base,
                strerror(errno));
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    d->xs_ev =
        event_new(base, xs_fileno(d->xs), EV_READ | EV_PERSIST, xs_readable, d);
    d->evtchn_ev =
        event_new(base, fd, EV_READ | EV_PERSIST, evtchn_readable, d);
    if (!d->xs_ev || !d->evtchn_ev || event_add(d->xs_ev, NULL) ||
        event_add(d->evtchn_ev, NULL)) {
        xcd_log(LOG_ERR, "cannot set up the event loop");
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    /* Adopt what exists (the watches' first events will find the same). */
    scan_all(d);
    rc = 0;
out:
    return rc;
}

void xcd_daemon_stop(xcd_daemon *d)
{
    d->stopping = true;
    while (d->channels)
        xcd_channel_destroy(d->channels);
    if (d->xs_ev)
        event_free(d->xs_ev);
    if (d->evtchn_ev)
        event_free(d->evtchn_ev);
    d->xs_ev = d->evtchn_ev = NULL;
    if (d->xs) {
        if (d->be_base)
            xs_unwatch(d->xs, d->be_base, TOKEN_BE);
        xs_unwatch(d->xs, "@releaseDomain", TOKEN_RELEASE);
        xs_close(d->xs);
    }
    d->xs = NULL;
    if (d->xce)
        xenevtchn_close(d->xce);
    d->xce = NULL;
    if (d->xgt)
        xengnttab_close(d->xgt);
    d->xgt = NULL;
    free(d->be_base);
    d->be_base = NULL;
    free(d->table);
    d->table = NULL;
    free(d->by_port);
    d->by_port = NULL;
    d->by_port_size = 0;
}
