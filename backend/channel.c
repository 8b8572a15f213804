/*
 * channel.c - the per-channel state machine.
 *
 * Every state change goes through set_state(), which asserts that the
 * transition is one of those in the table below. The machine follows
 * QEMU's console backend for the xenbus handshake, plus the toolstack's
 * detach (BE online=0, state=5) and error states:
 *
 *   INIT --(BE 1: hotplug-status, BE 2)--> INITWAIT
 *   INIT --(daemon restart: adopt BE 2/4/5/6 as they are)--> ...
 *   INITWAIT --(FE 3/4 with ring-ref and port: map, bind, BE 4)--> CONNECTED
 *   CONNECTED --(FE 5: BE 5)--> CLOSING
 *   CONNECTED, CLOSING --(FE 6, or FE 1: unmap, unbind, BE 6)--> CLOSED
 *   CLOSED --(FE 1 or 3 again: BE 2)--> INITWAIT
 *   any --(garbage from FE, corrupt ring: unmap, unbind, BE 6)--> ERROR
 *   ERROR --(FE 1 or 6)--> CLOSED
 *   any --(BE online=0)--> DETACHING --(FE 6, flushed: BE 6)--> DETACHED
 *   any --(BE removed, domain gone, shutdown)--> GONE
 *
 * What comes from the frontend directory (state, ring-ref, port, limit)
 * is untrusted and parsed strictly; what configures the channel (name,
 * connection, path) comes from the backend directory only.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>
#include <xen/io/xenbus.h>

#include "xenchanneld.h"

/* Storms: more than this many events in a row that move no data, within
 * one window, mask the port until the window is over (xenconsoled's
 * figures). A notification can legitimately find nothing to do (it was
 * raised while we were already moving its bytes), hence "in a row". */
#define STORM_EVENTS    30
#define STORM_WINDOW_MS 200
/* How long a detach waits for buffered output to reach the client. */
#define DETACH_FLUSH_MS 1000
/* Bound on the steps of one update (each one changes the state). */
#define UPDATE_STEPS 8

#define BIT(s) (1U << (s))

static const unsigned int transitions[XCD_STATE_COUNT] = {
    [XCD_INIT] = BIT(XCD_INITWAIT) | BIT(XCD_CONNECTED) | BIT(XCD_CLOSING) |
                 BIT(XCD_CLOSED) | BIT(XCD_ERROR) | BIT(XCD_DETACHING) |
                 BIT(XCD_DETACHED) | BIT(XCD_GONE),
    [XCD_INITWAIT] = BIT(XCD_CONNECTED) | BIT(XCD_CLOSED) | BIT(XCD_ERROR) |
                     BIT(XCD_DETACHING) | BIT(XCD_GONE),
    [XCD_CONNECTED] = BIT(XCD_CLOSING) | BIT(XCD_CLOSED) | BIT(XCD_ERROR) |
                      BIT(XCD_DETACHING) | BIT(XCD_GONE),
    [XCD_CLOSING] =
        BIT(XCD_CLOSED) | BIT(XCD_ERROR) | BIT(XCD_DETACHING) | BIT(XCD_GONE),
    [XCD_CLOSED] =
        BIT(XCD_INITWAIT) | BIT(XCD_ERROR) | BIT(XCD_DETACHING) | BIT(XCD_GONE),
    [XCD_ERROR] = BIT(XCD_CLOSED) | BIT(XCD_DETACHING) | BIT(XCD_GONE),
    [XCD_DETACHING] = BIT(XCD_DETACHED) | BIT(XCD_GONE),
    [XCD_DETACHED] = BIT(XCD_GONE),
    [XCD_GONE] = 0,
};

static const char *const state_names[XCD_STATE_COUNT] = {
    [XCD_INIT] = "init",           [XCD_INITWAIT] = "initwait",
    [XCD_CONNECTED] = "connected", [XCD_CLOSING] = "closing",
    [XCD_CLOSED] = "closed",       [XCD_ERROR] = "error",
    [XCD_DETACHING] = "detaching", [XCD_DETACHED] = "detached",
    [XCD_GONE] = "gone",
};

