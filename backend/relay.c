/*
 * relay.c - moving a channel's bytes.
 *
 * Guest -> host: the `out` ring is always drained. Bytes go straight from
 * the ring to the client when it takes them and nothing older waits;
 * otherwise into the channel's bounded buffer, which the client gets
 * first when it can take more (or when the next client connects). Past
 * the bound the oldest bytes are dropped, counted, and logged once per
 * episode (an episode ends when the buffer has drained).
 *
 * Host -> guest: the client is read only while the `in` ring has room,
 * straight into the ring; when it is full we stop reading (the client
 * feels backpressure) until the guest's next notification.
 *
 * The guest is notified after publishing an index, only when bytes moved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "xenchanneld.h"

static void client_detach(xcd_channel *c);

static void notify_guest(xcd_channel *c)
{
    if (c->port >= 0)
        xenevtchn_notify(c->d->xce, (evtchn_port_t)c->port);
}

/* A write to the client failed for good, or the client hung up. */
static bool client_write_failed(ssize_t r)
{
    return r < 0 && errno != EAGAIN && errno != EINTR;
}

/* Starts or ends a drop episode after bytes were (not) dropped. */
static void drop_episode(xcd_channel *c, int64_t dropped)
{
    if (dropped > 0 && !c->dropping) {
        c->dropping = true;
        xcd_log(LOG_WARNING,
                "%s: buffer full (%zu bytes), dropping the oldest output",
                c->be, c->buf.cap);
        xcd_channel_publish(c);
    } else if (c->dropping && c->buf.len == 0) {
        c->dropping = false;
        xcd_log(LOG_INFO, "%s: buffer drained; %llu bytes dropped so far",
                c->be, (unsigned long long)c->buf.dropped);
        xcd_channel_publish(c);
    }
}

/* Buffer -> client. Returns false if the client went away. */
static bool flush_buffer(xcd_channel *c)
{
    struct iovec iov[2];
    int niov;
    ssize_t r;

    while (c->buf.len && c->tp.client_fd >= 0) {
        xcd_buffer_peek(&c->buf, iov, &niov);
        r = writev(c->tp.client_fd, iov, niov);
        if (r <= 0) {
            if (client_write_failed(r)) {
                client_detach(c);
                return false;
            }
            break;
        }
        xcd_buffer_consume(&c->buf, (size_t)r);
    }
    drop_episode(c, 0);
    return true;
}

int xcd_relay_guest(xcd_channel *c)
{
    struct iovec iov[2];
    size_t total, sent = 0, off, handled;
    int64_t dropped = 0, d;
    bool progress = false;
    uint32_t in_cons;
    int niov, i, rc;
    ssize_t n, r;

    if (!c->page)
        return 0;
    n = xch_ring_peek(&c->ring, iov, &niov);
    if (n < 0)
        return (int)n;
    total = (size_t)n;
    if (total && !c->buf.len && xcd_channel_client_connected(c) &&
        !c->tp.ops->hung_up(&c->tp)) {
        r = writev(c->tp.client_fd, iov, niov);
        if (r > 0)
            sent = (size_t)r;
        else if (client_write_failed(r))
            client_detach(c);
    }
    /* What the client did not take goes to the buffer. */
    handled = sent;
    off = sent;
    for (i = 0; i < niov; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        d = xcd_buffer_push(&c->buf, (const char *)iov[i].iov_base + off,
                            iov[i].iov_len - off);
        if (d < 0)
            break; /* out of memory: the rest stays in the ring */
        dropped += d;
        handled += iov[i].iov_len - off;
        off = 0;
    }
    if (handled) {
        rc = xch_ring_consume(&c->ring, handled);
        if (rc)
            return rc;
        c->bytes_from_guest += handled;
        notify_guest(c);
        progress = true;
    }
    drop_episode(c, dropped);
    /* Room the guest made in `in` is traffic too. */
    in_cons = __atomic_load_n(&c->ring.intf->in_cons, __ATOMIC_RELAXED);
    if (in_cons != c->in_cons_seen) {
        c->in_cons_seen = in_cons;
        progress = true;
    }
    xcd_relay_rearm(c);
    return progress;
}

