/*
 * channel.c - one channel of xenchanneld (channel.h).
 *
 * Each event of the channel ends in settle(), which derives from the two
 * states what must be watched and armed next: the host end's descriptors,
 * the retry of a failed host end, the bound on a detach, the status keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <xen/io/xenbus.h>

#include "channel.h"
#include "events.h"
#include "log.h"

/* How long a detach waits for buffered output to reach the client. */
#define DETACH_FLUSH_MS 1000
/* What a client that left may leave behind for the guest. A unix socket
 * holds about 200 KiB of unread data. */
#define BACKLOG_CAP (256U << 10)
/* Log lines a channel may cause: a burst, then one a minute on average. */
#define LOG_BURST       10
#define LOG_INTERVAL_MS 6000

static void settle(xcd_channel *c);
static bool update_now(xcd_channel *c);

/* ---- timers ---- */

static bool armed(const struct event *ev)
{
    return ev && evtimer_pending(ev, NULL);
}

/* Arms *ev (made the first time) to call cb after ms. */
static void arm(xcd_channel *c, struct event **ev, event_callback_fn cb,
                uint64_t ms)
{
    struct timeval tv = xch__timeval_ms(ms);

    if (!*ev)
        *ev = evtimer_new(c->d->base, cb, c);
    if (!*ev || evtimer_add(*ev, &tv))
        xcd_log(LOG_ERR, "%s: cannot set a timer", c->be);
}

static void timer_free(struct event **ev)
{
    if (*ev)
        event_free(*ev);
    *ev = NULL;
}

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* ---- events ---- */

int xcd_channel_describe(const xcd_channel *c, xch_channel_event *ev)
{
    ev->frontend_id = c->domid;
    ev->devid = (int)c->devid;
    ev->guest_side = c->guest.state;
    ev->host_end = c->host.state;
    ev->bytes_dropped = c->stats.dropped;
    ev->name = strdup(c->name);
    return ev->name ? 0 : XCH_ERROR_NOMEM;
}

/* Tells the event stream (if anybody listens). */
static void emit(const xcd_channel *c, xch_channel_event_kind kind,
                 const char *detail)
{
    xch_channel_event ev;

    if (!c->d->events)
        return;
    xch_channel_event_init(&ev);
    ev.event = kind;
    if (!xcd_channel_describe(c, &ev) &&
        (!detail || (ev.detail = strdup(detail))))
        xcd_events_emit(c->d->events, &ev);
    xch_channel_event_dispose(&ev);
}

/* What changed since the stream was last told, in the order it happened
 * in: a failure before the ring it took down, a client leaving before its
 * host end failing. */
static void announce(xcd_channel *c)
{
    xcd_announced *a = &c->ann;
    bool ring = c->guest.page != NULL;
    xch_host_end h = c->host.state;
    char *copy;

    if (!same(c->error, a->error)) {
        copy = c->error ? strdup(c->error) : NULL;
        if (!c->error || copy) {
            if (c->error)
                emit(c, XCH_CHANNEL_EVENT_KIND_ERROR, c->error);
            free(a->error);
            a->error = copy;
        }
    }
    if (ring != a->ring) {
        if (ring)
            emit(c, XCH_CHANNEL_EVENT_KIND_GUEST_CONNECTED, NULL);
        else if (c->guest.state != XCH_GUEST_SIDE_FAILED)
            emit(c, XCH_CHANNEL_EVENT_KIND_GUEST_CLOSED, NULL);
        a->ring = ring;
    }
    if (h != a->host_end) {
        if (a->host_end == XCH_HOST_END_CLIENT)
            emit(c, XCH_CHANNEL_EVENT_KIND_CLIENT_DISCONNECTED, NULL);
        if (h == XCH_HOST_END_CLIENT)
            emit(c, XCH_CHANNEL_EVENT_KIND_CLIENT_CONNECTED, NULL);
        else if (h == XCH_HOST_END_FAILED)
            emit(c, XCH_CHANNEL_EVENT_KIND_HOST_FAILED, c->host.error);
        else if (h == XCH_HOST_END_LISTENING &&
                 a->host_end == XCH_HOST_END_FAILED)
            emit(c, XCH_CHANNEL_EVENT_KIND_HOST_LISTENING, NULL);
        a->host_end = h;
    }
}

