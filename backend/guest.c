/*
 * guest.c - the guest side of a channel (guest.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xen/io/xenbus.h>

#include "channel.h"
#include "guest.h"
#include "log.h"
#include "relay.h"

#define STATES (XCH_GUEST_SIDE_DETACHED + 1)
#define BIT(s) (1U << (s))
/* FIFO event channels: the largest port a guest can have. */
#define PORT_MAX ((1UL << 17) - 1)
/* Bound on the steps of one update (each one changes the state). */
#define UPDATE_STEPS 8

static const unsigned int transitions[STATES] = {
    [XCH_GUEST_SIDE_INIT] =
        BIT(XCH_GUEST_SIDE_INITWAIT) | BIT(XCH_GUEST_SIDE_CONNECTED) |
        BIT(XCH_GUEST_SIDE_CLOSING) | BIT(XCH_GUEST_SIDE_CLOSED) |
        BIT(XCH_GUEST_SIDE_FAILED) | BIT(XCH_GUEST_SIDE_DETACHING) |
        BIT(XCH_GUEST_SIDE_DETACHED),
    [XCH_GUEST_SIDE_INITWAIT] =
        BIT(XCH_GUEST_SIDE_CONNECTED) | BIT(XCH_GUEST_SIDE_CLOSED) |
        BIT(XCH_GUEST_SIDE_FAILED) | BIT(XCH_GUEST_SIDE_DETACHING),
    [XCH_GUEST_SIDE_CONNECTED] =
        BIT(XCH_GUEST_SIDE_CLOSING) | BIT(XCH_GUEST_SIDE_CLOSED) |
        BIT(XCH_GUEST_SIDE_FAILED) | BIT(XCH_GUEST_SIDE_DETACHING),
    [XCH_GUEST_SIDE_CLOSING] = BIT(XCH_GUEST_SIDE_CLOSED) |
                               BIT(XCH_GUEST_SIDE_FAILED) |
                               BIT(XCH_GUEST_SIDE_DETACHING),
    [XCH_GUEST_SIDE_CLOSED] = BIT(XCH_GUEST_SIDE_INITWAIT) |
                              BIT(XCH_GUEST_SIDE_FAILED) |
                              BIT(XCH_GUEST_SIDE_DETACHING),
    [XCH_GUEST_SIDE_FAILED] =
        BIT(XCH_GUEST_SIDE_CLOSED) | BIT(XCH_GUEST_SIDE_DETACHING),
    [XCH_GUEST_SIDE_DETACHING] = BIT(XCH_GUEST_SIDE_DETACHED),
    [XCH_GUEST_SIDE_DETACHED] = 0,
};

bool xcd_guest_transition_ok(xch_guest_side from, xch_guest_side to)
{
    if ((unsigned int)from >= STATES || (unsigned int)to >= STATES)
        return false;
    return (transitions[from] & BIT(to)) != 0;
}

xch_guest_side xcd_guest_next(xch_guest_side from, xch_guest_side to,
                              bool *legal)
{
    *legal = xcd_guest_transition_ok(from, to);
    if (*legal)
        return to;
    if (xcd_guest_transition_ok(from, XCH_GUEST_SIDE_FAILED))
        return XCH_GUEST_SIDE_FAILED;
    return from;
}

void xcd_guest_init(xcd_guest *g, uint64_t now_ms)
{
    memset(g, 0, sizeof(*g));
    g->state = XCH_GUEST_SIDE_INIT;
    g->port = -1;
    g->fe_state = -1;
    g->be_state = -1;
    /* A guest rewriting its state in a loop costs a few xenstore reads a
     * second; a real handshake takes a handful of steps. */
    xcd_ratelimit_init(&g->update_rl, 20, 100, now_ms);
}

/* ---- reports ---- */

/* The guest side's last error (err malloc'd, taken; NULL is ignored). */
static void set_error(xcd_channel *c, char *err)
{
    if (!err)
        return;
    xcd_log_limited(&c->log_rl, LOG_ERR, "%s: %s", c->be, err);
    free(c->error);
    c->error = err;
}