/* Client -> `in` ring. */
static void client_readable(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;
    struct iovec iov[2];
    int niov, rc;
    ssize_t room, r;

    (void)fd;
    (void)what;
    if (!c->page) {
        xcd_relay_rearm(c);
        return;
    }
    room = xch_ring_reserve(&c->ring, iov, &niov);
    if (room < 0) {
        xcd_channel_fail(c, (int)room, "console ring");
        return;
    }
    if (room == 0) {
        xcd_relay_rearm(c);
        return;
    }
    r = readv(c->tp.client_fd, iov, niov);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        client_detach(c); /* EOF, or EIO from a hung-up pty */
        return;
    }
    if (r < 0)
        return;
    rc = xch_ring_commit(&c->ring, (size_t)r);
    if (rc) {
        xcd_channel_fail(c, rc, "console ring");
        return;
    }
    c->bytes_to_guest += (uint64_t)r;
    notify_guest(c);
    xcd_relay_rearm(c);
}

/* The client can take more: the buffer first, then the ring. */
static void client_writable(evutil_socket_t fd, short what, void *arg)
{
    xcd_channel *c = arg;
    int rc;

    (void)fd;
    (void)what;
    if (c->tp.ops->hung_up(&c->tp)) {
        client_detach(c);
        return;
    }
    if (!flush_buffer(c))
        return;
    if (!c->buf.len && c->page) {
        rc = xcd_relay_guest(c);
        if (rc < 0) {
            xcd_channel_fail(c, rc, "console ring");
            return;
        }
    }
    xcd_relay_rearm(c);
    if (!c->buf.len && c->state == XCD_DETACHING)
        xcd_channel_update(c); /* may free c: nothing after this */
}

static void client_attach(xcd_channel *c)
{
    c->read_ev = event_new(c->d->base, c->tp.client_fd, EV_READ | EV_PERSIST,
                           client_readable, c);
    c->write_ev = event_new(c->d->base, c->tp.client_fd, EV_WRITE | EV_PERSIST,
                            client_writable, c);
    if (!c->read_ev || !c->write_ev) {
        xcd_log(LOG_ERR, "%s: out of memory", c->be);
        client_detach(c);
        return;
    }
    c->reading = c->writing = false;
    event_del(c->wait_ev);
    xcd_log(LOG_INFO, "%s: client connected on %s", c->be, c->tp.endpoint);
    xcd_channel_publish(c);
    if (flush_buffer(c))
        xcd_relay_rearm(c);
}

/* Takes a waiting client, if any. */
static void try_accept(xcd_channel *c)
{
    char *msg = NULL;
    int rc;

    if (!c->tp_open || c->tp.client_fd >= 0)
        return;
    rc = c->tp.ops->accept(&c->tp, &msg);
    if (rc < 0) {
        xcd_log(LOG_ERR, "%s: %s", c->be, msg ? msg : "accept failed");
        free(msg);
        return;
    }
    if (rc == 1)
        client_attach(c);
}

static void wait_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    try_accept(arg);
}

static void client_events_free(xcd_channel *c)
{
    if (c->read_ev)
        event_free(c->read_ev);
    if (c->write_ev)
        event_free(c->write_ev);
    c->read_ev = c->write_ev = NULL;
    c->reading = c->writing = false;
}

static void client_detach(xcd_channel *c)
{
    bool had = c->tp.client_fd >= 0;

    client_events_free(c);
    c->tp.ops->drop_client(&c->tp);
    if (had)
        xcd_log(LOG_INFO, "%s: client disconnected", c->be);
    if (c->wait_ev)
        event_add(c->wait_ev, NULL);
    xcd_channel_publish(c);
    try_accept(c); /* a pty slave reopened meanwhile */
}

void xcd_relay_rearm(xcd_channel *c)
{
    bool want_read = false, want_write = false;
    size_t room = 0;

    if (!xcd_channel_client_connected(c) || !c->read_ev)
        return;
    /* A corrupt ring also wants reading: client_readable then finds the
     * corruption and stops the channel. */
    if (c->page && c->state == XCD_CONNECTED &&
        (xch_ring_writable(&c->ring, &room) || room > 0))
        want_read = true;
    want_write = c->buf.len > 0;
    if (want_read != c->reading) {
        if (want_read)
            event_add(c->read_ev, NULL);
        else
            event_del(c->read_ev);
        c->reading = want_read;
    }
    if (want_write != c->writing) {
        if (want_write)
            event_add(c->write_ev, NULL);
        else
            event_del(c->write_ev);
        c->writing = want_write;
    }
}