/* ---- status keys ---- */

static bool client_connected(const xcd_channel *c)
{
    return c->host.state == XCH_HOST_END_CLIENT;
}

static bool publish_needed(const xcd_channel *c)
{
    const xcd_published *p = &c->pub;

    return !p->valid || p->client_connected != client_connected(c) ||
           p->host_end != c->host.state ||
           !same(p->host_error, c->host.error) || !same(p->error, c->error) ||
           p->dropped != c->stats.dropped;
}

/* Writes the status keys that changed to BE, in one transaction. */
static void publish(xcd_channel *c)
{
    xcd_published *p = &c->pub;
    const char *keys[5], *vals[5];
    char dropped[24];
    char *host_error = NULL, *error = NULL;
    bool all = !p->valid;
    size_t n = 0;
    int rc;

    if (!publish_needed(c))
        return;
    if ((c->host.error && !(host_error = strdup(c->host.error))) ||
        (c->error && !(error = strdup(c->error))))
        goto out;
    if (all || p->client_connected != client_connected(c)) {
        keys[n] = XCH_BE_STATUS_CLIENT_CONNECTED;
        vals[n++] = client_connected(c) ? "1" : "0";
    }
    if (all || p->host_end != c->host.state) {
        keys[n] = XCH_BE_STATUS_HOST_END;
        vals[n++] = xch_host_end_to_string(c->host.state);
    }
    if (all || !same(p->host_error, c->host.error)) {
        keys[n] = XCH_BE_STATUS_HOST_ERROR;
        vals[n++] = c->host.error; /* NULL: remove the key */
    }
    if (all || !same(p->error, c->error)) {
        keys[n] = XCH_BE_STATUS_ERROR;
        vals[n++] = c->error;
    }
    if (all || p->dropped != c->stats.dropped) {
        snprintf(dropped, sizeof(dropped), "%llu",
                 (unsigned long long)c->stats.dropped);
        keys[n] = XCH_BE_STATUS_BYTES_DROPPED;
        vals[n++] = dropped;
    }
    rc = xch__xs_update(c->d->xctx, c->be, keys, vals, n);
    c->published_ms = xch__now_ms();
    if (rc) {
        if (rc != XCH_ERROR_NOTFOUND)
            xcd_log_limited(&c->log_rl, LOG_ERR, "%s: writing the status: %s",
                            c->be, strerror(c->d->xctx->xs_errno));
        goto out;
    }
    p->valid = true;
    p->client_connected = client_connected(c);
    p->host_end = c->host.state;
    p->dropped = c->stats.dropped;
    free(p->host_error);
    p->host_error = host_error;
    host_error = NULL;
    free(p->error);
    p->error = error;
    error = NULL;
out:
    free(host_error);
    free(error);
}

static void publish_due(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    publish(c);
    settle(c); /* a failed write is tried again */
}

/* Status changes reach BE coalesced: at most one write every
 * XCD_PUBLISH_MIN_MS, whatever the traffic. */
static void schedule_publish(xcd_channel *c)
{
    uint64_t now, due;

    if (!publish_needed(c) || armed(c->publish_ev))
        return;
    now = xch__now_ms();
    due = c->published_ms + XCD_PUBLISH_MIN_MS;
    arm(c, &c->publish_ev, publish_due, due > now ? due - now : 0);
}

/* ---- the host end's descriptors ---- */

static void want(struct event *ev, bool *on, bool yes)
{
    if (!ev || *on == yes)
        return;
    if (yes ? event_add(ev, NULL) : event_del(ev))
        return;
    *on = yes;
}

