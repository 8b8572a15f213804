/*
 * transport_pty.c - a channel served on a pty.
 *
 * We keep only the master open, in raw mode (termios set through the
 * master applies to the slave, and stays while the pair exists). Whoever
 * opens the slave is the client. Nobody having the slave open must not
 * lose data: bytes written to the master then would be thrown away when
 * the slave is opened again after a close. So the channel writes to the
 * master only while a client is there, and buffers otherwise:
 *  - a client arrives: inotify reports the slave's IN_OPEN on wait_fd;
 *  - the last client leaves: inotify reports IN_CLOSE, and the master a
 *    hangup (POLLHUP, and EIO once its input is read).
 * Before the slave's first open the master reports no hangup, but there is
 * no client either: a client is there once the slave has been opened and
 * while the master is not hung up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "transport.h"

#define PTY_NAME_MAX 64

static void pty_close(xcd_transport *t);

static int pty_open(xcd_transport *t, const xcd_transport_config *cfg,
                    char **errmsg)
{
    char name[PTY_NAME_MAX];
    struct termios tio;
    int rc;

    (void)cfg;
    t->fd = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0 || grantpt(t->fd) || unlockpt(t->fd) ||
        ptsname_r(t->fd, name, sizeof(name))) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "opening a pty: %s",
                        strerror(errno));
        goto out;
    }
    if (tcgetattr(t->fd, &tio)) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "%s: tcgetattr: %s", name,
                        strerror(errno));
        goto out;
    }
    cfmakeraw(&tio);
    if (tcsetattr(t->fd, TCSANOW, &tio)) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "%s: raw mode: %s", name,
                        strerror(errno));
        goto out;
    }
    t->endpoint = strdup(name);
    if (!t->endpoint) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    t->wait_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (t->wait_fd < 0 ||
        inotify_add_watch(t->wait_fd, name, IN_OPEN | IN_CLOSE) < 0) {
        rc = xch__error(errmsg, XCH_ERROR_FAIL, "%s: inotify: %s", name,
                        strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (rc)
        pty_close(t);
    return rc;
}

static bool pty_hung_up(const xcd_transport *t)
{
    struct pollfd p = {.fd = t->fd, .events = POLLIN};

    return poll(&p, 1, 0) > 0 && (p.revents & POLLHUP);
}

static int pty_accept(xcd_transport *t, char **errmsg)
{
    char events[4096] __attribute__((aligned(8)));
    bool opened = false;
    ssize_t n, off;

    for (;;) {
        n = read(t->wait_fd, events, sizeof(events));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
            const struct inotify_event *ev =
                (const struct inotify_event *)(events + off);

            if (ev->mask & IN_OPEN)
                opened = true;
            off += (ssize_t)sizeof(*ev) + ev->len;
        }
    }
    if (n < 0 && errno != EAGAIN)
        return xch__error(errmsg, XCH_ERROR_FAIL,
                          "%s: reading inotify events: %s", t->endpoint,
                          strerror(errno));
    if (opened)
        t->slave_opened = true;
    if (!t->slave_opened || pty_hung_up(t))
        return 0; /* a current client stays set until drop_client */
    t->client_fd = t->fd;
    return 1;
}

static void pty_drop_client(xcd_transport *t)
{
    t->client_fd = -1;
}

static void pty_close(xcd_transport *t)
{
    if (t->wait_fd >= 0)
        close(t->wait_fd);
    if (t->fd >= 0)
        close(t->fd);
    t->wait_fd = t->fd = t->client_fd = -1;
    free(t->endpoint);
    t->endpoint = NULL;
}

const xcd_transport_ops xcd_transport_pty_ops = {
    .kind = "pty",
    .closed_event = false,
    .wait_while_client = true,
    .open = pty_open,
    .accept = pty_accept,
    .hung_up = pty_hung_up,
    .gone = pty_hung_up,
    .drop_client = pty_drop_client,
    .close = pty_close,
};
