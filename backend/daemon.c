/*
 * daemon.c - the event sources of xenchanneld and device discovery.
 *
 * One libevent base (epoll) watches: the xenstore handle (watch events),
 * the event channel handle (guest notifications), every channel's
 * descriptors and timers (channel.c), the control socket and signals.
 *
 * Xenstore watches: the backend directory /local/domain/<self>/backend/
 * console (token "be"), @releaseDomain ("rel") and @introduceDomain
 * ("intro") where the daemon may watch them, and the console directory of
 * each guest that has channels
 * ("fe/<D>": one per guest, as an unprivileged backend domain has a quota
 * of watches). A watch event names the node that changed, so an event
 * costs one lookup of the channel it concerns, whatever the number of
 * channels; a notification names a port, likewise.
 *
 * A channel ends when its backend directory disappears (the toolstack's
 * detach, or `xl destroy` through the /libxl copy), and its ring is let
 * go when its frontend directory disappears (a domain's nodes go when
 * xenstored releases it). @releaseDomain, which only a privileged daemon
 * (or one the toolstack let watch it) gets, ends the channels of a dead
 * domain at once.
 *
 * Devices may appear before their domain is introduced: libxl builds a
 * domain (its memory restored, for `xl restore` and an incoming migration)
 * between writing its nodes and introducing it, and the keeper
 * (keeper.c) writes the kept channels then, for a resumed guest looks for
 * its devices as soon as it runs. Until xenstored knows the domain, it
 * cannot tell a domain being built from a dead one, so a daemon that
 * learns of introductions serves those channels from the domain's
 * @introduceDomain on.
 *
 * libxenstore reads xenstored on a thread of its own and tells nothing
 * when the connection breaks; xs_check_watch then fails with an error
 * other than EAGAIN. The daemon looks at every wake-up, every second and
 * before answering a control request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "channel.h"
#include "daemon.h"
#include "events.h"
#include "keeper.h"
#include "log.h"
#include "parse.h"

#define TOKEN_BE      "be"
#define TOKEN_RELEASE "rel"
#define TOKEN_INTRO   "intro"
/* Events handled per wake-up before yielding to other sources. */
#define EVENTS_PER_WAKEUP 64
/* How often an idle daemon checks its xenstore connection. */
#define HEALTH_MS 1000

/* ---- discovery ---- */

/* Whether domid is being built: xenstored said it is not introduced (yet,
 * or any more: a dead domain's leftover devices wait the same way). Only
 * asked by a daemon that hears of introductions. */
static bool domain_being_built(xcd_daemon *d, unsigned int domid)
{
    if (!d->watch_intro)
        return false;
    errno = 0;
    if (xs_is_domain_introduced(d->xs, domid))
        return false;
    return errno == 0; /* "no", not a failed question */
}

/* Remembers that domid's devices wait for its introduction. */
static void building_add(xcd_daemon *d, unsigned int domid)
{
    unsigned int i;

    for (i = 0; i < d->nbuilding; i++)
        if (d->building[i] == domid)
            return;
    if (d->nbuilding == d->building_cap) {
        unsigned int cap = d->building_cap ? d->building_cap * 2 : 8;
        unsigned int *bigger = realloc(d->building, cap * sizeof(*bigger));

        if (!bigger) {
            xcd_log(LOG_ERR,
                    "domain %u: out of memory: its channels are "
                    "served from its next device change",
                    domid);
            return;
        }
        d->building = bigger;
        d->building_cap = cap;
    }
    d->building[d->nbuilding++] = domid;
    xcd_log(LOG_DEBUG,
            "domain %u is not introduced yet: its channels "
            "wait for it",
            domid);
}

/* The device base/domid/devid changed (or appeared). */
static void device_changed(xcd_daemon *d, unsigned int domid,
                           unsigned int devid)
{
    xcd_channel *c = xcd_registry_find(&d->reg, domid, devid);

    if (c)
        xcd_channel_update(c);
    else if (domain_being_built(d, domid))
        building_add(d, domid);
    else
        xcd_channel_create(d, domid, devid);
}

/* Re-reads the devices of one domain: new ones are created (or wait for
 * the domain's introduction), known ones updated (which tears down those
 * whose BE is gone). */