static void client_events_free(xcd_channel *c)
{
    timer_free(&c->read_ev);
    timer_free(&c->write_ev);
    timer_free(&c->closed_ev);
    timer_free(&c->hup_ev);
    c->reading = c->writing = c->watching_close = c->watching_hup = false;
}

static void host_events_free(xcd_channel *c)
{
    client_events_free(c);
    timer_free(&c->wait_ev);
    c->waiting = false;
}

static void client_event(evutil_socket_t fd, short what, void *arg);
static void client_closed(evutil_socket_t fd, short what, void *arg);
static void client_hup(evutil_socket_t fd, short what, void *arg);
static void wait_event(evutil_socket_t fd, short what, void *arg);

static void client_events_new(xcd_channel *c)
{
    struct event_base *base = c->d->base;
    int fd = c->host.tp.client_fd;

    c->read_ev = event_new(base, fd, EV_READ | EV_PERSIST, client_event, c);
    c->write_ev = event_new(base, fd, EV_WRITE | EV_PERSIST, client_event, c);
    if (c->host.tp.ops->closed_event) {
        c->closed_ev =
            event_new(base, fd, EV_CLOSED | EV_PERSIST, client_closed, c);
        /* Edge-triggered: after the client's input ended, its socket stays
         * readable (EOF); only its full close is news. */
        c->hup_ev =
            event_new(base, fd, EV_READ | EV_ET | EV_PERSIST, client_hup, c);
    }
    if (!c->read_ev || !c->write_ev ||
        (c->host.tp.ops->closed_event && (!c->closed_ev || !c->hup_ev)))
        xcd_log(LOG_ERR, "%s: out of memory for the client's events", c->be);
}

static void wait_event_new(xcd_channel *c)
{
    c->wait_ev = event_new(c->d->base, c->host.tp.wait_fd, EV_READ | EV_PERSIST,
                           wait_event, c);
    if (!c->wait_ev)
        xcd_log(LOG_ERR, "%s: out of memory for the endpoint's event", c->be);
}

/* Watches what the states ask for: clients arriving; the client's
 * input while the ring has room; its output while some waits; the end of
 * its input while it is not read; its full close once its input ended. */
static void rearm(xcd_channel *c)
{
    bool client = client_connected(c) && c->read_ev;
    bool listening = c->host.state == XCH_HOST_END_LISTENING;
    bool input = client && !c->host.read_done, reading = false;
    size_t room = 0;

    if (input && c->guest.page && !c->backlog.len &&
        !xch_ring_writable(&c->guest.ring, &room) && room > 0)
        reading = true;
    want(c->wait_ev, &c->waiting,
         listening || (client && c->host.tp.ops->wait_while_client));
    want(c->read_ev, &c->reading, reading);
    want(c->write_ev, &c->writing, client && c->out.len && !c->host.write_dead);
    want(c->closed_ev, &c->watching_close, input && !reading);
    want(c->hup_ev, &c->watching_hup, client && c->host.read_done);
}

/* ---- bytes ---- */

/* The client stopped taking output, or the guest's output outgrew the
 * bound (an episode lasts until the buffer has drained). */
static void report_output(xcd_channel *c, const xcd_relay_result *res)
{
    if (res->write_failed && !c->host.write_dead) {
        c->host.write_dead = true;
        xcd_log_limited(&c->log_rl, LOG_INFO,
                        "%s: the client does not read any more; output is "
                        "kept for the next one",
                        c->be);
    }
    if (res->dropped && !c->dropping) {
        c->dropping = true;
        xcd_log_limited(&c->log_rl, LOG_WARNING,
                        "%s: the client does not keep up: past %zu buffered "
                        "bytes, the oldest output is dropped",
                        c->be, c->out.cap);
        emit(c, XCH_CHANNEL_EVENT_KIND_DROPPING, NULL);
    } else if (c->dropping && !c->out.len) {
        c->dropping = false;
        xcd_log_limited(&c->log_rl, LOG_WARNING,
                        "%s: buffer drained; %llu bytes of output dropped so "
                        "far",
                        c->be, (unsigned long long)c->stats.dropped);
        emit(c, XCH_CHANNEL_EVENT_KIND_DRAINED, NULL);
    }
    if (res->dropped_to_guest)
        xcd_log_limited(&c->log_rl, LOG_WARNING,
                        "%s: a client left %llu bytes more than the guest "
                        "can be kept; dropped",
                        c->be, (unsigned long long)res->dropped_to_guest);
}