void xcd_relay_ring_down(xcd_channel *c)
{
    xcd_relay_rearm(c);
}

int xcd_relay_open(xcd_channel *c)
{
    static const char *const keys[] = {"tty"};
    const xcd_transport_ops *ops = c->connection == XCH_CHANNEL_CONNECTION_PTY
                                       ? &xcd_transport_pty_ops
                                       : &xcd_transport_socket_ops;
    xcd_transport_config cfg = {
        .path = c->path,
        .mode = c->d->opts->socket_mode,
        .group = c->d->opts->socket_group,
        .set_group = c->d->opts->set_group,
        .passed_fd = -1,
    };
    const char *vals[1];
    char *msg = NULL;
    int rc;

    if (ops == &xcd_transport_socket_ops)
        cfg.passed_fd =
            xcd_activation_claim(c->d->activation, c->name, c->path);
    xcd_transport_init(&c->tp, ops);
    rc = ops->open(&c->tp, &cfg, &msg);
    if (rc) {
        if (cfg.passed_fd >= 0)
            close(cfg.passed_fd);
        xcd_channel_set_error(c, msg);
        return rc;
    }
    c->tp_open = true;
    c->wait_ev = event_new(c->d->base, c->tp.wait_fd, EV_READ | EV_PERSIST,
                           wait_readable, c);
    if (!c->wait_ev || event_add(c->wait_ev, NULL)) {
        xcd_channel_set_error(c, xcd_sprintf("out of memory"));
        xcd_relay_close(c);
        return XCH_ERROR_NOMEM;
    }
    if (ops == &xcd_transport_pty_ops) {
        vals[0] = c->tp.endpoint;
        rc = xcd_xs_write_keys(c->d->xs, c->fe, keys, vals, 1);
        if (rc && rc != XCH_ERROR_NOTFOUND)
            xcd_log(LOG_ERR, "%s: writing tty: %s", c->fe, strerror(errno));
    }
    xcd_log(LOG_INFO, "%s: channel %s on %s %s%s", c->be, c->name, ops->kind,
            c->tp.endpoint, cfg.passed_fd >= 0 ? " (passed to us)" : "");
    try_accept(c);
    return 0;
}

int xcd_relay_take_listener(xcd_channel *c, int fd, char **errmsg)
{
    xcd_transport_config cfg = {.path = c->path, .passed_fd = fd};
    xcd_transport tp;
    int rc;

    if (c->connection != XCH_CHANNEL_CONNECTION_SOCKET) {
        *errmsg = xcd_sprintf("%s is not a socket channel", c->be);
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    if (c->state == XCD_DETACHING || c->state == XCD_DETACHED) {
        *errmsg = xcd_sprintf("%s is being detached", c->be);
        rc = XCH_ERROR_INVAL;
        goto out;
    }
    xcd_transport_init(&tp, &xcd_transport_socket_ops);
    rc = tp.ops->open(&tp, &cfg, errmsg);
    if (rc)
        goto out;
    fd = -1; /* the transport's now */
    xcd_relay_close(c);
    c->tp = tp;
    c->tp_open = true;
    c->wait_ev = event_new(c->d->base, c->tp.wait_fd, EV_READ | EV_PERSIST,
                           wait_readable, c);
    if (!c->wait_ev || event_add(c->wait_ev, NULL)) {
        xcd_relay_close(c);
        *errmsg = xcd_sprintf("out of memory");
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    xcd_log(LOG_INFO, "%s: channel %s now on a socket passed to us", c->be,
            c->name);
    xcd_channel_publish(c);
    try_accept(c);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

void xcd_relay_close(xcd_channel *c)
{
    client_events_free(c);
    if (c->wait_ev)
        event_free(c->wait_ev);
    c->wait_ev = NULL;
    if (c->tp_open)
        c->tp.ops->close(&c->tp);
    c->tp_open = false;
}
