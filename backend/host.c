/*
 * host.c - the host end of a channel (host.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "activation.h"
#include "channel.h"
#include "host.h"
#include "log.h"

#define STATES (XCH_HOST_END_FAILED + 1)
#define BIT(s) (1U << (s))

static const unsigned int transitions[STATES] = {
    [XCH_HOST_END_CLOSED] =
        BIT(XCH_HOST_END_LISTENING) | BIT(XCH_HOST_END_FAILED),
    [XCH_HOST_END_LISTENING] = BIT(XCH_HOST_END_CLIENT) |
                               BIT(XCH_HOST_END_FAILED) |
                               BIT(XCH_HOST_END_CLOSED),
    [XCH_HOST_END_CLIENT] = BIT(XCH_HOST_END_LISTENING) |
                            BIT(XCH_HOST_END_FAILED) | BIT(XCH_HOST_END_CLOSED),
    [XCH_HOST_END_FAILED] =
        BIT(XCH_HOST_END_LISTENING) | BIT(XCH_HOST_END_CLOSED),
};

bool xcd_host_transition_ok(xch_host_end from, xch_host_end to)
{
    if ((unsigned int)from >= STATES || (unsigned int)to >= STATES)
        return false;
    return (transitions[from] & BIT(to)) != 0;
}

xch_host_end xcd_host_next(xch_host_end from, xch_host_end to, bool *legal)
{
    *legal = xcd_host_transition_ok(from, to);
    if (*legal)
        return to;
    if (xcd_host_transition_ok(from, XCH_HOST_END_FAILED))
        return XCH_HOST_END_FAILED;
    return XCH_HOST_END_CLOSED;
}

void xcd_host_init(xcd_host *h)
{
    memset(h, 0, sizeof(*h));
    h->state = XCH_HOST_END_CLOSED;
    h->retry_ms = XCD_HOST_RETRY_MIN_MS;
    xcd_transport_init(&h->tp, &xcd_transport_socket_ops);
}

/* Why the host end failed (err malloc'd, taken; NULL: out of memory). */
static void set_error(xcd_channel *c, char *err)
{
    xcd_log_limited(&c->log_rl, LOG_ERR, "%s: host end of %s failed: %s", c->be,
                    c->name, err ? err : "out of memory");
    free(c->host.error);
    c->host.error = err;
}

static void close_transport(xcd_host *h)
{
    if (h->state != XCH_HOST_END_CLOSED && h->state != XCH_HOST_END_FAILED)
        h->tp.ops->close(&h->tp);
    h->passed = false;
    h->write_dead = false;
    h->read_done = false;
}

static void set_state(xcd_channel *c, xch_host_end to)
{
    xcd_host *h = &c->host;
    xch_host_end next;
    bool legal;

    next = xcd_host_next(h->state, to, &legal);
    if (!legal) {
        close_transport(h);
        set_error(c, xch__sprintf("impossible move of the host end from %s "
                                  "to %s",
                                  xch_host_end_to_string(h->state),
                                  xch_host_end_to_string(to)));
    }
    xcd_log_limited(&c->log_rl, LOG_DEBUG, "%s: host end %s -> %s", c->be,
                    xch_host_end_to_string(h->state),
                    xch_host_end_to_string(next));
    h->state = next;
}

/* A pty's slave path goes to FE `tty`, where a toolstack looks for it. */
static void publish_tty(xcd_channel *c)
{
    static const char *const keys[] = {"tty"};
    const char *vals[] = {c->host.tp.endpoint};
    int rc = xch__xs_update(c->d->xctx, c->fe, keys, vals, 1);

    if (rc && rc != XCH_ERROR_NOTFOUND)
        xcd_log_limited(&c->log_rl, LOG_ERR, "%s: writing tty: %s", c->fe,
                        strerror(c->d->xctx->xs_errno));
}