/* Takes a relay result into the channel: counters, the guest's
 * notification, the guest side's failure. */
static void account(xcd_channel *c, const xcd_relay_result *res)
{
    xcd_relay_stats_add(&c->stats, res);
    c->guest.progress += res->from_guest + res->to_guest + res->freed;
    if (xcd_relay_moved(res) && c->guest.port >= 0)
        xenevtchn_notify(c->d->xce, (evtchn_port_t)c->guest.port);
    if (res->ring_rc)
        xcd_guest_fail(c, res->ring_rc, "console ring");
    report_output(c, res);
}

static xcd_relay_io relay_io(xcd_channel *c)
{
    bool client = client_connected(c);
    xcd_relay_io io = {
        .ring = c->guest.page ? &c->guest.ring : NULL,
        .out = &c->out,
        .backlog = &c->backlog,
        .fd = client ? c->host.tp.client_fd : -1,
        .may_write = xcd_host_may_write(&c->host),
        .may_read = client,
    };

    return io;
}

/* Takes the next waiting client, if any. */
static void accept_next(xcd_channel *c)
{
    char *msg = NULL;
    int r;

    if (c->host.state != XCH_HOST_END_LISTENING)
        return;
    r = xcd_host_accept(c, &msg);
    if (r == 1) {
        client_events_new(c);
    } else if (r < 0) {
        host_events_free(c);
        xcd_host_fail(c, msg);
    }
}

/* The client has gone: what it sent goes to the guest (or waits for it),
 * then the next client's turn. */
static void client_left(xcd_channel *c)
{
    xcd_relay_io io = relay_io(c);
    xcd_relay_result res = {0};

    if (!client_connected(c))
        return;
    io.may_write = false;
    xcd_relay_leftover(&io, &res);
    account(c, &res);
    client_events_free(c);
    xcd_host_drop_client(c);
    accept_next(c);
}

/* The client sent its last byte: what it left is read to the end (for
 * the guest); a client that closed entirely, or does not read either, has
 * gone; one that still reads (it waits for its answer) stays. */
static void client_input_ended(xcd_channel *c)
{
    xcd_relay_io io = relay_io(c);
    xcd_relay_result res = {0};

    if (!client_connected(c))
        return;
    if (!c->host.read_done) {
        io.may_write = false;
        xcd_relay_leftover(&io, &res);
        account(c, &res);
        c->host.read_done = true;
    }
    if (c->host.write_dead || c->host.tp.ops->gone(&c->host.tp))
        client_left(c);
}

/* Moves what can move, both ways. */
static void pump(xcd_channel *c)
{
    xcd_relay_io io = relay_io(c);
    xcd_relay_result res = {0};

    io.may_read = io.may_read && !c->host.read_done;
    xcd_relay_out(&io, &res);
    if (!res.ring_rc)
        xcd_relay_in(&io, &res);
    account(c, &res);
    if (res.client_error)
        client_left(c);
    else if (res.client_eof || (c->host.read_done && c->host.write_dead))
        client_input_ended(c);
}

/* ---- events ---- */

static void client_event(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    pump(c);
    settle(c);
}

static void client_closed(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    client_input_ended(c);
    settle(c);
}