static void scan_domain(xcd_daemon *d, unsigned int domid)
{
    char *dir = xch__sprintf("%s/%u", d->be_base, domid);
    char **devs = NULL;
    unsigned int i, n = 0;
    unsigned long devid;
    xcd_channel *c, *next;
    int building = -1; /* not asked yet */

    if (!dir)
        return;
    /* An update frees at most its own channel: `next` stays valid. */
    for (c = d->reg.list; c; c = next) {
        next = c->next;
        if (c->domid == domid)
            xcd_channel_update(c);
    }
    xch__xs_directory(d->xctx, XBT_NULL, dir, &devs, &n);
    for (i = 0; i < n; i++) {
        if (xch__parse_ulong(devs[i], XCH_CHANNEL_DEVID_MAX, &devid) ||
            devid == 0)
            continue;
        if (xcd_registry_find(&d->reg, domid, (unsigned int)devid))
            continue; /* updated above */
        if (building < 0)
            building = domain_being_built(d, domid);
        if (building) {
            building_add(d, domid);
            break;
        }
        xcd_channel_create(d, domid, (unsigned int)devid);
    }
    free(devs);
    free(dir);
}

/* After an introduction or a release: the waiting domains that are
 * introduced now get their channels; those whose devices are gone are
 * forgotten. */
static void building_recheck(xcd_daemon *d)
{
    unsigned int i = 0, domid;
    char *dir, *val;

    while (i < d->nbuilding) {
        domid = d->building[i];
        dir = xch__sprintf("%s/%u", d->be_base, domid);
        val = NULL;
        if (dir && !xch__xs_read(d->xctx, XBT_NULL, dir, &val) && !val) {
            d->building[i] = d->building[--d->nbuilding]; /* gone */
        } else if (!domain_being_built(d, domid)) {
            d->building[i] = d->building[--d->nbuilding];
            scan_domain(d, domid);
        } else {
            i++;
        }
        free(val);
        free(dir);
    }
}

static void scan_all(xcd_daemon *d)
{
    char **doms = NULL;
    unsigned int i, n = 0;
    unsigned long domid;
    xcd_channel *c, *next;

    /* Known channels too, in case their domain vanished altogether. */
    for (c = d->reg.list; c; c = next) {
        next = c->next;
        xcd_channel_update(c);
    }
    xch__xs_directory(d->xctx, XBT_NULL, d->be_base, &doms, &n);
    for (i = 0; i < n; i++)
        if (!xch__parse_ulong(doms[i], XCH__DOMID_MAX, &domid))
            scan_domain(d, (unsigned int)domid);
    free(doms);
}

/* Whether domid is still there: xenstored knows it (a privileged
 * question), or, for a daemon that may not ask, its console directory
 * (which the backend may read) still exists. */
static bool domain_alive(xcd_daemon *d, unsigned int domid)
{
    char *path, *val = NULL;
    bool alive;

    errno = 0;
    if (xs_is_domain_introduced(d->xs, domid))
        return true;
    if (errno != EACCES && errno != EPERM)
        return false;
    path = xch__sprintf("/local/domain/%u/device/console", domid);
    alive = !path || xch__xs_read(d->xctx, XBT_NULL, path, &val) || val;
    free(val);
    free(path);
    return alive;
}

/* @releaseDomain: tear down the channels of every domain that is gone.
 * One xenstore query per domain that has channels, not per channel. */
static void domains_released(xcd_daemon *d)
{
    unsigned int *doms = NULL, n = 0, cap = 0, i;
    xcd_channel *c, *next;

    for (c = d->reg.list; c; c = c->next) {
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
        if (domain_alive(d, doms[i]))
            continue;
        xcd_log(LOG_INFO, "domain %u is gone: releasing its channels", doms[i]);
        for (c = d->reg.list; c; c = next) {
            next = c->next;
            if (c->domid == doms[i])
                xcd_channel_remove(c, "the domain is gone");
        }
    }
    free(doms);
}

/* A change under guest D's console directory (token "fe/<D>"): the
 * channel whose frontend directory or state it names, or every channel of
 * the guest when it names the directory itself. */
