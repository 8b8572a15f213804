/*
 * echoback.c - xch-echoback, a test-only console backend.
 *
 * Serves every device under /local/domain/<self>/backend/console/<D>/<N>
 * with the console backend's xenbus protocol (as QEMU's: BE InitWait, map
 * and bind once the frontend has published ring-ref and port in state 3
 * or 4, then Connected; frontend Closing -> Closing; frontend Closed ->
 * unmap, unbind, Closed; frontend back to Initialising/Initialised after
 * that -> start over) and echoes each channel's `out` ring into its `in`
 * ring, only as far as `in` has room (so a guest that does not read its
 * input stops the echo, and with it its own output: backpressure both
 * ways). It lets the frontend simulator be tested end to end before, and
 * independently of, the real daemon.
 *
 * --greeting TEXT puts TEXT into each channel's `in` ring as soon as it is
 * connected, before any echo: data the guest has to hold until someone
 * reads it.
 *
 * SIGUSR1 makes it hostile: it corrupts the `in` indices of every
 * connected channel ("corrupted D/N") and serves those channels no more.
 *
 * Progress lines on stdout: "ready", then "connected D/N" (after the
 * greeting is in the ring), "closed D/N", "removed D/N", "corrupt D/N".
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
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "xenchannel_ring.h"

#include "gsutil.h"

#define BE_WATCH_TOKEN  "be"
#define FE_TOKEN_PREFIX "fe:"
#define MAX_DOMID       0x7fefUL

typedef struct chan chan;

struct chan {
    chan *next;
    char *id;       /* "D/N" */
    char *be;       /* our directory */
    char *fe;       /* the frontend's, from BE `frontend` */
    char *fe_state; /* fe + "/state" */
    char *token;    /* "fe:D/N" */
    unsigned int domid;
    int be_state; /* what we last wrote */
    void *page;
    int port; /* local port, -1 when unbound */
    xch_ring ring;
    bool watching;
    bool broken;
};

typedef struct backend {
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    char *base; /* /local/domain/<self>/backend/console */
    const char *greeting;
    chan *chans;
    int sigfd;
    bool stop;
    bool failed; /* stopped by an error */
} backend;

static void usage(FILE *f)
{
    fprintf(f, "usage: xch-echoback [--domid SELF] [--greeting TEXT] "
               "[--foreground]\n"
               "Test-only console backend: echoes every channel's guest\n"
               "output back to the guest.\n");
}

static void chan_unmap(backend *b, chan *c)
{
    if (c->port >= 0)
        xenevtchn_unbind(b->xce, (evtchn_port_t)c->port);
    c->port = -1;
    if (c->page)
        xengnttab_unmap(b->xgt, c->page, 1);
    c->page = NULL;
}

static void chan_set_state(backend *b, chan *c, int state)
{
    int rc = gs_switch_state(b->xs, c->be, state);

    if (rc && rc != -ENOENT)
        gs_log(LOG_ERR, "%s: writing state %d: %s", c->be, state,
               strerror(-rc));
    c->be_state = state;
}

/* Echo as much of `out` as fits into `in`. */
static void chan_pump(backend *b, chan *c)
{
    char buf[sizeof(((struct xencons_interface *)0)->in)];
    size_t avail, room, n;
    ssize_t r;
    bool moved = false;

    while (!c->broken) {
        if (xch_ring_readable(&c->ring, &avail) ||
            xch_ring_writable(&c->ring, &room))
            goto corrupt;
        n = avail < room ? avail : room;
        if (n > sizeof(buf))
            n = sizeof(buf);
        if (n == 0)
            break;
        r = xch_ring_read(&c->ring, buf, n);
        if (r != (ssize_t)n)
            goto corrupt;
        /* Only we produce into `in`, so the room is still there. */
        r = xch_ring_write(&c->ring, buf, n);
        if (r != (ssize_t)n)
            goto corrupt;
        moved = true;
    }
    if (moved && xenevtchn_notify(b->xce, (evtchn_port_t)c->port))
        gs_log(LOG_ERR, "%s: notify: %s", c->id, strerror(errno));
    return;
corrupt:
    gs_log(LOG_ERR, "%s: corrupt ring, channel stopped", c->id);
    gs_status("corrupt %s", c->id);
    c->broken = true;
}