static void client_hup(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    if (c->host.tp.ops->gone(&c->host.tp))
        client_left(c);
    settle(c);
}

static void wait_event(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;
    bool had_client = client_connected(c);
    char *msg = NULL;
    int r;

    (void)fd;
    (void)what;
    r = xcd_host_accept(c, &msg);
    if (r == 1 && !had_client) {
        client_events_new(c);
        pump(c); /* what was buffered goes first */
    } else if (r == 0 && had_client) {
        client_left(c);
    } else if (r < 0) {
        host_events_free(c);
        xcd_host_fail(c, msg);
    }
    settle(c);
}

static void retry_due(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    if (c->host.state == XCH_HOST_END_FAILED && !xcd_host_open(c)) {
        wait_event_new(c);
        accept_next(c);
    }
    settle(c);
}

static void storm_over(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    if (!c->guest.masked || c->guest.port < 0)
        return;
    c->guest.masked = false;
    xenevtchn_unmask(c->d->xce, (evtchn_port_t)c->guest.port);
    pump(c);
    settle(c);
}

static void detach_expired(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;

    (void)fd;
    (void)what;
    c->guest.flush_expired = true;
    update_now(c); /* may free c */
}

static void update_due(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    update_now(arg); /* may free the channel */
}

void xcd_channel_event(xcd_channel *c)
{
    xcd_guest *g = &c->guest;
    unsigned int mask_ms;

    if (!g->page)
        return;
    pump(c);
    if (g->port >= 0) {
        mask_ms = xcd_guest_storm(g);
        if (mask_ms) {
            g->masked = true;
            arm(c, &c->storm_ev, storm_over, mask_ms);
            xcd_log_limited(&c->log_rl, LOG_WARNING,
                            "%s: event storm from the guest: its events are "
                            "held back for %u ms",
                            c->be, mask_ms);
        } else {
            xenevtchn_unmask(c->d->xce, (evtchn_port_t)g->port);
        }
    }
    settle(c);
}

/* ---- the two machines together ---- */

/* Nothing is left for the client to take (a detach may complete). */
static bool host_flushed(const xcd_channel *c)
{
    return !c->out.len || !xcd_host_may_write(&c->host);
}

static bool fe_closed(int fe_state)
{
    return fe_state < 0 || fe_state == XenbusStateClosed ||
           fe_state == XenbusStateUnknown;
}

static void settle(xcd_channel *c)
{
    xcd_guest *g = &c->guest;

    if (g->state == XCH_GUEST_SIDE_DETACHING) {
        if (!armed(c->detach_ev) && !g->flush_expired)
            arm(c, &c->detach_ev, detach_expired, DETACH_FLUSH_MS);
        if (host_flushed(c) && fe_closed(g->fe_state) && !armed(c->update_ev))
            arm(c, &c->update_ev, update_due, 0);
    } else if (armed(c->detach_ev)) {
        evtimer_del(c->detach_ev);
    }
    if (g->state == XCH_GUEST_SIDE_DETACHED &&
        c->host.state != XCH_HOST_END_CLOSED) {
        host_events_free(c);
        xcd_host_close(c);
    }
    if (c->host.state == XCH_HOST_END_FAILED &&
        g->state != XCH_GUEST_SIDE_DETACHED && !armed(c->retry_ev))
        arm(c, &c->retry_ev, retry_due, xcd_host_backoff(&c->host));
    rearm(c);
    schedule_publish(c);
    announce(c);
}

/* Re-reads BE and FE and moves the guest side. Returns false if the
 * channel was torn down and freed. */
