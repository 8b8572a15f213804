/*
 * guestsim.c - xch-guestsim, the guest side of PV channels for tests.
 *
 * Runs as guest D (through the testbed's xenbus bridge and preload) and
 * plays Linux's hvc_xen frontend for every device/console/N of the domain
 * (N's last digit 1..9, as Linux; 0 is the primary console): shares a
 * zeroed page with the backend, allocates an unbound event channel for it,
 * writes ring-ref and port in one transaction, switches to Initialised (3),
 * goes Connected (4) when the backend is, Closed (6) when the backend
 * closes, and releases everything when the device node disappears. Beyond
 * hvc_xen: when the backend returns to Initialising or InitWait after we
 * closed, it connects again with a fresh ring.
 *
 * Each connected channel appears as a unix stream socket DIR/NAME, NAME
 * being the FE `name` key (the role of the guest udev rule's
 * /dev/xen-channels/NAME). A channel whose name is not valid is connected
 * all the same, as Linux does, but gets no socket. A client's bytes go
 * into the `out` ring as far as there is room (the socket is not read
 * while the ring is full); the `in` ring's bytes go to the client and stay
 * in the ring while no client is connected. One client at a time; the
 * next one waits in the backlog.
 *
 * SIGTERM/SIGINT/SIGHUP shut down as a Linux guest does: every Connected
 * device goes Closing and the program waits, at most 5 s, for the backend
 * to let it go Closed (a second signal cuts this short), then releases
 * everything, leaving the devices in xenstore.
 *
 * Event driven: one poll() over the xenstore fd, the event channel fd, a
 * signalfd and the sockets. Progress lines on stdout for tests: "ready"
 * once the existing devices are probed, then "connected NAME",
 * "closed NAME", "removed NAME", "corrupt NAME", where NAME is
 * "console/N" for a channel without a valid name, and "failed console/N"
 * for a device whose backend is missing (it goes Closing, as in Linux).
 *
 * --resume N,...: the guest resumes after `xl restore` (or a migration)
 * with the devices device/console/N it had, as Linux's xenbus_dev_resume
 * and hvc_xen's resume do: each one reads its other end again and, if it
 * can, connects with a fresh ring whatever its FE state. One whose
 * directory or backend is missing prints "failed console/N" and stays a
 * dead device that no later change of its node brings back, only its
 * removal ("removed console/N"), as in Linux.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "xenchannel.h"
#include "xenchannel_ring.h"

#include "gsutil.h"

#define PAGE_SIZE       4096
#define FE_WATCH_TOKEN  "fe"
#define BE_TOKEN_PREFIX "be:"
#define MAX_DOMID       0x7fefUL
/* How long a clean shutdown waits for the backends (as Linux: 5 s). */
#define SHUTDOWN_WAIT_SECONDS 5

typedef struct console console;

struct console {
    console *next;
    char *node; /* N of device/console/N */
    char *fe;   /* the frontend directory */
    char *be;   /* the backend directory, from FE `backend` */
    char *be_state_path;
    char *token; /* watch token of BE state: "be:N" */
    char *name;  /* FE `name`, or "console/N" when it is not valid */
    char *sock;  /* DIR/NAME; NULL when the name is not valid */
    unsigned int backend_id;
    int devid;    /* last digit of N, as Linux takes it */
    int fe_state; /* what we last wrote to FE state */
    void *page;   /* the shared ring page, NULL when not shared */
    uint32_t ref;
    int port; /* our local event channel port, -1 when unbound */
    xch_ring ring;
    bool watching;
    bool broken; /* corrupt ring: no more traffic */
    bool stale;  /* failed to resume: a dead device until its node goes */
    int listen_fd;
    int client_fd;
    bool rd_eof;  /* the client sent EOF */
    bool wr_dead; /* the client cannot take data any more */
};