/* Garbage from the frontend: reported once until the channel connects. */
static void bad_frontend(xcd_channel *c, char *err)
{
    if (c->guest.bad_fe_logged) {
        free(err);
        return;
    }
    c->guest.bad_fe_logged = true;
    set_error(c, err);
}

/* ---- xenstore ---- */

static char *read_fe(xcd_channel *c, const char *key)
{
    char *path = xch__sprintf("%s/%s", c->fe, key), *val = NULL;

    if (path)
        xch__xs_read(c->d->xctx, XBT_NULL, path, &val);
    free(path);
    return val;
}

static int write_be(xcd_channel *c, const char *const *keys,
                    const char *const *vals, size_t n)
{
    int rc = xch__xs_update(c->d->xctx, c->be, keys, vals, n);

    if (rc && rc != XCH_ERROR_NOTFOUND)
        xcd_log_limited(&c->log_rl, LOG_ERR, "%s: writing %s: %s", c->be,
                        keys[0], strerror(c->d->xctx->xs_errno));
    return rc;
}

static int write_be_state(xcd_channel *c, int state)
{
    static const char *const keys[] = {"state"};
    char val[4];
    const char *vals[] = {val};
    int rc;

    val[0] = (char)('0' + state);
    val[1] = '\0';
    rc = write_be(c, keys, vals, 1);
    if (!rc)
        c->guest.be_state = state;
    return rc;
}

/* Whether the frontend directory is gone (the domain was released, its
 * nodes with it). A backend that may not read the guest's console
 * directory is told "permission denied" for a node that does not exist;
 * a guest hiding its own frontend from its backend loses its channel. */
static bool fe_gone(xcd_channel *c)
{
    char *dir = NULL;
    int rc = xch__xs_read(c->d->xctx, XBT_NULL, c->fe, &dir);
    bool gone = rc ? c->d->xctx->xs_errno == EACCES : !dir;

    free(dir);
    return gone;
}

/* FE state: 0..8, or -1 if absent or garbage (*garbage set then). A
 * frontend directory that is gone altogether counts as Closed: its ring
 * is to be let go. */
static int read_fe_state(xcd_channel *c, bool *garbage)
{
    char *s = read_fe(c, "state");
    unsigned long v;
    int state = -1;

    *garbage = false;
    if (!s)
        return fe_gone(c) ? XenbusStateClosed : -1;
    if (xch__parse_ulong(s, XenbusStateReconfigured, &v)) {
        *garbage = true;
        bad_frontend(c, xch__sprintf("frontend state is not a xenbus state "
                                     "(%.32s)",
                                     s));
    } else {
        state = (int)v;
    }
    free(s);
    return state;
}

/* ---- the ring ---- */

void xcd_guest_ring_down(xcd_channel *c)
{
    xcd_guest *g = &c->guest;

    if (g->port >= 0) {
        xenevtchn_unbind(c->d->xce, (evtchn_port_t)g->port);
        xcd_registry_port_set(&c->d->reg, g->port, NULL);
    }
    g->port = -1;
    if (g->page)
        xengnttab_unmap(c->d->xgt, g->page, 1);
    g->page = NULL;
    g->ring.intf = NULL;
    g->masked = false;
}

/* What the frontend left in `out` goes to the buffer before the ring is
 * released. */
static void take_what_is_left(xcd_channel *c)
{
    xcd_relay_io io = {.ring = &c->guest.ring,
                       .out = &c->out,
                       .backlog = &c->backlog,
                       .fd = -1};
    xcd_relay_result res = {0};

    if (!c->guest.page)
        return;
    xcd_relay_out(&io, &res);
    xcd_relay_stats_add(&c->stats, &res);
    c->guest.progress += res.from_guest;
    if (res.ring_rc)
        c->ring_errors++;
}