/* The frontend published ring-ref and port: map, bind, Connected. */
static void chan_connect(backend *b, chan *c)
{
    unsigned long ref, port;
    char *p = NULL;

    p = gs_sprintf("%s/ring-ref", c->fe);
    if (!p || gs_read_uint(b->xs, p, UINT32_MAX, &ref))
        goto bad;
    free(p);
    p = gs_sprintf("%s/port", c->fe);
    if (!p || gs_read_uint(b->xs, p, INT32_MAX, &port))
        goto bad;
    free(p);
    p = NULL;
    c->page = xengnttab_map_grant_ref(b->xgt, c->domid, (uint32_t)ref,
                                      PROT_READ | PROT_WRITE);
    if (!c->page) {
        gs_log(LOG_ERR, "%s: mapping grant %lu of domain %u: %s", c->id, ref,
               c->domid, strerror(errno));
        goto fail;
    }
    c->port = xenevtchn_bind_interdomain(b->xce, c->domid, (uint32_t)port);
    if (c->port < 0) {
        gs_log(LOG_ERR, "%s: binding port %lu of domain %u: %s", c->id, port,
               c->domid, strerror(errno));
        goto fail;
    }
    xch_ring_attach(&c->ring, c->page, XCH_RING_BACKEND);
    c->broken = false;
    chan_set_state(b, c, XenbusStateConnected);
    if (b->greeting &&
        (xch_ring_write(&c->ring, b->greeting, strlen(b->greeting)) !=
             (ssize_t)strlen(b->greeting) ||
         xenevtchn_notify(b->xce, (evtchn_port_t)c->port)))
        gs_log(LOG_ERR, "%s: could not send the greeting", c->id);
    gs_status("connected %s", c->id);
    chan_pump(b, c);
    return;
bad:
    gs_log(LOG_ERR, "%s: missing or invalid ring-ref or port", c->id);
fail:
    free(p);
    chan_unmap(b, c);
    c->broken = true;
}

static void frontend_changed(backend *b, chan *c)
{
    unsigned long fe = XenbusStateUnknown;

    if (gs_read_uint(b->xs, c->fe_state, XenbusStateReconfigured, &fe))
        return;
    if (c->be_state == XenbusStateClosed &&
        (fe == XenbusStateInitialising || fe == XenbusStateInitialised))
        chan_set_state(b, c, XenbusStateInitWait);
    switch (fe) {
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (c->be_state == XenbusStateInitWait && !c->page)
            chan_connect(b, c);
        break;
    case XenbusStateClosing:
        if (c->be_state == XenbusStateConnected)
            chan_set_state(b, c, XenbusStateClosing);
        break;
    case XenbusStateClosed:
        if (c->be_state == XenbusStateClosed)
            break;
        chan_unmap(b, c);
        chan_set_state(b, c, XenbusStateClosed);
        gs_status("closed %s", c->id);
        break;
    default:
        break;
    }
}

/* The toolstack may write our state (Closing on detach). */
static void backend_changed(backend *b, chan *c)
{
    unsigned long st;
    char *p = gs_sprintf("%s/state", c->be);

    if (p && !gs_read_uint(b->xs, p, XenbusStateReconfigured, &st) &&
        st == XenbusStateClosing && c->be_state != XenbusStateClosing &&
        c->be_state != XenbusStateClosed) {
        /* Nothing is buffered here: just wait for the frontend. */
        c->be_state = XenbusStateClosing;
        frontend_changed(b, c);
    }
    free(p);
}

static void chan_free(chan *c)
{
    free(c->id);
    free(c->be);
    free(c->fe);
    free(c->fe_state);
    free(c->token);
    free(c);
}

static void chan_release(backend *b, chan *c)
{
    chan **pp;

    for (pp = &b->chans; *pp != c; pp = &(*pp)->next)
        ;
    *pp = c->next;
    if (c->watching)
        xs_unwatch(b->xs, c->fe_state, c->token);
    chan_unmap(b, c);
    chan_free(c);
}

static chan *chan_find(backend *b, const char *id)
{
    chan *c;

    for (c = b->chans; c; c = c->next)
        if (!strcmp(c->id, id))
            return c;
    return NULL;
}