typedef struct sim {
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengntshr_handle *xgs;
    unsigned int domid;
    char *base; /* /local/domain/D/device/console */
    const char *dir;
    console *consoles;
    int sigfd;
    bool stop;
    bool failed;                 /* stopped by an error */
    bool shutting_down;          /* closing the devices before exiting */
    struct timespec shutdown_by; /* when to stop waiting for the backends */
} sim;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xch-guestsim --dir DIR [--domid D] [--resume N,...] "
            "[--foreground]\n"
            "Plays the guest's PV console frontend for every channel of\n"
            "domain D (default: the xenstore `domid` key of the caller) and\n"
            "serves each connected channel on the unix socket DIR/NAME.\n"
            "--resume: first resume the devices device/console/N, as a\n"
            "restored guest does.\n");
}

/* ---- ring page, event channel and xenstore keys ---- */

static void console_unshare(sim *s, console *c)
{
    if (c->port >= 0)
        xenevtchn_unbind(s->xce, (evtchn_port_t)c->port);
    c->port = -1;
    if (c->page)
        xengntshr_unshare(s->xgs, c->page, 1);
    c->page = NULL;
}

/* As hvc_xen's xencons_connect_backend: fresh page and port, ring-ref and
 * port in one transaction, then Initialised. */
static int console_share(sim *s, console *c)
{
    static const char *const keys[] = {"ring-ref", "port"};
    char ref[16], port[16];
    const char *vals[] = {ref, port};
    int rc;

    c->page = xengntshr_share_pages(s->xgs, c->backend_id, 1, &c->ref, 1);
    if (!c->page) {
        gs_log(LOG_ERR, "%s: sharing a page with domain %u: %s", c->fe,
               c->backend_id, strerror(errno));
        rc = -1;
        goto out;
    }
    memset(c->page, 0, PAGE_SIZE);
    xch_ring_attach(&c->ring, c->page, XCH_RING_FRONTEND);
    c->port = xenevtchn_bind_unbound_port(s->xce, c->backend_id);
    if (c->port < 0) {
        gs_log(LOG_ERR, "%s: allocating an event channel for domain %u: %s",
               c->fe, c->backend_id, strerror(errno));
        rc = -1;
        goto out;
    }
    snprintf(ref, sizeof(ref), "%u", c->ref);
    snprintf(port, sizeof(port), "%d", c->port);
    rc = gs_write_keys(s->xs, c->fe, keys, vals, 2);
    if (!rc)
        rc = gs_switch_state(s->xs, c->fe, XenbusStateInitialised);
    if (rc) {
        gs_log(LOG_ERR, "%s: writing ring-ref, port and state: %s", c->fe,
               strerror(-rc));
        goto out;
    }
    c->fe_state = XenbusStateInitialised;
    c->broken = false;
    rc = 0;
out:
    if (rc)
        console_unshare(s, c);
    return rc;
}

/* ---- the channel's socket ---- */

static void client_close(console *c)
{
    if (c->client_fd >= 0)
        close(c->client_fd);
    c->client_fd = -1;
    c->rd_eof = false;
    c->wr_dead = false;
}

static void console_unlisten(console *c)
{
    client_close(c);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->sock);
    }
    c->listen_fd = -1;
}

static int console_listen(console *c)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd = -1, rc = -1;

    if (!c->sock)
        return 0; /* connected, but not exposed */
    if (strlen(c->sock) >= sizeof(sa.sun_path)) {
        gs_log(LOG_ERR, "%s: socket path too long", c->sock);
        goto out;
    }
    memcpy(sa.sun_path, c->sock, strlen(c->sock) + 1);
    if (lstat(c->sock, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            gs_log(LOG_ERR, "%s: exists and is not a socket", c->sock);
            goto out;
        }
        unlink(c->sock);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
        listen(fd, 8)) {
        gs_log(LOG_ERR, "%s: %s", c->sock, strerror(errno));
        goto out;
    }
    c->listen_fd = fd;
    fd = -1;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static void console_corrupt(console *c)
{
    gs_log(LOG_ERR, "%s: corrupt ring indices, channel %s stopped", c->fe,
           c->name);
    c->broken = true;
    console_unlisten(c);
    gs_status("corrupt %s", c->name);
}

static void notify(sim *s, console *c)
{
    if (xenevtchn_notify(s->xce, (evtchn_port_t)c->port))
        gs_log(LOG_ERR, "%s: notify port %d: %s", c->fe, c->port,
               strerror(errno));
}