int xcd_host_open(xcd_channel *c)
{
    xcd_host *h = &c->host;
    bool pty = c->connection == XCH_CHANNEL_CONNECTION_PTY;
    const xcd_options *o = c->d->opts;
    xcd_transport_config cfg = {
        .path = c->path,
        .mode = o->socket_mode,
        .group = o->socket_group,
        .set_group = o->set_group,
        .passed_fd = -1,
        .base_dir = o->socket_dir,
    };
    char *msg = NULL;
    int rc;

    if (!pty)
        cfg.passed_fd =
            xcd_activation_claim(c->d->activation, c->name, c->path);
    xcd_transport_init(&h->tp, pty ? &xcd_transport_pty_ops
                                   : &xcd_transport_socket_ops);
    rc = h->tp.ops->open(&h->tp, &cfg, &msg);
    if (rc) {
        if (cfg.passed_fd >= 0)
            close(cfg.passed_fd);
        if (h->state != XCH_HOST_END_FAILED)
            set_state(c, XCH_HOST_END_FAILED);
        if (!h->error || !msg || strcmp(h->error, msg) != 0)
            set_error(c, msg);
        else
            free(msg);
        return rc;
    }
    h->passed = cfg.passed_fd >= 0;
    set_state(c, XCH_HOST_END_LISTENING);
    free(h->error);
    h->error = NULL;
    h->retry_ms = XCD_HOST_RETRY_MIN_MS;
    if (pty)
        publish_tty(c);
    xcd_log_limited(&c->log_rl, LOG_INFO, "%s: channel %s on %s %s%s", c->be,
                    c->name, h->tp.ops->kind, h->tp.endpoint,
                    h->passed ? " (passed to us)" : "");
    return 0;
}

int xcd_host_accept(xcd_channel *c, char **errmsg)
{
    xcd_host *h = &c->host;
    int r;

    if (h->state != XCH_HOST_END_LISTENING && h->state != XCH_HOST_END_CLIENT)
        return 0;
    r = h->tp.ops->accept(&h->tp, errmsg);
    if (r < 0)
        return r;
    if (r == 1 && h->state == XCH_HOST_END_LISTENING) {
        set_state(c, XCH_HOST_END_CLIENT);
        h->write_dead = false;
        h->read_done = false;
        xcd_log_limited(&c->log_rl, LOG_INFO, "%s: client connected on %s",
                        c->be, h->tp.endpoint);
    }
    return r;
}

void xcd_host_fail(xcd_channel *c, char *err)
{
    close_transport(&c->host);
    set_state(c, XCH_HOST_END_FAILED);
    set_error(c, err);
}

void xcd_host_drop_client(xcd_channel *c)
{
    xcd_host *h = &c->host;

    if (h->state != XCH_HOST_END_CLIENT)
        return;
    h->tp.ops->drop_client(&h->tp);
    h->write_dead = false;
    h->read_done = false;
    set_state(c, XCH_HOST_END_LISTENING);
    xcd_log_limited(&c->log_rl, LOG_INFO, "%s: client disconnected", c->be);
}

void xcd_host_close(xcd_channel *c)
{
    close_transport(&c->host);
    if (c->host.state != XCH_HOST_END_CLOSED)
        set_state(c, XCH_HOST_END_CLOSED);
}

int xcd_host_take_listener(xcd_channel *c, int fd, char **errmsg)
{
    xcd_transport_config cfg = {.path = c->path, .passed_fd = fd};
    xcd_transport tp;
    int rc;

    if (c->connection != XCH_CHANNEL_CONNECTION_SOCKET) {
        rc = xch__error(errmsg, XCH_ERROR_INVAL, "%s is not a socket channel",
                        c->be);
        goto out;
    }
    if (c->guest.state == XCH_GUEST_SIDE_DETACHING ||
        c->guest.state == XCH_GUEST_SIDE_DETACHED) {
        rc = xch__error(errmsg, XCH_ERROR_INVAL, "%s is being detached", c->be);
        goto out;
    }
    xcd_transport_init(&tp, &xcd_transport_socket_ops);
    rc = tp.ops->open(&tp, &cfg, errmsg);
    if (rc)
        goto out;
    fd = -1; /* the transport's now */
    xcd_host_close(c);
    c->host.tp = tp;
    c->host.passed = true;
    set_state(c, XCH_HOST_END_LISTENING);
    free(c->host.error);
    c->host.error = NULL;
    xcd_log(LOG_INFO, "%s: channel %s now on a socket passed to us", c->be,
            c->name);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

unsigned int xcd_host_backoff(xcd_host *h)
{
    unsigned int ms = h->retry_ms;

    h->retry_ms =
        ms >= XCD_HOST_RETRY_MAX_MS / 2 ? XCD_HOST_RETRY_MAX_MS : ms * 2;
    return ms;
}

bool xcd_host_may_write(const xcd_host *h)
{
    return h->state == XCH_HOST_END_CLIENT && !h->write_dead &&
           !h->tp.ops->hung_up(&h->tp);
}