static void chan_add(backend *b, const char *id)
{
    chan *c = calloc(1, sizeof(*c));
    unsigned long domid;
    unsigned int len;
    char *p = NULL;

    if (!c)
        goto fail;
    c->port = -1;
    c->id = strdup(id);
    c->be = gs_sprintf("%s/%s", b->base, id);
    c->token = gs_sprintf(FE_TOKEN_PREFIX "%s", id);
    if (!c->id || !c->be || !c->token)
        goto fail;
    p = gs_sprintf("%s/frontend-id", c->be);
    if (!p || gs_read_uint(b->xs, p, MAX_DOMID, &domid))
        goto fail; /* not (yet) complete */
    c->domid = (unsigned int)domid;
    free(p);
    p = gs_sprintf("%s/frontend", c->be);
    c->fe = p ? xs_read(b->xs, XBT_NULL, p, &len) : NULL;
    if (!c->fe)
        goto fail;
    c->fe_state = gs_sprintf("%s/state", c->fe);
    if (!c->fe_state)
        goto fail;
    c->be_state = XenbusStateInitialising;
    chan_set_state(b, c, XenbusStateInitWait);
    if (!xs_watch(b->xs, c->fe_state, c->token)) {
        gs_log(LOG_ERR, "%s: watching %s: %s", id, c->fe_state,
               strerror(errno));
        goto fail;
    }
    c->watching = true;
    c->next = b->chans;
    b->chans = c;
    free(p);
    return;
fail:
    free(p);
    if (c)
        chan_free(c);
}

/* Something under base/D/N changed. */
static void scan_chan(backend *b, const char *id)
{
    chan *c = chan_find(b, id);
    unsigned int len;
    char *val;

    if (!c) {
        chan_add(b, id);
        return;
    }
    val = xs_read(b->xs, XBT_NULL, c->be, &len);
    if (!val && errno == ENOENT) {
        gs_status("removed %s", c->id);
        chan_release(b, c);
        return;
    }
    free(val);
    backend_changed(b, c);
}

static void scan_all(backend *b)
{
    unsigned int i, j, nd = 0, nn;
    char **doms = xs_directory(b->xs, XBT_NULL, b->base, &nd);
    chan *c, *next;

    for (c = b->chans; c; c = next) {
        next = c->next;
        scan_chan(b, c->id);
    }
    for (i = 0; doms && i < nd; i++) {
        char *dpath = gs_sprintf("%s/%s", b->base, doms[i]);
        char **devs = NULL;

        nn = 0;
        if (dpath)
            devs = xs_directory(b->xs, XBT_NULL, dpath, &nn);
        for (j = 0; devs && j < nn; j++) {
            char *id = gs_sprintf("%s/%s", doms[i], devs[j]);

            if (id && !chan_find(b, id))
                chan_add(b, id);
            free(id);
        }
        free(devs);
        free(dpath);
    }
    free(doms);
}

static void handle_watches(backend *b)
{
    size_t blen = strlen(b->base);
    char **ev;

    while ((ev = xs_check_watch(b->xs))) {
        const char *path = ev[XS_WATCH_PATH];
        const char *token = ev[XS_WATCH_TOKEN];

        if (!strcmp(token, BE_WATCH_TOKEN)) {
            const char *rest = path + blen + 1;
            size_t dlen, nlen;

            if (strncmp(path, b->base, blen) != 0 || path[blen] != '/') {
                scan_all(b);
            } else {
                dlen = strcspn(rest, "/");
                nlen = rest[dlen] ? strcspn(rest + dlen + 1, "/") : 0;
                if (nlen == 0) {
                    scan_all(b); /* a whole domain came or went */
                } else {
                    char *id = strndup(rest, dlen + 1 + nlen);

                    if (id)
                        scan_chan(b, id);
                    free(id);
                }
            }
        } else if (!strncmp(token, FE_TOKEN_PREFIX, strlen(FE_TOKEN_PREFIX))) {
            chan *c = chan_find(b, token + strlen(FE_TOKEN_PREFIX));

            if (c)
                frontend_changed(b, c);
        }
        free(ev);
    }
    if (errno != EAGAIN) {
        gs_log(LOG_ERR, "lost the xenstore connection: %s", strerror(errno));
        b->stop = true;
        b->failed = true;
    }
}

