/*
 * bench_guest.c - the guest of the relay benchmark (tests/bench/bench.sh).
 *
 *   bench_guest --ctl SOCK --stats FILE --xs DEVID
 *       As the guest (XENSTORED_PATH of its xenbus bridge, under the
 *       testbed's preload), takes device/console/DEVID through the xenbus
 *       handshake as Linux's hvc_xen does (a zeroed page shared with the
 *       backend, an unbound port, ring-ref and port, Initialised, then
 *       Connected once the backend is), prints "connected".
 *   bench_guest --ctl SOCK --stats FILE --direct BACKEND-DOMID
 *       Shares the page and allocates the port without xenstore and prints
 *       "REF PORT" (for the minimal relay and the raw ring).
 *   bench_guest --ctl SOCK --stats FILE --tty PATH
 *       No ring: the same work on a tty (socat's pty, as context).
 *
 * Then it moves bytes as a guest does, directly on the ring, and obeys one
 * measuring program at a time on the unix socket SOCK, one command a
 * line:
 *   send W  writes of W bytes into `out`, for ever: each write puts what
 *           fits, notifies (hvc_xen notifies after every piece it puts),
 *           and waits for room for the rest;
 *   recv    takes what `in` holds and notifies, for ever;
 *   echo    copies `in` into `out`, for ever (the other end pings);
 *   tick    writes one byte, notifies, and waits for the backend's
 *           notification that it took it, for ever (one guest
 *           notification that moves data at a time);
 *   stop    ends the current command and answers "done TX RX" (bytes put
 *           into `out` and taken from `in` so far).
 * A busy guest notices a stop through the `stop` word of FILE, where it
 * also keeps its counters (bench_util.h) for the measuring program.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <xen/io/xenbus.h>

#include "bench_util.h"

typedef enum mode { M_IDLE, M_SEND, M_RECV, M_ECHO, M_TICK } mode;

typedef struct guest {
    bench_ring r;
    bool ring;
    int tty; /* --tty: the descriptor the work is done on */
    bench_stats *st;
    int lfd, cfd;
    char line[256];
    size_t len;
    mode m;
    size_t wsize, left;
    bool waiting; /* tick: the byte written is not taken yet */
    unsigned char buf[BENCH_CHUNK];
} guest;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- work on the ring ---- */

static size_t ring_send(guest *g)
{
    struct iovec iov[2];
    size_t moved = 0;
    ssize_t room;
    int niov, i;

    while ((room = xch_ring_reserve(&g->r.ring, iov, &niov)) > 0) {
        size_t k = (size_t)room < g->left ? (size_t)room : g->left, done = 0;

        for (i = 0; i < niov && done < k; i++) {
            size_t c = iov[i].iov_len < k - done ? iov[i].iov_len : k - done;

            memcpy(iov[i].iov_base, g->buf, c);
            done += c;
        }
        if (xch_ring_commit(&g->r.ring, k))
            die("ring commit");
        bench_ring_notify(&g->r);
        g->left -= k;
        if (!g->left)
            g->left = g->wsize;
        bench_add(&g->st->tx, k);
        moved += k;
        if (__atomic_load_n(&g->st->stop, __ATOMIC_RELAXED))
            break;
    }
    if (room < 0)
        die("corrupt ring");
    return moved;
}

static size_t ring_recv(guest *g)
{
    struct iovec iov[2];
    int niov;
    ssize_t n = xch_ring_peek(&g->r.ring, iov, &niov);

    if (n < 0)
        die("corrupt ring");
    if (n == 0)
        return 0;
    if (xch_ring_consume(&g->r.ring, (size_t)n))
        die("ring consume");
    bench_ring_notify(&g->r);
    bench_add(&g->st->rx, (uint64_t)n);
    return (size_t)n;
}

static size_t ring_echo(guest *g)
{
    ssize_t n, w;

    n = xch_ring_read(&g->r.ring, g->buf, 1024);
    if (n < 0)
        die("corrupt ring");
    if (n == 0)
        return 0;
    /* `out` is twice `in`: an echo never waits long for room. */
    for (w = 0; w < n;) {
        ssize_t k = xch_ring_write(&g->r.ring, g->buf + w, (size_t)(n - w));

        if (k < 0)
            die("corrupt ring");
        w += k;
        if (w < n)
            bench_ring_notify(&g->r);
    }
    bench_ring_notify(&g->r);
    bench_add(&g->st->rx, (uint64_t)n);
    bench_add(&g->st->tx, (uint64_t)n);
    return (size_t)n;
}