static bool update_now(xcd_channel *c)
{
    char *dir = NULL, *state_s = NULL, *online_s = NULL, *path;
    unsigned long v;
    int be_state = -1, rc;
    bool online;

    rc = xch__xs_read(c->d->xctx, XBT_NULL, c->be, &dir);
    if (!rc && !dir) {
        xcd_log(LOG_INFO, "%s: removed", c->be);
        xcd_channel_remove(c, "removed");
        return false;
    }
    free(dir);
    if ((path = xch__sprintf("%s/state", c->be))) {
        xch__xs_read(c->d->xctx, XBT_NULL, path, &state_s);
        free(path);
    }
    if ((path = xch__sprintf("%s/online", c->be))) {
        xch__xs_read(c->d->xctx, XBT_NULL, path, &online_s);
        free(path);
    }
    if (state_s && !xch__parse_ulong(state_s, XenbusStateReconfigured, &v))
        be_state = (int)v;
    online = !online_s || strcmp(online_s, "0") != 0;
    free(state_s);
    free(online_s);

    /* We left it Closed; only a toolstack writes Initialising: the device
     * was removed and created anew before we looked (a detach and an
     * attach of the same devid in quick succession). */
    if (c->guest.state == XCH_GUEST_SIDE_DETACHED &&
        be_state == XenbusStateInitialising) {
        xcd_daemon *d = c->d;
        unsigned int domid = c->domid, devid = c->devid;

        xcd_log(LOG_INFO, "%s: removed and created again", c->be);
        xcd_channel_remove(c, "removed");
        xcd_channel_create(d, domid, devid);
        return false;
    }

    xcd_guest_step(c, be_state, online, host_flushed(c));
    if (c->guest.page)
        pump(c); /* what the ring holds: after a connect or an adoption */
    settle(c);
    return true;
}

bool xcd_channel_update(xcd_channel *c)
{
    xcd_guest *g = &c->guest;
    uint64_t now = xch__now_ms();

    if (!xcd_ratelimit_take(&g->update_rl, now)) {
        if (!armed(c->update_ev))
            arm(c, &c->update_ev, update_due,
                xcd_ratelimit_wait_ms(&g->update_rl, now));
        return true;
    }
    return update_now(c);
}

int xcd_channel_take_listener(xcd_channel *c, int fd, char **errmsg)
{
    host_events_free(c);
    if (xcd_host_take_listener(c, fd, errmsg)) {
        settle(c);
        return XCH_ERROR_INVAL;
    }
    wait_event_new(c);
    accept_next(c);
    settle(c);
    return 0;
}

/* ---- creation and destruction ---- */

static char *read_be(xcd_channel *c, const char *key)
{
    char *path = xch__sprintf("%s/%s", c->be, key), *val = NULL;

    if (path)
        xch__xs_read(c->d->xctx, XBT_NULL, path, &val);
    free(path);
    return val;
}

/* The buffer's bound: BE `limit` (the spec's limit=), else the daemon's
 * default. */
static size_t read_limit(xcd_channel *c)
{
    char *s = read_be(c, "limit");
    unsigned long v;
    size_t limit = c->d->opts->buffer_limit;

    if (s && (xch__parse_ulong(s, XCH_CHANNEL_LIMIT_MAX, &v) ||
              v < XCH_CHANNEL_LIMIT_MIN))
        xcd_log(LOG_WARNING,
                "%s: limit %.32s is not a size in %lu..%lu; "
                "using %zu",
                c->be, s, XCH_CHANNEL_LIMIT_MIN, XCH_CHANNEL_LIMIT_MAX, limit);
    else if (s)
        limit = v;
    free(s);
    return limit;
}

/* Reads and checks the backend's configuration. 0, or XCH_ERROR_INVAL
 * with *errmsg (malloc'd, may be NULL without memory) saying why. */