/* `in` ring -> client, as much as the client takes. */
static void pump_in(sim *s, console *c)
{
    struct iovec iov[2];
    struct msghdr msg = {.msg_iov = iov};
    int niov, rc;
    ssize_t n, r;

    if (c->broken || c->client_fd < 0 || c->wr_dead)
        return;
    n = xch_ring_peek(&c->ring, iov, &niov);
    if (n < 0) {
        console_corrupt(c);
        return;
    }
    if (n == 0)
        return;
    msg.msg_iovlen = (size_t)niov;
    r = sendmsg(c->client_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            c->wr_dead = true;
        return;
    }
    rc = xch_ring_consume(&c->ring, (size_t)r);
    if (rc) {
        console_corrupt(c);
        return;
    }
    notify(s, c);
}

/* Client -> `out` ring, as much as there is room for. */
static void pump_out(sim *s, console *c)
{
    struct iovec iov[2];
    int niov, rc;
    ssize_t n, r;

    n = xch_ring_reserve(&c->ring, iov, &niov);
    if (n < 0) {
        console_corrupt(c);
        return;
    }
    if (n == 0)
        return;
    r = readv(c->client_fd, iov, niov);
    if (r == 0)
        c->rd_eof = true;
    if (r < 0 && errno != EAGAIN && errno != EINTR) {
        c->rd_eof = true;
        c->wr_dead = true;
    }
    if (r <= 0)
        return;
    rc = xch_ring_commit(&c->ring, (size_t)r);
    if (rc) {
        console_corrupt(c);
        return;
    }
    notify(s, c);
}

static void client_accept(sim *s, console *c)
{
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR)
            gs_log(LOG_ERR, "%s: accept: %s", c->sock, strerror(errno));
        return;
    }
    c->client_fd = fd;
    pump_in(s, c); /* what the backend sent while nobody listened */
}

/* ---- the xenbus state machine ---- */

static void console_free(console *c)
{
    if (!c)
        return;
    free(c->node);
    free(c->fe);
    free(c->be);
    free(c->be_state_path);
    free(c->token);
    free(c->name);
    free(c->sock);
    free(c);
}

static console *console_find(sim *s, const char *node)
{
    console *c;

    for (c = s->consoles; c; c = c->next)
        if (!strcmp(c->node, node))
            return c;
    return NULL;
}

/* Unlinks c from the list and releases everything it holds. */
static void console_release(sim *s, console *c)
{
    console **pp;

    for (pp = &s->consoles; *pp != c; pp = &(*pp)->next)
        ;
    *pp = c->next;
    console_unlisten(c);
    if (c->watching)
        xs_unwatch(s->xs, c->be_state_path, c->token);
    console_unshare(s, c);
    console_free(c);
}

/* Frontend to Closed, keeping page and port as hvc_xen does (they go with
 * the device or on reconnection). */
static void console_close(sim *s, console *c)
{
    int rc;

    console_unlisten(c);
    rc = gs_switch_state(s->xs, c->fe, XenbusStateClosed);
    if (rc && rc != -ENOENT)
        gs_log(LOG_ERR, "%s: switching to Closed: %s", c->fe, strerror(-rc));
    c->fe_state = XenbusStateClosed;
    gs_status("closed %s", c->name);
}

static void backend_changed(sim *s, console *c)
{
    unsigned long state = XenbusStateUnknown;
    int rc;

    if (gs_read_uint(s->xs, c->be_state_path, XenbusStateReconfigured, &state))
        state = XenbusStateUnknown;
    switch (state) {
    case XenbusStateConnected:
        if (c->fe_state != XenbusStateInitialised)
            break;
        rc = gs_switch_state(s->xs, c->fe, XenbusStateConnected);
        if (rc) {
            gs_log(LOG_ERR, "%s: switching to Connected: %s", c->fe,
                   strerror(-rc));
            break;
        }
        c->fe_state = XenbusStateConnected;
        if (!console_listen(c))
            gs_status("connected %s", c->name);
        break;
    case XenbusStateClosed:
        if (c->fe_state == XenbusStateClosed)
            break;
        /* The backend's Closing was missed: close as for Closing. */
        console_close(s, c);
        break;
    case XenbusStateClosing:
        if (c->fe_state != XenbusStateClosed)
            console_close(s, c);
        break;
    case XenbusStateInitialising:
    case XenbusStateInitWait:
        /* Not in hvc_xen: the backend starts over after we closed, so
         * connect again as the kernel does on resume. */
        if (c->fe_state != XenbusStateClosed)
            break;
        console_unshare(s, c);
        if (console_share(s, c))
            c->broken = true;
        break;
    default:
        break;
    }
}