static void frontend_changed(xcd_daemon *d, const char *path, const char *token)
{
    unsigned long domid, devid;
    char prefix[64], part[16];
    const char *p;
    size_t len;
    xcd_channel *c, *next;

    if (xch__parse_ulong(token + strlen(XCD_FE_TOKEN), XCH__DOMID_MAX, &domid))
        return;
    len = (size_t)snprintf(prefix, sizeof(prefix),
                           "/local/domain/%lu/device/console", domid);
    if (strncmp(path, prefix, len) != 0 || (path[len] && path[len] != '/'))
        return;
    p = path + len;
    if (!*p) {
        for (c = d->reg.list; c; c = next) {
            next = c->next;
            if (c->domid == domid)
                xcd_channel_update(c);
        }
        return;
    }
    p++;
    len = strcspn(p, "/");
    if (len >= sizeof(part) || (p[len] && strcmp(p + len, "/state") != 0))
        return; /* ring-ref, port, ...: the state that follows tells */
    memcpy(part, p, len);
    part[len] = '\0';
    if (xch__parse_ulong(part, XCH_CHANNEL_DEVID_MAX, &devid))
        return;
    c = xcd_registry_find(&d->reg, (unsigned int)domid, (unsigned int)devid);
    if (c)
        xcd_channel_update(c);
}

static void watch_event(xcd_daemon *d, const char *path, const char *token)
{
    long dom, dev;

    if (!strcmp(token, TOKEN_RELEASE)) {
        domains_released(d);
        building_recheck(d);
    } else if (!strcmp(token, TOKEN_INTRO)) {
        building_recheck(d);
        xcd_keeper_domain_introduced(d);
    } else if (!strcmp(token, TOKEN_BE)) {
        if (xcd_parse_be_path(d->be_base, path, &dom, &dev))
            return;
        if (dom < 0)
            scan_all(d);
        else if (dev < 0)
            scan_domain(d, (unsigned int)dom);
        else if (dev > 0 && !xcd_be_own_status_key(path))
            device_changed(d, (unsigned int)dom, (unsigned int)dev);
    } else if (!strncmp(token, XCD_FE_TOKEN, strlen(XCD_FE_TOKEN))) {
        frontend_changed(d, path, token);
    } else {
        xcd_keeper_event(d, token);
    }
}

/* Handles the watch events that are waiting (a bounded number); false if
 * the connection to xenstored is gone. */
static bool drain_watches(xcd_daemon *d)
{
    char **ev;
    bool alive = true;
    int i;

    for (i = 0; i < EVENTS_PER_WAKEUP && !d->stopping; i++) {
        ev = xs_check_watch(d->xs);
        if (!ev) {
            alive = errno == EAGAIN;
            break;
        }
        watch_event(d, ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
        free(ev);
    }
    if (alive && !d->stopping)
        xcd_keeper_flush(d);
    return alive;
}

static bool xenstore_lost(xcd_daemon *d)
{
    xcd_log(LOG_ERR, "lost the connection to xenstored; stopping, for a "
                     "restarted xenchanneld to take the channels over");
    d->xenstore_lost = true;
    event_base_loopbreak(d->base);
    return false;
}

bool xcd_daemon_xenstore_alive(xcd_daemon *d)
{
    if (d->xenstore_lost)
        return false;
    return drain_watches(d) || xenstore_lost(d);
}

bool xcd_daemon_xenstore_answers(xcd_daemon *d)
{
    char *val = NULL;
    int rc;

    if (!xcd_daemon_xenstore_alive(d))
        return false;
    rc = xch__xs_read(d->xctx, XBT_NULL, "domid", &val);
    free(val);
    return !rc || xenstore_lost(d);
}

static void xs_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    xcd_daemon_xenstore_alive(arg);
}

static void health_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    xcd_daemon_xenstore_alive(arg);
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
        c = xcd_registry_port_get(&d->reg, port);
        if (c)
            xcd_channel_event(c); /* unmasks, unless storming */
        else
            xenevtchn_unmask(d->xce, (evtchn_port_t)port);
    }
}

/* ---- start and stop ---- */