static size_t ring_tick(guest *g)
{
    size_t room;

    if (g->waiting) {
        if (xch_ring_writable(&g->r.ring, &room))
            die("corrupt ring");
        if (room < sizeof(g->r.ring.intf->out))
            return 0;
        g->waiting = false;
        bench_add(&g->st->ticks, 1);
    }
    if (xch_ring_write(&g->r.ring, g->buf, 1) != 1)
        die("ring write");
    bench_ring_notify(&g->r);
    bench_add(&g->st->tx, 1);
    g->waiting = true;
    return 1;
}

/* ---- the same on a tty ---- */

static size_t tty_send(guest *g)
{
    ssize_t r = write(g->tty, g->buf, g->left);

    if (r <= 0)
        return 0;
    g->left -= (size_t)r;
    if (!g->left)
        g->left = g->wsize;
    bench_add(&g->st->tx, (uint64_t)r);
    return (size_t)r;
}

static size_t tty_recv(guest *g, bool echo)
{
    ssize_t r = read(g->tty, g->buf, echo ? 1024 : sizeof(g->buf)), w = 0;

    if (r <= 0)
        return 0;
    while (echo && w < r) {
        ssize_t k = write(g->tty, g->buf + w, (size_t)(r - w));
        struct pollfd p = {.fd = g->tty, .events = POLLOUT};

        if (k > 0)
            w += k;
        else
            poll(&p, 1, 100);
    }
    bench_add(&g->st->rx, (uint64_t)r);
    if (echo)
        bench_add(&g->st->tx, (uint64_t)r);
    return (size_t)r;
}

static size_t step(guest *g)
{
    switch (g->m) {
    case M_SEND:
        return g->ring ? ring_send(g) : tty_send(g);
    case M_RECV:
        return g->ring ? ring_recv(g) : tty_recv(g, false);
    case M_ECHO:
        return g->ring ? ring_echo(g) : tty_recv(g, true);
    case M_TICK:
        return g->ring ? ring_tick(g) : 0;
    case M_IDLE:
        break;
    }
    return 0;
}

/* ---- control ---- */

static void reply(guest *g, bool ok)
{
    char out[96];
    int n = snprintf(out, sizeof(out), "%s %llu %llu\n", ok ? "done" : "error",
                     (unsigned long long)bench_load(&g->st->tx),
                     (unsigned long long)bench_load(&g->st->rx));

    if (g->cfd >= 0 && write(g->cfd, out, (size_t)n) != n) {
        close(g->cfd);
        g->cfd = -1;
    }
}

static void command(guest *g, const char *cmd)
{
    unsigned long w;

    if (!strncmp(cmd, "send ", 5)) {
        w = strtoul(cmd + 5, NULL, 10);
        g->wsize = g->left = w < 1 ? 1 : w > BENCH_CHUNK ? BENCH_CHUNK : w;
        g->m = M_SEND;
    } else if (!strcmp(cmd, "recv")) {
        g->m = M_RECV;
    } else if (!strcmp(cmd, "echo")) {
        g->m = M_ECHO;
    } else if (!strcmp(cmd, "tick")) {
        g->m = g->ring ? M_TICK : M_IDLE;
        g->waiting = false;
    } else if (!strcmp(cmd, "stop")) {
        g->m = M_IDLE;
        __atomic_store_n(&g->st->stop, 0, __ATOMIC_RELAXED);
        reply(g, true);
    } else {
        reply(g, false);
    }
}

/* Reads what the control connection has; block: wait for a whole line. */
static void control(guest *g, bool block)
{
    char *nl;
    ssize_t r;

    do {
        r = recv(g->cfd, g->line + g->len, sizeof(g->line) - 1 - g->len,
                 block ? 0 : MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
            close(g->cfd);
            g->cfd = -1;
            g->m = M_IDLE;
            g->len = 0;
            return;
        }
        if (r > 0)
            g->len += (size_t)r;
        g->line[g->len] = '\0';
        while ((nl = strchr(g->line, '\n'))) {
            *nl = '\0';
            command(g, g->line);
            g->len -= (size_t)(nl + 1 - g->line);
            memmove(g->line, nl + 1, g->len + 1);
            block = false;
        }
        if (g->len == sizeof(g->line) - 1)
            g->len = 0; /* garbage */
    } while (block);
}

/* Waits for the ring (or tty) or the control socket. */
static void wait_work(guest *g)
{
    struct pollfd p[2] = {{.fd = g->cfd, .events = POLLIN}, {.fd = -1}};

    if (g->ring) {
        p[1].fd = g->r.fd;
        p[1].events = POLLIN;
    } else if (g->m != M_IDLE) {
        p[1].fd = g->tty;
        p[1].events = g->m == M_SEND ? POLLOUT : POLLIN;
    }
    if (poll(p, 2, -1) < 0 && errno != EINTR)
        die("poll");
    if (p[1].revents && g->ring && bench_ring_events(&g->r) < 0)
        die("event channel");
    if (p[0].revents)
        control(g, false);
}