/* The FE key `key` of c, malloc'd; NULL if unreadable. */
static char *fe_read(sim *s, const console *c, const char *key)
{
    char *p = gs_sprintf("%s/%s", c->fe, key);
    unsigned int len;
    char *val = p ? xs_read(s->xs, XBT_NULL, p, &len) : NULL;

    free(p);
    return val;
}

static int fe_read_uint(sim *s, const console *c, const char *key,
                        unsigned long max, unsigned long *out)
{
    char *p = gs_sprintf("%s/%s", c->fe, key);
    int rc = p ? gs_read_uint(s->xs, p, max, out) : -ENOMEM;

    free(p);
    return rc;
}

/* Like Linux's xenbus probe and hvc_xen's: a device whose FE state is
 * Initialising gets a ring; NULL when node is not (or no longer) a device
 * to run. Resuming, any FE state will do, and a device that cannot read
 * its other end is kept as a stale one. */
static console *console_probe(sim *s, const char *node, bool resuming)
{
    console *c = NULL, *other;
    unsigned long state, backend_id;
    unsigned int len;
    char *msg = NULL, *val;
    int rc = -1;

    c = calloc(1, sizeof(*c));
    if (!c)
        goto out;
    c->port = -1;
    c->listen_fd = -1;
    c->client_fd = -1;
    c->node = strdup(node);
    c->fe = gs_sprintf("%s/%s", s->base, node);
    c->token = gs_sprintf(BE_TOKEN_PREFIX "%s", node);
    if (!c->node || !c->fe || !c->token)
        goto out;
    /* Linux's xenbus skips console nodes starting with '0'; hvc_xen takes
     * the devid from the last character and refuses 0. */
    c->devid = node[strlen(node) - 1] - '0';
    if (node[0] == '0' || c->devid <= 0 || c->devid > 9)
        goto out;
    for (other = s->consoles; other; other = other->next) {
        if (other->devid == c->devid) {
            gs_log(LOG_WARNING, "%s: devid %d already used by %s, ignored",
                   c->fe, c->devid, other->fe);
            goto out;
        }
    }
    if (!resuming &&
        (fe_read_uint(s, c, "state", XenbusStateReconfigured, &state) ||
         state != XenbusStateInitialising))
        goto out;
    /* As xenbus_read_otherend_details: without backend-id, backend and a
     * readable backend directory the device fails (and goes Closing). */
    c->be = fe_read(s, c, "backend");
    if (fe_read_uint(s, c, "backend-id", MAX_DOMID, &backend_id) || !c->be ||
        c->be[0] != '/' || !(val = xs_read(s->xs, XBT_NULL, c->be, &len))) {
        gs_log(LOG_ERR, "%s: unable to read the other end", c->fe);
        gs_status("failed console/%s", node);
        if (resuming) {
            c->stale = true;
            c->name = gs_sprintf("console/%s", node);
            c->next = s->consoles;
            s->consoles = c;
            return c;
        }
        gs_switch_state(s->xs, c->fe, XenbusStateClosing);
        goto out;
    }
    free(val);
    c->backend_id = (unsigned int)backend_id;
    /* The name is for the guest's udev helper, not for hvc_xen: a bad one
     * costs the socket, not the connection. */
    c->name = fe_read(s, c, "name");
    if (!c->name || xch_channel_name_check(c->name, &msg)) {
        gs_log(LOG_ERR, "%s: %s, no socket for this channel", c->fe,
               msg ? msg : "no name");
        free(c->name);
        c->name = gs_sprintf("console/%s", node);
        if (!c->name)
            goto out;
    } else {
        c->sock = gs_sprintf("%s/%s", s->dir, c->name);
        if (!c->sock)
            goto out;
    }
    c->be_state_path = gs_sprintf("%s/state", c->be);
    if (!c->be_state_path)
        goto out;
    if (console_share(s, c))
        goto out;
    if (!xs_watch(s->xs, c->be_state_path, c->token)) {
        gs_log(LOG_ERR, "%s: watching %s: %s", c->fe, c->be_state_path,
               strerror(errno));
        goto out;
    }
    c->watching = true;
    c->next = s->consoles;
    s->consoles = c;
    gs_log(LOG_INFO, "%s: channel %s, devid %d, backend %u, ref %u, port %d",
           c->fe, c->name, c->devid, c->backend_id, c->ref, c->port);
    rc = 0;
out:
    free(msg);
    if (rc && c) {
        console_unshare(s, c);
        console_free(c);
        c = NULL;
    }
    return c;
}