const char *xcd_state_name(xcd_state s)
{
    return (unsigned int)s < XCD_STATE_COUNT ? state_names[s] : "invalid";
}

bool xcd_state_transition_ok(xcd_state from, xcd_state to)
{
    if ((unsigned int)from >= XCD_STATE_COUNT ||
        (unsigned int)to >= XCD_STATE_COUNT)
        return false;
    return (transitions[from] & BIT(to)) != 0;
}

static void set_state(xcd_channel *c, xcd_state to)
{
    assert(xcd_state_transition_ok(c->state, to));
    xcd_log(LOG_DEBUG, "%s: %s -> %s", c->be, xcd_state_name(c->state),
            xcd_state_name(to));
    c->state = to;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- backend keys ---- */

static int write_be(xcd_channel *c, const char *const *keys,
                    const char *const *vals, size_t n)
{
    int rc = xcd_xs_write_keys(c->d->xs, c->be, keys, vals, n);

    if (rc && rc != XCH_ERROR_NOTFOUND)
        xcd_log(LOG_ERR, "%s: writing %s: %s", c->be, keys[0], strerror(errno));
    return rc;
}

static int write_be_state(xcd_channel *c, int state)
{
    static const char *const keys[] = {"state"};
    char val[4];
    const char *vals[] = {val};
    int rc;

    snprintf(val, sizeof(val), "%d", state);
    rc = write_be(c, keys, vals, 1);
    if (!rc)
        c->be_state = state;
    return rc;
}

bool xcd_channel_client_connected(const xcd_channel *c)
{
    return c->tp_open && c->tp.client_fd >= 0;
}

void xcd_channel_publish(xcd_channel *c)
{
    const char *keys[3], *vals[3];
    char dropped[24];
    int connected = xcd_channel_client_connected(c);
    const char *err = c->error ? c->error : "";
    char *err_copy = NULL;
    bool err_changed;
    size_t n = 0;

    if (c->state == XCD_GONE)
        return;
    if (connected != c->pub_connected) {
        keys[n] = XCH_BE_STATUS_CLIENT_CONNECTED;
        vals[n++] = connected ? "1" : "0";
    }
    if (c->buf.dropped != c->pub_dropped) {
        snprintf(dropped, sizeof(dropped), "%llu",
                 (unsigned long long)c->buf.dropped);
        keys[n] = XCH_BE_STATUS_BYTES_DROPPED;
        vals[n++] = dropped;
    }
    err_changed = strcmp(err, c->pub_error ? c->pub_error : "") != 0;
    if (err_changed) {
        if (c->error) {
            err_copy = strdup(c->error);
            if (!err_copy)
                return;
        }
        keys[n] = XCH_BE_STATUS_ERROR;
        vals[n++] = c->error; /* NULL: remove the key */
    }
    if (!n || write_be(c, keys, vals, n)) {
        free(err_copy);
        return;
    }
    c->pub_connected = connected;
    c->pub_dropped = c->buf.dropped;
    if (err_changed) {
        free(c->pub_error);
        c->pub_error = err_copy;
    }
}

/* ---- the ring ---- */

static void ring_down(xcd_channel *c)
{
    if (c->port >= 0) {
        xenevtchn_unbind(c->d->xce, (evtchn_port_t)c->port);
        xcd_daemon_port_set(c->d, c->port, NULL);
    }
    c->port = -1;
    if (c->page)
        xengnttab_unmap(c->d->xgt, c->page, 1);
    c->page = NULL;
    c->ring.intf = NULL;
    if (c->storm_ev)
        event_del(c->storm_ev);
    c->storm_masked = false;
    xcd_relay_ring_down(c);
}

/* Records err as the channel's last error and logs it. */
void xcd_channel_set_error(xcd_channel *c, char *err)
{
    if (!err)
        return;
    xcd_log(LOG_ERR, "%s: %s", c->be, err);
    free(c->error);
    c->error = err;
}

/* Garbage from the frontend: logged once until the channel connects. */
static void bad_frontend(xcd_channel *c, char *err)
{
    if (c->bad_fe_logged) {
        free(err);
        return;
    }
    c->bad_fe_logged = true;
    xcd_channel_set_error(c, err);
}

/* The error key first: whoever sees BE Closed also sees why. */
static void enter_error(xcd_channel *c)
{
    ring_down(c);
    set_state(c, XCD_ERROR);
    xcd_channel_publish(c);
    write_be_state(c, XenbusStateClosed);
}

void xcd_channel_fail(xcd_channel *c, int rc, const char *what)
{
    if (rc == XCH_ERROR_RING_CORRUPT)
        c->ring_errors++;
    xcd_channel_set_error(c, xcd_sprintf("%s: %s, channel stopped", what,
                                         xch_error_to_string((xch_error)rc)));
    if (c->state != XCD_DETACHING && c->state != XCD_DETACHED)
        enter_error(c);
    else
        ring_down(c);
}

/* Reads and checks the frontend's ring-ref and port. 1 if both are
 * there and valid, 0 if not both written yet, XCH_ERROR_INVAL if
 * garbage (reported). */
static int read_ring_keys(xcd_channel *c, uint32_t *ref, uint32_t *port)
{
    char *ref_s = xcd_xs_read(c->d->xs, c->fe, "ring-ref");
    char *port_s = xcd_xs_read(c->d->xs, c->fe, "port");
    unsigned long v;
    int rc;

    if (!ref_s || !port_s) {
        rc = 0;
        goto out;
    }
    if (xcd_parse_uint(ref_s, UINT32_MAX, &v)) {
        bad_frontend(c, xcd_sprintf("frontend ring-ref is not a grant "
                                    "reference (%.32s)",
                                    ref_s));
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    *ref = (uint32_t)v;
    if (xcd_parse_uint(port_s, XCD_PORT_MAX, &v) || v == 0) {
        bad_frontend(c, xcd_sprintf("frontend port is not an event "
                                    "channel port (%.32s)",
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

/* The frontend's `limit` bounds the buffer. */
static void apply_limit(xcd_channel *c)
{
    char *s = xcd_xs_read(c->d->xs, c->fe, "limit");
    bool clamped;
    size_t limit = xcd_parse_limit(s, &clamped);
    int64_t dropped;

    if (clamped)
        xcd_log(LOG_WARNING,
                "%s: frontend limit %.32s out of range, using "
                "%zu",
                c->fe, s ? s : "(none)", limit);
    free(s);
    dropped = xcd_buffer_set_cap(&c->buf, limit);
    if (dropped > 0)
        xcd_channel_publish(c);
}

/* Maps the ring and binds the event channel the frontend offers. 1 on
 * success, 0 if the frontend has not written both keys yet, or a negative
 * XCH_ERROR_* (reported). */
static int ring_up(xcd_channel *c)
{
    uint32_t ref = 0, rport = 0;
    int port, rc;

    rc = read_ring_keys(c, &ref, &rport);
    if (rc <= 0)
        return rc;
    c->page = xengnttab_map_grant_ref(c->d->xgt, c->domid, ref,
                                      PROT_READ | PROT_WRITE);
    if (!c->page) {
        bad_frontend(c, xcd_sprintf("mapping grant reference %u of domain "
                                    "%u: %s",
                                    ref, c->domid, strerror(errno)));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    xch_ring_attach(&c->ring, c->page, XCH_RING_BACKEND);
    port = xenevtchn_bind_interdomain(c->d->xce, c->domid, rport);
    if (port < 0) {
        bad_frontend(c, xcd_sprintf("binding event channel port %u of "
                                    "domain %u: %s",
                                    rport, c->domid, strerror(errno)));
        rc = XCH_ERROR_FAIL;
        goto out;
    }
    c->port = port;
    rc = xcd_daemon_port_set(c->d, port, c);
    if (rc)
        goto out;
    c->ref = ref;
    c->remote_port = rport;
    c->in_cons_seen = __atomic_load_n(&c->ring.intf->in_cons, __ATOMIC_RELAXED);
    apply_limit(c);
    c->storm_window_start = now_ms();
    c->storm_events = 0;
    rc = 1;
out:
    if (rc < 0)
        ring_down(c);
    return rc;
}

/* ---- the machine ---- */

/* Reads the frontend's state: 0..8, or -1 if absent or garbage
 * (*garbage set then). */
static int read_fe_state(xcd_channel *c, bool *garbage)
{
    char *s = xs_read(c->d->xs, XBT_NULL, c->fe_state_path, &(unsigned int){0});
    unsigned long v;
    int state = -1;

    *garbage = false;
    if (!s)
        return -1;
    if (xcd_parse_uint(s, XenbusStateReconfigured, &v))
        *garbage = true;
    else
        state = (int)v;
    if (*garbage)
        bad_frontend(c, xcd_sprintf("frontend state is not a xenbus "
                                    "state (%.32s)",
                                    s));
    free(s);
    return state;
}

static void connect_ring(xcd_channel *c, bool write_state)
{
    int rc = ring_up(c);

    if (rc == 0)
        return;
    if (rc < 0) {
        enter_error(c);
        return;
    }
    c->bad_fe_logged = false;
    if (write_state && write_be_state(c, XenbusStateConnected)) {
        ring_down(c);
        return;
    }
    set_state(c, XCD_CONNECTED);
    free(c->error);
    c->error = NULL;
    xcd_log(LOG_INFO, "%s: connected (ring-ref %u, port %u)", c->be, c->ref,
            c->remote_port);
    xcd_channel_publish(c);
    rc = xcd_relay_guest(c);
    if (rc < 0)
        xcd_channel_fail(c, rc, "reading the ring");
}

/* The frontend went away from the ring: take what it left, release. */
static void close_ring(xcd_channel *c)
{
    if (c->page && xcd_relay_guest(c) < 0)
        c->ring_errors++;
    ring_down(c);
    if (!write_be_state(c, XenbusStateClosed))
        set_state(c, XCD_CLOSED);
}

static void detach_expired(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    c->flush_expired = true;
    xcd_channel_update(c);
}

static void enter_detaching(xcd_channel *c)
{
    struct timeval tv = {DETACH_FLUSH_MS / 1000,
                         (DETACH_FLUSH_MS % 1000) * 1000L};

    set_state(c, XCD_DETACHING);
    xcd_log(LOG_INFO, "%s: detach requested", c->be);
    c->flush_expired = false;
    if (!c->detach_ev)
        c->detach_ev = evtimer_new(c->d->base, detach_expired, c);
    if (!c->detach_ev || evtimer_add(c->detach_ev, &tv))
        c->flush_expired = true;
}

static void finish_detach(xcd_channel *c, int fe_state)
{
    bool fe_closed = fe_state < 0 || fe_state == XenbusStateClosed ||
                     fe_state == XenbusStateUnknown;

    if (!fe_closed)
        return;
    if (c->page) {
        if (xcd_relay_guest(c) < 0)
            c->ring_errors++;
        ring_down(c);
    }
    if (c->buf.len && xcd_channel_client_connected(c) && !c->flush_expired)
        return; /* the client still gets what was buffered */
    if (c->detach_ev)
        event_del(c->detach_ev);
    xcd_relay_close(c);
    if (!write_be_state(c, XenbusStateClosed)) {
        set_state(c, XCD_DETACHED);
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
            set_state(c, XCD_DETACHED);
        else
            enter_detaching(c);
        return;
    }
    switch (be_state) {
    case XenbusStateInitWait:
    case XenbusStateInitialised:
        set_state(c, XCD_INITWAIT);
        break;
    case XenbusStateConnected:
        xcd_log(LOG_INFO, "%s: adopting a connected channel", c->be);
        connect_ring(c, false);
        break;
    case XenbusStateClosing:
        set_state(c, XCD_CLOSING);
        break;
    case XenbusStateClosed:
        set_state(c, XCD_CLOSED);
        break;
    default:
        if (!write_be(c, keys, vals, 2)) {
            c->be_state = XenbusStateInitWait;
            set_state(c, XCD_INITWAIT);
        }
        break;
    }
}

/* One step; returns true if the state changed (another step may follow). */
static bool step(xcd_channel *c, int be_state, bool online, int fe_state)
{
    xcd_state before = c->state;

    if (!online && c->state != XCD_DETACHING && c->state != XCD_DETACHED &&
        c->state != XCD_INIT) {
        enter_detaching(c);
        return true;
    }
    switch (c->state) {
    case XCD_INIT:
        adopt(c, be_state, online);
        break;
    case XCD_INITWAIT:
        if (fe_state == XenbusStateInitialised ||
            fe_state == XenbusStateConnected)
            connect_ring(c, true);
        else if (fe_state == XenbusStateClosed)
            close_ring(c);
        break;
    case XCD_CONNECTED:
        if (fe_state == XenbusStateClosing) {
            if (!write_be_state(c, XenbusStateClosing))
                set_state(c, XCD_CLOSING);
        } else if (fe_state == XenbusStateClosed ||
                   fe_state == XenbusStateInitialising) {
            close_ring(c);
        }
        break;
    case XCD_CLOSING:
        if (fe_state == XenbusStateClosed ||
            fe_state == XenbusStateInitialising)
            close_ring(c);
        break;
    case XCD_CLOSED:
        if (fe_state == XenbusStateInitialising ||
            fe_state == XenbusStateInitialised) {
            if (!write_be_state(c, XenbusStateInitWait))
                set_state(c, XCD_INITWAIT);
        }
        break;
    case XCD_ERROR:
        if (fe_state == XenbusStateClosed ||
            fe_state == XenbusStateInitialising)
            set_state(c, XCD_CLOSED);
        break;
    case XCD_DETACHING:
        finish_detach(c, fe_state);
        break;
    case XCD_DETACHED:
    case XCD_GONE:
        break;
    }
    return c->state != before;
}

bool xcd_channel_update(xcd_channel *c)
{
    char *be_dir, *be_state_s, *online_s;
    unsigned long v;
    int be_state = -1, fe_state, i;
    bool online, garbage;

    be_dir = xs_read(c->d->xs, XBT_NULL, c->be, &(unsigned int){0});
    if (!be_dir && errno == ENOENT) {
        xcd_log(LOG_INFO, "%s: removed", c->be);
        xcd_channel_destroy(c);
        return false;
    }
    free(be_dir);
    be_state_s = xcd_xs_read(c->d->xs, c->be, "state");
    online_s = xcd_xs_read(c->d->xs, c->be, "online");
    if (be_state_s && !xcd_parse_uint(be_state_s, XenbusStateReconfigured, &v))
        be_state = (int)v;
    online = !online_s || strcmp(online_s, "0") != 0;
    free(be_state_s);
    free(online_s);
    c->be_state = be_state;

    for (i = 0; i < UPDATE_STEPS; i++) {
        fe_state = read_fe_state(c, &garbage);
        c->fe_state = fe_state;
        if (garbage && c->state != XCD_DETACHING && c->state != XCD_DETACHED) {
            if (c->state != XCD_ERROR && c->state != XCD_INIT)
                enter_error(c);
            if (c->state != XCD_INIT)
                break;
        }
        if (!step(c, c->be_state, online, fe_state))
            break;
    }
    xcd_relay_rearm(c);
    return true;
}

/* ---- events from the guest ---- */

static void storm_over(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    if (!c->storm_masked || c->port < 0)
        return;
    c->storm_masked = false;
    c->storm_events = 0;
    c->storm_window_start = now_ms();
    xenevtchn_unmask(c->d->xce, (evtchn_port_t)c->port);
}

void xcd_channel_event(xcd_channel *c)
{
    struct timeval tv = {0, STORM_WINDOW_MS * 1000L};
    uint64_t now;
    int rc;

    if (!c->page)
        return;
    rc = xcd_relay_guest(c);
    if (rc < 0) {
        xcd_channel_fail(c, rc, "console ring");
        return;
    }
    if (rc > 0) {
        /* Only a run of empty events is a storm; real traffic ends it. */
        c->storm_events = 0;
        c->storm_logged = false;
    } else {
        now = now_ms();
        if (now - c->storm_window_start > STORM_WINDOW_MS) {
            c->storm_window_start = now;
            c->storm_events = 0;
        }
        if (++c->storm_events > STORM_EVENTS) {
            if (!c->storm_ev)
                c->storm_ev = evtimer_new(c->d->base, storm_over, c);
            if (c->storm_ev && !evtimer_add(c->storm_ev, &tv)) {
                if (!c->storm_logged)
                    xcd_log(LOG_WARNING,
                            "%s: event storm from the guest, "
                            "throttled",
                            c->be);
                c->storm_logged = true;
                c->storm_masked = true;
                return; /* the port stays masked until storm_over */
            }
        }
    }
    xenevtchn_unmask(c->d->xce, (evtchn_port_t)c->port);
}

/* ---- creation and destruction ---- */

/* Reads and checks the backend's configuration. 0, or XCH_ERROR_INVAL
 * with *errmsg (malloc'd, may be NULL without memory) saying why. */
static int read_config(xcd_channel *c, char **errmsg)
{
    char *conn = xcd_xs_read(c->d->xs, c->be, "connection");
    char *msg = NULL;
    int rc;

    c->name = xcd_xs_read(c->d->xs, c->be, "name");
    c->path = xcd_xs_read(c->d->xs, c->be, "path");
    if (!c->name || xch_channel_name_check(c->name, &msg)) {
        *errmsg = msg ? xcd_sprintf("backend name: %s", msg)
                      : xcd_sprintf("backend has no valid name");
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    if (conn && !strcmp(conn, "pty")) {
        c->connection = XCH_CHANNEL_CONNECTION_PTY;
    } else if (conn && !strcmp(conn, "socket")) {
        c->connection = XCH_CHANNEL_CONNECTION_SOCKET;
        if (!c->path || xch_channel_path_check(c->path, &msg)) {
            *errmsg = msg ? xcd_sprintf("backend path: %s", msg)
                          : xcd_sprintf("socket channel without a path");
            rc = XCH_ERROR_INVAL;
            goto out;
        }
    } else {
        *errmsg = xcd_sprintf("backend connection %.32s is neither pty nor "
                              "socket",
                              conn ? conn : "(none)");
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    rc = 0;
out:
    free(msg);
    free(conn);
    return rc;
}

/* Whether the device at BE is one we serve: its frontend is where it must
 * be and has type xenchanneld. */
static bool is_ours(xcd_daemon *d, const char *be, const char *fe_expected)
{
    char *fe = xcd_xs_read(d->xs, be, "frontend");
    char *type = NULL, *state = NULL;
    bool ours = false;

    if (!fe)
        goto out;
    if (strcmp(fe, fe_expected) != 0) {
        xcd_log(LOG_WARNING, "%s: frontend %.128s is not %s; ignored", be, fe,
                fe_expected);
        goto out;
    }
    type = xcd_xs_read(d->xs, fe, "type");
    ours = type && !strcmp(type, XCH_CHANNEL_TYPE);
    /* The toolstack writes BE state with everything else in one
     * transaction: without it, the device is not complete yet. */
    state = ours ? xcd_xs_read(d->xs, be, "state") : NULL;
    ours = ours && state;
out:
    free(fe);
    free(type);
    free(state);
    return ours;
}

static void channel_free(xcd_channel *c)
{
    if (!c)
        return;
    if (c->storm_ev)
        event_free(c->storm_ev);
    if (c->detach_ev)
        event_free(c->detach_ev);
    xcd_buffer_dispose(&c->buf);
    free(c->be);
    free(c->fe);
    free(c->fe_token);
    free(c->fe_state_path);
    free(c->name);
    free(c->path);
    free(c->error);
    free(c->pub_error);
    free(c);
}

xcd_channel *xcd_channel_create(xcd_daemon *d, unsigned int domid,
                                unsigned int devid)
{
    xcd_channel *c = NULL;
    char *be = NULL, *fe = NULL, *msg = NULL;

    be = xcd_sprintf("%s/%u/%u", d->be_base, domid, devid);
    fe = xcd_sprintf("/local/domain/%u/device/console/%u", domid, devid);
    if (!be || !fe)
        goto fail;
    if (!is_ours(d, be, fe))
        goto fail;
    c = calloc(1, sizeof(*c));
    if (!c)
        goto fail;
    c->d = d;
    c->domid = domid;
    c->devid = devid;
    c->be = be;
    c->fe = fe;
    be = fe = NULL;
    c->port = -1;
    c->fe_state = -1;
    c->be_state = -1;
    c->pub_connected = -1;
    c->state = XCD_INIT;
    xcd_transport_init(&c->tp, &xcd_transport_socket_ops);
    xcd_buffer_init(&c->buf, XCD_LIMIT_DEFAULT);
    if (read_config(c, &msg)) {
        xcd_log(LOG_ERR, "%s: %s; not served", c->be,
                msg ? msg : "invalid configuration");
        goto fail;
    }
    c->fe_token = xcd_sprintf("fe/%u/%u", domid, devid);
    c->fe_state_path = xcd_sprintf("%s/state", c->fe);
    if (!c->fe_token || !c->fe_state_path)
        goto fail;
    xcd_daemon_link(d, c);
    if (!xs_watch(d->xs, c->fe_state_path, c->fe_token)) {
        xcd_log(LOG_ERR, "%s: watching %s: %s", c->be, c->fe_state_path,
                strerror(errno));
        xcd_daemon_unlink(c->d, c);
        goto fail;
    }
    xcd_log(LOG_INFO, "%s: new channel", c->be);
    if (xcd_relay_open(c)) {
        set_state(c, XCD_ERROR);
        xcd_channel_publish(c);
        write_be_state(c, XenbusStateClosed);
        return c;
    }
    xcd_channel_publish(c); /* the status keys exist before the handshake */
    xcd_channel_update(c);
    return xcd_daemon_find(d, domid, devid);
fail:
    free(msg);
    free(be);
    free(fe);
    channel_free(c);
    return NULL;
}

void xcd_channel_destroy(xcd_channel *c)
{
    ring_down(c);
    xcd_relay_close(c);
    xs_unwatch(c->d->xs, c->fe_state_path, c->fe_token);
    if (c->state != XCD_GONE)
        set_state(c, XCD_GONE);
    xcd_daemon_unlink(c->d, c);
    channel_free(c);
}

int xcd_channel_status(const xcd_channel *c, xch_channel_status *st)
{
    xch_channel_status_init_connection(st, c->connection);
    st->backend = xcd_sprintf("%s", c->be);
    st->backend_id = c->d->self;
    st->frontend = xcd_sprintf("%s", c->fe);
    st->frontend_id = c->domid;
    st->devid = (int)c->devid;
    st->state = c->be_state;
    st->evtch = c->page ? (int)c->remote_port : 0;
    st->rref = c->page ? (int)c->ref : 0;
    if (c->connection == XCH_CHANNEL_CONNECTION_PTY && c->tp.endpoint)
        st->u.pty.path = strdup(c->tp.endpoint);
    else if (c->connection == XCH_CHANNEL_CONNECTION_SOCKET && c->path)
        st->u.socket.path = strdup(c->path);
    st->name = c->name ? strdup(c->name) : NULL;
    st->backend_state = c->be_state >= 0 ? (xch_xenbus_state)c->be_state
                                         : XCH_XENBUS_STATE_UNKNOWN;
    st->frontend_state = c->fe_state >= 0 ? (xch_xenbus_state)c->fe_state
                                          : XCH_XENBUS_STATE_UNKNOWN;
    st->client_connected = xcd_channel_client_connected(c);
    st->bytes_to_guest = c->bytes_to_guest;
    st->bytes_from_guest = c->bytes_from_guest;
    st->bytes_dropped = c->buf.dropped;
    st->ring_errors = c->ring_errors;
    st->error = c->error ? strdup(c->error) : NULL;
    if (!st->backend || !st->frontend || (c->name && !st->name) ||
        (c->error && !st->error))
        return XCH_ERROR_NOMEM;
    return 0;
}