static int read_config(xcd_channel *c, char **errmsg)
{
    char *conn = read_be(c, "connection");
    char *msg = NULL;
    int rc;

    c->name = read_be(c, "name");
    c->path = read_be(c, "path");
    if (!c->name || xch_channel_name_check(c->name, &msg)) {
        rc = xch__error(errmsg, XCH_ERROR_INVAL, "backend name: %s",
                        msg ? msg : "missing");
        goto out;
    }
    if (conn && !strcmp(conn, "pty")) {
        c->connection = XCH_CHANNEL_CONNECTION_PTY;
    } else if (conn && !strcmp(conn, "socket")) {
        c->connection = XCH_CHANNEL_CONNECTION_SOCKET;
        if (!c->path || xch_channel_path_check(c->path, &msg)) {
            rc = xch__error(errmsg, XCH_ERROR_INVAL, "backend path: %s",
                            msg ? msg : "a socket channel needs one");
            goto out;
        }
    } else {
        rc = xch__error(errmsg, XCH_ERROR_INVAL,
                        "backend connection %.32s is neither pty nor socket",
                        conn ? conn : "(none)");
        goto out;
    }
    c->limit = read_limit(c);
    rc = 0;
out:
    free(msg);
    free(conn);
    return rc;
}

/* Starts or stops watching the guest's console directory, where the
 * frontends of all its channels are. */
static bool guest_watch(const xcd_channel *c, bool on)
{
    char *path = xch__sprintf("/local/domain/%u/device/console", c->domid);
    char *token = xch__sprintf(XCD_FE_TOKEN "%u", c->domid);
    bool ok = path && token &&
              (on ? xs_watch(c->d->xs, path, token)
                  : xs_unwatch(c->d->xs, path, token));

    if (!ok && on)
        xcd_log(LOG_ERR, "%s: watching %s: %s", c->be, path ? path : "",
                strerror(errno));
    free(path);
    free(token);
    return ok;
}

/* Whether the device at be is one we serve: its frontend is where it must
 * be and has type xenchanneld, and the toolstack has written BE state
 * (last, in the same transaction as everything else). */
static bool is_ours(xcd_daemon *d, const char *be, const char *fe_expected)
{
    char *path = NULL, *fe = NULL, *type = NULL, *state = NULL;
    bool ours = false;

    path = xch__sprintf("%s/frontend", be);
    if (!path || xch__xs_read(d->xctx, XBT_NULL, path, &fe) || !fe)
        goto out;
    if (strcmp(fe, fe_expected) != 0) {
        xcd_log(LOG_WARNING, "%s: frontend %.128s is not %s; ignored", be, fe,
                fe_expected);
        goto out;
    }
    free(path);
    path = xch__sprintf("%s/type", fe);
    if (!path || xch__xs_read(d->xctx, XBT_NULL, path, &type) || !type ||
        strcmp(type, XCH_CHANNEL_TYPE) != 0)
        goto out;
    free(path);
    path = xch__sprintf("%s/state", be);
    ours = path && !xch__xs_read(d->xctx, XBT_NULL, path, &state) && state;
out:
    free(path);
    free(fe);
    free(type);
    free(state);
    return ours;
}

static void channel_free(xcd_channel *c)
{
    host_events_free(c);
    timer_free(&c->retry_ev);
    timer_free(&c->storm_ev);
    timer_free(&c->detach_ev);
    timer_free(&c->publish_ev);
    timer_free(&c->update_ev);
    xcd_buffer_dispose(&c->out);
    xcd_buffer_dispose(&c->backlog);
    free(c->be);
    free(c->fe);
    free(c->name);
    free(c->path);
    free(c->error);
    free(c->host.error);
    free(c->pub.host_error);
    free(c->pub.error);
    free(c->ann.error);
    free(c);
}