static void handle_evtchn(backend *b)
{
    xenevtchn_port_or_error_t port = xenevtchn_pending(b->xce);
    chan *c;

    if (port < 0)
        return;
    xenevtchn_unmask(b->xce, (evtchn_port_t)port);
    for (c = b->chans; c; c = c->next)
        if (c->port == port && c->page)
            chan_pump(b, c);
}

/* SIGUSR1 plays a hostile backend: every connected channel's `in`
 * producer index is put beyond the ring, and the guest is told. */
static void handle_signal(backend *b)
{
    struct signalfd_siginfo si;
    chan *c;

    if (read(b->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return;
    if (si.ssi_signo != SIGUSR1) {
        b->stop = true;
        return;
    }
    for (c = b->chans; c; c = c->next) {
        struct xencons_interface *intf = c->page;

        if (!intf || c->broken)
            continue;
        __atomic_store_n(&intf->in_prod, intf->in_cons + 4096,
                         __ATOMIC_SEQ_CST);
        c->broken = true;
        xenevtchn_notify(b->xce, (evtchn_port_t)c->port);
        gs_status("corrupted %s", c->id);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"domid", required_argument, NULL, 'i'},
        {"foreground", no_argument, NULL, 'f'},
        {"greeting", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    backend b = {.sigfd = -1};
    unsigned long self = 0;
    bool foreground = false, have_self = false;
    struct pollfd pfd[3];
    sigset_t mask;
    int opt, rc = 1;
    char *end;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            errno = 0;
            self = strtoul(optarg, &end, 10);
            if (errno || *end || !*optarg || self > MAX_DOMID) {
                fprintf(stderr, "xch-echoback: --domid %s: not a domid\n",
                        optarg);
                return 2;
            }
            have_self = true;
            break;
        case 'f':
            foreground = true;
            break;
        case 'g':
            if (strlen(optarg) > sizeof(((struct xencons_interface *)0)->in)) {
                fprintf(stderr, "xch-echoback: --greeting: longer than the "
                                "ring\n");
                return 2;
            }
            b.greeting = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    gs_log_init("xch-echoback", foreground);
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGUSR1);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
        (b.sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
        gs_log(LOG_ERR, "signalfd: %s", strerror(errno));
        goto out;
    }
    b.xs = xs_open(0);
    b.xce = xenevtchn_open(NULL, 0);
    b.xgt = xengnttab_open(NULL, 0);
    if (!b.xs || !b.xce || !b.xgt) {
        gs_log(LOG_ERR, "cannot open xenstore, event channels or grants: %s",
               strerror(errno));
        goto out;
    }
    if (!have_self && gs_read_uint(b.xs, "domid", MAX_DOMID, &self)) {
        gs_log(LOG_ERR, "cannot read this domain's `domid`; give --domid");
        goto out;
    }
    b.base = gs_sprintf("/local/domain/%lu/backend/console", self);
    if (!b.base || !xs_watch(b.xs, b.base, BE_WATCH_TOKEN)) {
        gs_log(LOG_ERR, "cannot watch the backend directory: %s",
               strerror(errno));
        goto out;
    }
    scan_all(&b);
    gs_status("ready");
    pfd[0] = (struct pollfd){.fd = xs_fileno(b.xs), .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = xenevtchn_fd(b.xce), .events = POLLIN};
    pfd[2] = (struct pollfd){.fd = b.sigfd, .events = POLLIN};
    while (!b.stop) {
        if (poll(pfd, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            gs_log(LOG_ERR, "poll: %s", strerror(errno));
            goto out;
        }
        if (pfd[1].revents)
            handle_evtchn(&b);
        if (pfd[0].revents)
            handle_watches(&b);
        if (pfd[2].revents)
            handle_signal(&b);
    }
    rc = b.failed ? 1 : 0;
out:
    while (b.chans)
        chan_release(&b, b.chans);
    free(b.base);
    if (b.xgt)
        xengnttab_close(b.xgt);
    if (b.xce)
        xenevtchn_close(b.xce);
    if (b.xs)
        xs_close(b.xs);
    if (b.sigfd >= 0)
        close(b.sigfd);
    return rc;
}