static void serve(guest *g)
{
    for (;;) {
        size_t moved;

        if (g->cfd < 0) {
            g->cfd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (g->cfd < 0 && errno != EINTR)
                die("accept");
            continue;
        }
        moved = step(g);
        if (__atomic_load_n(&g->st->stop, __ATOMIC_RELAXED))
            control(g, true);
        else if (!moved)
            wait_work(g);
    }
}

/* ---- set-up ---- */

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        die("control socket");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4))
        die(path);
    return fd;
}

/* Waits until path holds a number accepted by ok (a watch per wait). */
static long wait_xs(struct xs_handle *xs, const char *path, bool (*ok)(long))
{
    long v;

    if (!xs_watch(xs, path, "w"))
        die("xs_watch");
    for (;;) {
        unsigned int n;
        char **ev;

        v = bench_xs_number(xs, path);
        if (ok(v))
            break;
        ev = xs_read_watch(xs, &n);
        if (!ev)
            die("xs_read_watch");
        free(ev);
    }
    xs_unwatch(xs, path, "w");
    return v;
}

static bool initialising(long v)
{
    return v == XenbusStateInitialising;
}

static bool connected(long v)
{
    return v == XenbusStateConnected;
}

static void setup_xs(guest *g, unsigned int devid)
{
    xengntshr_handle *xgs = xengntshr_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    struct xs_handle *xs = xs_open(0);
    char fe[128], path[160], *be;
    unsigned int len;
    long domid, backend_id;
    uint32_t ref;

    if (!xgs || !xce || !xs)
        die("opening xenstore, grants and event channels");
    domid = bench_xs_number(xs, "domid");
    if (domid < 0)
        die("reading domid");
    snprintf(fe, sizeof(fe), "/local/domain/%ld/device/console/%u", domid,
             devid);
    snprintf(path, sizeof(path), "%s/state", fe);
    wait_xs(xs, path, initialising);
    snprintf(path, sizeof(path), "%s/backend-id", fe);
    backend_id = bench_xs_number(xs, path);
    snprintf(path, sizeof(path), "%s/backend", fe);
    be = xs_read(xs, XBT_NULL, path, &len);
    if (backend_id < 0 || !be)
        die("reading the backend");
    if (bench_ring_share(&g->r, xce, xgs, (unsigned int)backend_id, &ref) ||
        bench_fe_publish(xs, fe, ref, g->r.port))
        die("connecting the ring");
    snprintf(path, sizeof(path), "%s/state", be);
    wait_xs(xs, path, connected);
    if (bench_fe_state(xs, fe, XenbusStateConnected))
        die("switching to Connected");
    free(be);
    printf("connected\n");
    fflush(stdout);
}

static void setup_direct(guest *g, unsigned int backend)
{
    xengntshr_handle *xgs = xengntshr_open(NULL, 0);
    xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
    uint32_t ref;

    if (!xgs || !xce || bench_ring_share(&g->r, xce, xgs, backend, &ref))
        die("sharing the ring");
    printf("%u %d\n", ref, g->r.port);
    fflush(stdout);
}

static void setup_tty(guest *g, const char *path)
{
    struct termios t;

    g->tty = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (g->tty < 0)
        die(path);
    if (!tcgetattr(g->tty, &t)) {
        cfmakeraw(&t);
        tcsetattr(g->tty, TCSANOW, &t);
    }
    printf("ready\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"ctl", required_argument, NULL, 'c'},
        {"stats", required_argument, NULL, 's'},
        {"xs", required_argument, NULL, 'x'},
        {"direct", required_argument, NULL, 'd'},
        {"tty", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    static guest g;
    const char *ctl = NULL, *stats = NULL, *tty = NULL;
    long xs_devid = -1, direct = -1;
    int opt;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            ctl = optarg;
            break;
        case 's':
            stats = optarg;
            break;
        case 'x':
            xs_devid = strtol(optarg, NULL, 10);
            break;
        case 'd':
            direct = strtol(optarg, NULL, 10);
            break;
        case 't':
            tty = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!ctl || !stats || (xs_devid < 0 && direct < 0 && !tty)) {
        fprintf(stderr, "usage: bench_guest --ctl SOCK --stats FILE "
                        "(--xs DEVID | --direct BACKEND | --tty PATH)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    g.tty = -1;
    g.cfd = -1;
    g.ring = !tty;
    memset(g.buf, 'x', sizeof(g.buf));
    g.st = bench_stats_map(stats, true);
    if (!g.st)
        return 1;
    g.lfd = listen_unix(ctl);
    if (xs_devid >= 0)
        setup_xs(&g, (unsigned int)xs_devid);
    else if (direct >= 0)
        setup_direct(&g, (unsigned int)direct);
    else
        setup_tty(&g, tty);
    serve(&g);
    return 0;
}