/* Reads and checks the frontend's ring-ref and port. 1 if both are there
 * and valid, 0 if not both written yet, XCH_ERROR_INVAL if garbage
 * (reported). */
static int read_ring_keys(xcd_channel *c, uint32_t *ref, uint32_t *port)
{
    char *ref_s = read_fe(c, "ring-ref"), *port_s = read_fe(c, "port");
    unsigned long v;
    int rc;

    if (!ref_s || !port_s) {
        rc = 0;
        goto out;
    }
    if (xch__parse_ulong(ref_s, UINT32_MAX, &v)) {
        bad_frontend(c, xch__sprintf("frontend ring-ref is not a grant "
                                     "reference (%.32s)",
                                     ref_s));
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    *ref = (uint32_t)v;
    if (xch__parse_ulong(port_s, PORT_MAX, &v) || v == 0) {
        bad_frontend(c, xch__sprintf("frontend port is not an event channel "
                                     "port (%.32s)",
                                     port_s));
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    *port = (uint32_t)v;
    rc = 1;
out:
    free(ref_s);
    free(port_s);
    return rc;
}

/* Maps the ring and binds the event channel the frontend offers. 1 on
 * success, 0 if the frontend has not written both keys yet, or a negative
 * XCH_ERROR_* (reported). */
static int ring_up(xcd_channel *c)
{
    xcd_guest *g = &c->guest;
    uint32_t ref = 0, rport = 0;
    int port, rc;

    rc = read_ring_keys(c, &ref, &rport);
    if (rc <= 0)
        return rc;
    g->page = xengnttab_map_grant_ref(c->d->xgt, c->domid, ref,
                                      PROT_READ | PROT_WRITE);
    if (!g->page) {
        bad_frontend(c, xch__sprintf("mapping grant reference %u of domain "
                                     "%u: %s",
                                     ref, c->domid, strerror(errno)));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    xch_ring_attach(&g->ring, g->page, XCH_RING_BACKEND);
    port = xenevtchn_bind_interdomain(c->d->xce, c->domid, rport);
    if (port < 0) {
        bad_frontend(c, xch__sprintf("binding event channel port %u of "
                                     "domain %u: %s",
                                     rport, c->domid, strerror(errno)));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    g->port = port;
    rc = xcd_registry_port_set(&c->d->reg, port, c);
    if (rc)
        goto out;
    g->ref = ref;
    g->remote_port = rport;
    g->empty_run = 0;
    g->mask_ms = 0;
    rc = 1;
out:
    if (rc < 0)
        xcd_guest_ring_down(c);
    return rc;
}

/* ---- the machine ---- */

static void set_state(xcd_channel *c, xch_guest_side to);

/* BE Closed with the error, in one transaction: whoever sees BE Closed
 * also sees why (the status keys are otherwise published a little later,
 * coalesced). */
static void write_be_failed(xcd_channel *c)
{
    static const char *const keys[] = {XCH_BE_STATUS_ERROR, "state"};
    const char *vals[] = {c->error, "6"};

    if (!write_be(c, keys, vals, 2))
        c->guest.be_state = XenbusStateClosed;
}

static void enter_failed(xcd_channel *c)
{
    xcd_guest_ring_down(c);
    set_state(c, XCH_GUEST_SIDE_FAILED);
    write_be_failed(c);
}

static void set_state(xcd_channel *c, xch_guest_side to)
{
    xch_guest_side from = c->guest.state, next;
    bool legal;

    next = xcd_guest_next(from, to, &legal);
    if (!legal) {
        set_error(c, xch__sprintf("impossible move of the guest side from %s "
                                  "to %s; channel stopped",
                                  xch_guest_side_to_string(from),
                                  xch_guest_side_to_string(to)));
        c->guest.state = next;
        if (next == XCH_GUEST_SIDE_FAILED) {
            xcd_guest_ring_down(c);
            write_be_failed(c);
        }
        return;
    }
    xcd_log_limited(&c->log_rl, LOG_DEBUG, "%s: guest side %s -> %s", c->be,
                    xch_guest_side_to_string(from),
                    xch_guest_side_to_string(to));
    c->guest.state = next;
}

void xcd_guest_fail(xcd_channel *c, int rc, const char *what)
{
    if (rc == XCH_ERROR_RING_CORRUPT)
        c->ring_errors++;
    set_error(c, xch__sprintf("%s: %s, channel stopped", what,
                              xch_error_to_string((xch_error)rc)));
    if (c->guest.state != XCH_GUEST_SIDE_DETACHING &&
        c->guest.state != XCH_GUEST_SIDE_DETACHED &&
        c->guest.state != XCH_GUEST_SIDE_FAILED)
        enter_failed(c);
    else
        xcd_guest_ring_down(c);
}

static void connect_ring(xcd_channel *c, bool write_state)
{
    int rc = ring_up(c);

    if (rc == 0)
        return;
    if (rc < 0) {
        enter_failed(c);
        return;
    }
    if (write_state && write_be_state(c, XenbusStateConnected)) {
        xcd_guest_ring_down(c);
        return;
    }
    c->guest.bad_fe_logged = false;
    set_state(c, XCH_GUEST_SIDE_CONNECTED);
    free(c->error);
    c->error = NULL;
    xcd_log_limited(&c->log_rl, LOG_INFO,
                    "%s: guest connected (ring-ref %u, port %u)", c->be,
                    c->guest.ref, c->guest.remote_port);
}

/* The frontend went away from the ring: take what it left, release. */
static void close_ring(xcd_channel *c)
{
    take_what_is_left(c);
    xcd_guest_ring_down(c);
    if (!write_be_state(c, XenbusStateClosed))
        set_state(c, XCH_GUEST_SIDE_CLOSED);
}

static void enter_detaching(xcd_channel *c)
{
    set_state(c, XCH_GUEST_SIDE_DETACHING);
    c->guest.flush_expired = false;
    xcd_log(LOG_INFO, "%s: detach requested", c->be);
}

/* Detaching ends when the frontend is not active: Closed, gone, or never
 * probed (Initialising: a paused guest, one without the driver), which
 * has nothing to close and must not make the toolstack wait its timeout. */
static void finish_detach(xcd_channel *c, int fe_state, bool host_flushed)
{
    bool fe_inactive = fe_state < 0 || fe_state == XenbusStateClosed ||
                       fe_state == XenbusStateUnknown ||
                       fe_state == XenbusStateInitialising;

    if (!fe_inactive)
        return;
    take_what_is_left(c);
    xcd_guest_ring_down(c);
    if (!host_flushed && !c->guest.flush_expired)
        return; /* the client still gets what was buffered */
    if (!write_be_state(c, XenbusStateClosed)) {
        set_state(c, XCH_GUEST_SIDE_DETACHED);
        xcd_log(LOG_INFO, "%s: detached", c->be);
    }
}

/* On start (also after a daemon restart): take the device as BE says. */
static void adopt(xcd_channel *c, int be_state, bool online)
{
    static const char *const keys[] = {"hotplug-status", "state"};
    static const char *const vals[] = {"connected", "2"};

    if (!online) {
        if (be_state == XenbusStateClosed)
            set_state(c, XCH_GUEST_SIDE_DETACHED);
        else
            enter_detaching(c);
        return;
    }
    switch (be_state) {
    case XenbusStateInitWait:
    case XenbusStateInitialised:
        set_state(c, XCH_GUEST_SIDE_INITWAIT);
        break;
    case XenbusStateConnected:
        xcd_log(LOG_INFO, "%s: adopting a connected channel", c->be);
        connect_ring(c, false);
        break;
    case XenbusStateClosing:
        set_state(c, XCH_GUEST_SIDE_CLOSING);
        break;
    case XenbusStateClosed:
        set_state(c, XCH_GUEST_SIDE_CLOSED);
        break;
    default:
        if (!write_be(c, keys, vals, 2)) {
            c->guest.be_state = XenbusStateInitWait;
            set_state(c, XCH_GUEST_SIDE_INITWAIT);
        }
        break;
    }
}

/* One step; returns true if the state changed (another may follow). */
static bool step(xcd_channel *c, int be_state, bool online, int fe_state,
                 bool host_flushed)
{
    xch_guest_side before = c->guest.state;

    if (!online && before != XCH_GUEST_SIDE_DETACHING &&
        before != XCH_GUEST_SIDE_DETACHED && before != XCH_GUEST_SIDE_INIT) {
        enter_detaching(c);
        return true;
    }
    switch (before) {
    case XCH_GUEST_SIDE_INIT:
        adopt(c, be_state, online);
        break;
    case XCH_GUEST_SIDE_INITWAIT:
        if (fe_state == XenbusStateInitialised ||
            fe_state == XenbusStateConnected)
            connect_ring(c, true);
        else if (fe_state == XenbusStateClosed)
            close_ring(c);
        break;
    case XCH_GUEST_SIDE_CONNECTED:
        if (fe_state == XenbusStateClosing) {
            if (!write_be_state(c, XenbusStateClosing))
                set_state(c, XCH_GUEST_SIDE_CLOSING);
        } else if (fe_state == XenbusStateClosed ||
                   fe_state == XenbusStateInitialising) {
            close_ring(c);
        }
        break;
    case XCH_GUEST_SIDE_CLOSING:
        if (fe_state == XenbusStateClosed ||
            fe_state == XenbusStateInitialising)
            close_ring(c);
        break;
    case XCH_GUEST_SIDE_CLOSED:
        if (fe_state == XenbusStateInitialising ||
            fe_state == XenbusStateInitialised) {
            if (!write_be_state(c, XenbusStateInitWait))
                set_state(c, XCH_GUEST_SIDE_INITWAIT);
        }
        break;
    case XCH_GUEST_SIDE_FAILED:
        if (fe_state == XenbusStateClosed ||
            fe_state == XenbusStateInitialising)
            set_state(c, XCH_GUEST_SIDE_CLOSED);
        break;
    case XCH_GUEST_SIDE_DETACHING:
        finish_detach(c, fe_state, host_flushed);
        break;
    case XCH_GUEST_SIDE_DETACHED:
        break;
    }
    return c->guest.state != before;
}

void xcd_guest_step(xcd_channel *c, int be_state, bool online,
                    bool host_flushed)
{
    xcd_guest *g = &c->guest;
    bool garbage;
    int i;

    g->be_state = be_state;
    for (i = 0; i < UPDATE_STEPS; i++) {
        g->fe_state = read_fe_state(c, &garbage);
        if (garbage && g->state != XCH_GUEST_SIDE_DETACHING &&
            g->state != XCH_GUEST_SIDE_DETACHED) {
            if (g->state != XCH_GUEST_SIDE_FAILED &&
                g->state != XCH_GUEST_SIDE_INIT)
                enter_failed(c);
            if (g->state != XCH_GUEST_SIDE_INIT)
                break;
        }
        if (!step(c, g->be_state, online, g->fe_state, host_flushed))
            break;
    }
}

unsigned int xcd_guest_storm(xcd_guest *g)
{
    if (g->progress != g->progress_seen) {
        g->progress_seen = g->progress;
        g->empty_run = 0;
        g->mask_ms = 0;
        return 0;
    }
    if (++g->empty_run < XCD_STORM_RUN)
        return 0;
    g->empty_run = 0;
    g->mask_ms = g->mask_ms ? g->mask_ms * 2 : XCD_STORM_MASK_MIN_MS;
    if (g->mask_ms > XCD_STORM_MASK_MAX_MS)
        g->mask_ms = XCD_STORM_MASK_MAX_MS;
    g->storms++;
    return g->mask_ms;
}