xcd_channel *xcd_channel_create(xcd_daemon *d, unsigned int domid,
                                unsigned int devid)
{
    uint64_t now = xch__now_ms();
    xcd_channel *c = NULL;
    char *be = NULL, *fe = NULL, *msg = NULL;
    int first;

    be = xch__sprintf("%s/%u/%u", d->be_base, domid, devid);
    fe = xch__sprintf("/local/domain/%u/device/console/%u", domid, devid);
    if (!be || !fe || !is_ours(d, be, fe))
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
    xcd_guest_init(&c->guest, now);
    xcd_host_init(&c->host);
    xcd_ratelimit_init(&c->log_rl, LOG_BURST, LOG_INTERVAL_MS, now);
    if (read_config(c, &msg)) {
        xcd_log(LOG_ERR, "%s: %s; not served", c->be,
                msg ? msg : "invalid configuration");
        goto fail;
    }
    xcd_buffer_init(&c->out, c->limit, &d->pool);
    xcd_buffer_init(&c->backlog, BACKLOG_CAP, NULL);
    first = xcd_registry_add(&d->reg, c);
    if (first < 0)
        goto fail;
    if (first && !guest_watch(c, true)) {
        xcd_registry_remove(&d->reg, c);
        goto fail;
    }
    xcd_log(LOG_INFO, "%s: new channel %s (%s)", c->be, c->name,
            xch_channel_connection_to_string(c->connection));
    if (!xcd_host_open(c)) {
        wait_event_new(c);
        accept_next(c);
    }
    publish(c); /* the status keys exist before the handshake */
    emit(c, XCH_CHANNEL_EVENT_KIND_ATTACHED, NULL);
    announce(c); /* the host end as it was made, before the handshake */
    if (!update_now(c))
        return NULL;
    return c;
fail:
    free(msg);
    free(be);
    free(fe);
    if (c)
        channel_free(c);
    return NULL;
}

void xcd_channel_remove(xcd_channel *c, const char *why)
{
    emit(c, XCH_CHANNEL_EVENT_KIND_DETACHED, why);
    xcd_channel_destroy(c);
}

void xcd_channel_destroy(xcd_channel *c)
{
    xcd_guest_ring_down(c);
    host_events_free(c);
    xcd_host_close(c);
    if (xcd_registry_remove(&c->d->reg, c))
        guest_watch(c, false);
    channel_free(c);
}

int xcd_channel_status(const xcd_channel *c, xch_channel_status *st)
{
    const xcd_guest *g = &c->guest;

    xch_channel_status_init_connection(st, c->connection);
    st->backend = strdup(c->be);
    st->backend_id = c->d->self;
    st->frontend = strdup(c->fe);
    st->frontend_id = c->domid;
    st->devid = (int)c->devid;
    st->state = g->be_state;
    st->evtch = g->page ? (int)g->remote_port : 0;
    st->rref = g->page ? (int)g->ref : 0;
    if (c->connection == XCH_CHANNEL_CONNECTION_PTY && c->host.tp.endpoint)
        st->u.pty.path = strdup(c->host.tp.endpoint);
    else if (c->connection == XCH_CHANNEL_CONNECTION_SOCKET)
        st->u.socket.path = strdup(c->path);
    st->name = strdup(c->name);
    st->backend_state = g->be_state >= 0 ? (xch_xenbus_state)g->be_state
                                         : XCH_XENBUS_STATE_UNKNOWN;
    st->frontend_state = g->fe_state >= 0 ? (xch_xenbus_state)g->fe_state
                                          : XCH_XENBUS_STATE_UNKNOWN;
    st->client_connected = client_connected(c);
    st->bytes_to_guest = c->stats.to_guest;
    st->bytes_from_guest = c->stats.from_guest;
    st->bytes_dropped = c->stats.dropped;
    st->ring_errors = c->ring_errors;
    st->error = c->error ? strdup(c->error) : NULL;
    st->guest_side = g->state;
    st->host_end = c->host.state;
    st->host_error = c->host.error ? strdup(c->host.error) : NULL;
    st->buffered = c->out.len;
    st->limit = c->limit;
    st->bytes_dropped_to_guest = c->stats.dropped_to_guest;
    st->storms = g->storms;
    if (!st->backend || !st->frontend || !st->name ||
        (c->error && !st->error) || (c->host.error && !st->host_error))
        return XCH_ERROR_NOMEM;
    return 0;
}