/* Something under device/console/node changed. */
static void scan_node(sim *s, const char *node)
{
    console *c = console_find(s, node);
    unsigned int len;
    char *val;

    if (c) {
        unsigned long state = XenbusStateUnknown;
        bool exists;
        int rc = -ENOENT;

        val = xs_read(s->xs, XBT_NULL, c->fe, &len);
        exists = val != NULL || errno != ENOENT;
        free(val);
        if (exists && c->stale)
            return;
        if (exists) {
            char *p = gs_sprintf("%s/state", c->fe);

            rc = p ? gs_read_uint(s->xs, p, XenbusStateReconfigured, &state)
                   : -ENOMEM;
            free(p);
            if (!(rc == 0 && state == XenbusStateInitialising))
                return;
        }
        /* Gone, or removed and created anew (we never write
         * Initialising) before we saw the removal. */
        /* Status last: a test seeing it finds everything released. */
        char *name = c->name;

        c->name = NULL;
        console_release(s, c);
        gs_status("removed %s", name ? name : node);
        free(name);
        if (!exists)
            return;
    }
    console_probe(s, node, false);
}

/* The devices of a restored guest resume before anything else runs;
 * list is "N,N,...". */
static void resume_all(sim *s, char *list)
{
    char *node, *save = NULL;

    for (node = strtok_r(list, ",", &save); node;
         node = strtok_r(NULL, ",", &save))
        console_probe(s, node, true);
}

static void scan_all(sim *s)
{
    unsigned int i, n = 0;
    char **nodes = xs_directory(s->xs, XBT_NULL, s->base, &n);
    console *c, *next;

    /* A stale device changes only with an event on its own node. */
    for (c = s->consoles; c; c = next) {
        next = c->next;
        if (!c->stale)
            scan_node(s, c->node);
    }
    for (i = 0; nodes && i < n; i++)
        scan_node(s, nodes[i]);
    free(nodes);
}

static void handle_watches(sim *s)
{
    char **ev;
    size_t blen = strlen(s->base);

    while ((ev = xs_check_watch(s->xs))) {
        const char *path = ev[XS_WATCH_PATH];
        const char *token = ev[XS_WATCH_TOKEN];

        if (!strcmp(token, FE_WATCH_TOKEN)) {
            if (!strncmp(path, s->base, blen) && path[blen] == '/') {
                char *node =
                    strndup(path + blen + 1, strcspn(path + blen + 1, "/"));

                if (node)
                    scan_node(s, node);
                free(node);
            } else {
                scan_all(s);
            }
        } else if (!strncmp(token, BE_TOKEN_PREFIX, strlen(BE_TOKEN_PREFIX))) {
            console *c = console_find(s, token + strlen(BE_TOKEN_PREFIX));

            if (c)
                backend_changed(s, c);
        }
        free(ev);
    }
    if (errno != EAGAIN) {
        gs_log(LOG_ERR, "lost the xenstore connection: %s", strerror(errno));
        s->stop = true;
        s->failed = true;
    }
}

static void handle_evtchn(sim *s)
{
    xenevtchn_port_or_error_t port = xenevtchn_pending(s->xce);
    console *c;

    if (port < 0) {
        if (errno != EAGAIN && errno != EINTR)
            gs_log(LOG_ERR, "event channel: %s", strerror(errno));
        return;
    }
    xenevtchn_unmask(s->xce, (evtchn_port_t)port);
    for (c = s->consoles; c; c = c->next) {
        size_t n;

        if (c->port != port || c->broken || !c->page)
            continue;
        /* Look at the indices even with no client to take the data: a
         * corrupt ring is reported when the backend corrupts it. */
        if (xch_ring_readable(&c->ring, &n) || xch_ring_writable(&c->ring, &n))
            console_corrupt(c);
        else
            pump_in(s, c);
    }
    /* Room freed in `out` is picked up by the next poll set. */
}