static int read_self(xcd_daemon *d)
{
    char *s = NULL;
    unsigned long v;
    int rc;

    rc = xch__xs_read(d->xctx, XBT_NULL, "domid", &s);
    if (!rc)
        rc = xch__parse_ulong(s, XCH__DOMID_MAX, &v);
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
    struct timeval health = xch__timeval_ms(HEALTH_MS);
    int fd, rc;

    d->opts = opts;
    d->base = base;
    d->pool.cap = opts->buffer_total;
    rc = xcd_registry_init(&d->reg);
    if (!rc)
        rc = xcd_events_new(base, &d->events);
    if (rc)
        goto out;
    d->xs = xs_open(0);
    if (!d->xs) {
        xcd_log(LOG_ERR, "cannot connect to xenstore: %s", strerror(errno));
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    rc = xch_ctx_open_xs(&d->xctx, d->xs);
    if (rc)
        goto out;
    rc = read_self(d);
    if (rc)
        goto out;
    d->xce = xenevtchn_open(NULL, 0);
    d->xgt = xengnttab_open(NULL, 0);
    if (!d->xce || !d->xgt) {
        xcd_log(LOG_ERR, "cannot open the event channel and grant devices: %s",
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
    d->be_base = xch__sprintf("/local/domain/%u/backend/console", d->self);
    if (!d->be_base) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    if (!xs_watch(d->xs, d->be_base, TOKEN_BE)) {
        xcd_log(LOG_ERR, "cannot watch %s: %s", d->be_base, strerror(errno));
        rc = XCH_ERROR_XENSTORE;
        goto out;
    }
    /* xenstored tells dom0 (and a domain the toolstack allows) when a
     * domain goes: its channels end at once. Otherwise they end with
     * their devices, and their rings are let go with the guest's nodes. */
    d->watch_release = xs_watch(d->xs, "@releaseDomain", TOKEN_RELEASE);
    d->watch_intro = xs_watch(d->xs, "@introduceDomain", TOKEN_INTRO);
    if (d->self != 0)
        xcd_log(LOG_INFO,
                "running in domain %u: @releaseDomain reaches it "
                "only if the toolstack allows; channels end when their "
                "devices are removed",
                d->self);
    d->xs_ev =
        event_new(base, xs_fileno(d->xs), EV_READ | EV_PERSIST, xs_readable, d);
    d->evtchn_ev =
        event_new(base, fd, EV_READ | EV_PERSIST, evtchn_readable, d);
    d->health_ev = event_new(base, -1, EV_PERSIST, health_check, d);
    if (!d->xs_ev || !d->evtchn_ev || !d->health_ev ||
        event_add(d->xs_ev, NULL) || event_add(d->evtchn_ev, NULL) ||
        event_add(d->health_ev, &health)) {
        xcd_log(LOG_ERR, "cannot set up the event loop");
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    /* Adopt what exists (the watches' first events will find the same). */
    scan_all(d);
    rc = xcd_keeper_start(d);
out:
    return rc;
}

void xcd_daemon_stop(xcd_daemon *d)
{
    d->stopping = true;
    xcd_keeper_stop(d);
    while (d->reg.list)
        xcd_channel_destroy(d->reg.list);
    xcd_events_free(d->events);
    d->events = NULL;
    if (d->xs_ev)
        event_free(d->xs_ev);
    if (d->evtchn_ev)
        event_free(d->evtchn_ev);
    if (d->health_ev)
        event_free(d->health_ev);
    d->xs_ev = d->evtchn_ev = d->health_ev = NULL;
    if (d->xs) {
        if (d->be_base)
            xs_unwatch(d->xs, d->be_base, TOKEN_BE);
        if (d->watch_release)
            xs_unwatch(d->xs, "@releaseDomain", TOKEN_RELEASE);
        if (d->watch_intro)
            xs_unwatch(d->xs, "@introduceDomain", TOKEN_INTRO);
    }
    free(d->building);
    d->building = NULL;
    d->nbuilding = d->building_cap = 0;
    xch_ctx_free(d->xctx);
    d->xctx = NULL;
    if (d->xs)
        xs_close(d->xs);
    d->xs = NULL;
    if (d->xce)
        xenevtchn_close(d->xce);
    d->xce = NULL;
    if (d->xgt)
        xengnttab_close(d->xgt);
    d->xgt = NULL;
    free(d->be_base);
    d->be_base = NULL;
    xcd_registry_dispose(&d->reg);
}