/* As Linux's xenbus_frontend_dev_shutdown: a Connected device goes
 * Closing and the guest waits (a bounded time) until the backend's answer
 * lets it go Closed. A second signal stops at once. */
static void handle_signal(sim *s)
{
    struct signalfd_siginfo si;
    console *c;
    int rc;

    if (read(s->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return;
    if (s->shutting_down) {
        s->stop = true;
        return;
    }
    s->shutting_down = true;
    clock_gettime(CLOCK_MONOTONIC, &s->shutdown_by);
    s->shutdown_by.tv_sec += SHUTDOWN_WAIT_SECONDS;
    for (c = s->consoles; c; c = c->next) {
        if (c->fe_state != XenbusStateConnected)
            continue;
        console_unlisten(c);
        rc = gs_switch_state(s->xs, c->fe, XenbusStateClosing);
        if (rc && rc != -ENOENT)
            gs_log(LOG_ERR, "%s: switching to Closing: %s", c->fe,
                   strerror(-rc));
        c->fe_state = rc ? XenbusStateClosed : XenbusStateClosing;
    }
}

/* While shutting down: the poll timeout left (ms), or 0 when done. */
static int shutdown_wait(sim *s)
{
    struct timespec now;
    long long ms;
    console *c;

    for (c = s->consoles; c; c = c->next)
        if (c->fe_state == XenbusStateClosing)
            break;
    if (!c)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(s->shutdown_by.tv_sec - now.tv_sec) * 1000 +
         (s->shutdown_by.tv_nsec - now.tv_nsec) / 1000000;
    if (ms <= 0) {
        gs_log(LOG_WARNING, "backend did not close %s in time", c->fe);
        return 0;
    }
    return (int)ms;
}

/* ---- main loop ---- */

enum { FD_XS, FD_EVTCHN, FD_SIGNAL, FD_FIXED };

/* What to poll for on c's sockets; 0 when the descriptor must be left out
 * (nothing to do, and a hung-up peer would wake us in a loop). */
static short client_events(console *c)
{
    size_t room = 0, avail = 0;
    short ev = 0;

    if (c->broken)
        return 0;
    if (xch_ring_writable(&c->ring, &room) ||
        xch_ring_readable(&c->ring, &avail)) {
        console_corrupt(c);
        return 0;
    }
    if (!c->rd_eof && room > 0)
        ev |= POLLIN;
    if (!c->wr_dead && avail > 0)
        ev |= POLLOUT;
    return ev;
}

static int run(sim *s)
{
    struct pollfd *pfd = NULL;
    console **who = NULL;
    size_t cap = 0;
    int rc = 0;

    while (!s->stop) {
        size_t n = FD_FIXED, i, count = 0;
        int timeout = -1;
        console *c;

        if (s->shutting_down) {
            timeout = shutdown_wait(s);
            if (timeout == 0)
                break;
        }
        for (c = s->consoles; c; c = c->next)
            count++;
        if (FD_FIXED + count > cap) {
            cap = FD_FIXED + count * 2;
            free(pfd);
            free(who);
            pfd = calloc(cap, sizeof(struct pollfd));
            who = calloc(cap, sizeof(console *));
            if (!pfd || !who) {
                gs_log(LOG_ERR, "out of memory");
                rc = 1;
                break;
            }
        }
        pfd[FD_XS] = (struct pollfd){.fd = xs_fileno(s->xs), .events = POLLIN};
        pfd[FD_EVTCHN] =
            (struct pollfd){.fd = xenevtchn_fd(s->xce), .events = POLLIN};
        pfd[FD_SIGNAL] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
        for (c = s->consoles; c; c = c->next) {
            if (c->client_fd >= 0) {
                short ev = client_events(c);

                if (ev == 0 && !c->rd_eof)
                    continue;
                who[n] = c;
                pfd[n++] = (struct pollfd){.fd = c->client_fd, .events = ev};
            } else if (c->listen_fd >= 0) {
                who[n] = c;
                pfd[n++] =
                    (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
            }
        }
        if (poll(pfd, n, timeout) < 0) {
            if (errno == EINTR)
                continue;
            gs_log(LOG_ERR, "poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        /* Sockets first: the other handlers may close them, and the
         * xenstore one may free consoles that who[] points to. */
        for (i = FD_FIXED; i < n; i++) {
            short re = pfd[i].revents;

            c = who[i];
            if (!re)
                continue;
            if (pfd[i].fd == c->listen_fd) {
                client_accept(s, c);
                continue;
            }
            if (re & (POLLIN | POLLHUP | POLLERR) && pfd[i].events & POLLIN)
                pump_out(s, c);
            if (re & (POLLOUT | POLLHUP | POLLERR) && pfd[i].events & POLLOUT)
                pump_in(s, c);
            if (re & (POLLHUP | POLLERR) && !pfd[i].events)
                c->wr_dead = true;
            if (c->rd_eof && c->wr_dead)
                client_close(c);
        }
        if (pfd[FD_SIGNAL].revents)
            handle_signal(s);
        if (pfd[FD_EVTCHN].revents)
            handle_evtchn(s);
        if (pfd[FD_XS].revents)
            handle_watches(s);
    }
    free(pfd);
    free(who);
    return s->failed ? 1 : rc;
}

static int read_own_domid(sim *s)
{
    unsigned long domid;

    if (gs_read_uint(s->xs, "domid", MAX_DOMID, &domid)) {
        gs_log(LOG_ERR, "cannot read this domain's `domid` from xenstore; "
                        "give --domid");
        return -1;
    }
    s->domid = (unsigned int)domid;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"domid", required_argument, NULL, 'i'},
        {"foreground", no_argument, NULL, 'f'},
        {"resume", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sim s = {.sigfd = -1};
    bool foreground = false, have_domid = false;
    char *resume = NULL;
    sigset_t mask;
    struct stat st;
    int opt, rc = 1;
    char *end;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            s.dir = optarg;
            break;
        case 'i':
            errno = 0;
            s.domid = (unsigned int)strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || s.domid > MAX_DOMID) {
                fprintf(stderr, "xch-guestsim: --domid %s: not a domid\n",
                        optarg);
                return 2;
            }
            have_domid = true;
            break;
        case 'f':
            foreground = true;
            break;
        case 'r':
            resume = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!s.dir || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (stat(s.dir, &st) || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "xch-guestsim: --dir %s: not a directory\n", s.dir);
        return 2;
    }
    gs_log_init("xch-guestsim", foreground);

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
        (s.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
        gs_log(LOG_ERR, "signalfd: %s", strerror(errno));
        goto out;
    }
    s.xs = xs_open(0);
    if (!s.xs) {
        gs_log(LOG_ERR, "cannot connect to xenstore: %s", strerror(errno));
        goto out;
    }
    if (!have_domid && read_own_domid(&s))
        goto out;
    s.xce = xenevtchn_open(NULL, 0);
    s.xgs = xengntshr_open(NULL, 0);
    if (!s.xce || !s.xgs) {
        gs_log(LOG_ERR, "cannot open the event channel or grant device: %s",
               strerror(errno));
        goto out;
    }
    s.base = gs_sprintf("/local/domain/%u/device/console", s.domid);
    if (!s.base || !xs_watch(s.xs, s.base, FE_WATCH_TOKEN)) {
        gs_log(LOG_ERR, "cannot watch the console devices: %s",
               strerror(errno));
        goto out;
    }
    if (resume)
        resume_all(&s, resume);
    scan_all(&s);
    gs_status("ready");
    rc = run(&s);
out:
    while (s.consoles)
        console_release(&s, s.consoles);
    free(s.base);
    if (s.xgs)
        xengntshr_close(s.xgs);
    if (s.xce)
        xenevtchn_close(s.xce);
    if (s.xs)
        xs_close(s.xs);
    if (s.sigfd >= 0)
        close(s.sigfd);
    return rc;
}
