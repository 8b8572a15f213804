/*
 * xcd_guest.c - xcd-guest, a misbehaving console frontend for the daemon's
 * tests. Runs as the guest (through the testbed's bridge and preload) and
 * shares a ring page and an event channel with the backend of device FE
 * (e.g. /local/domain/3/device/console/1) as hvc_xen does:
 *
 *   xcd-guest storm FE MS TEXT
 *       Connects, notifies the backend over and over for MS milliseconds
 *       without moving any data (an event storm).
 *   xcd-guest fake-progress FE MS TEXT
 *       Connects, then moves its `in` consumer index back and forth (a
 *       new value each time, up to 1023 bytes back, never anything freed)
 *       and notifies after each move, as fast as it can, for MS
 *       milliseconds.
 *   xcd-guest connect FE TEXT
 *       Connects as a well-behaved frontend.
 *
 *   With MS 0 the attack lasts until a line (or the end of file) arrives
 *   on standard input. Each of the three prints "attacking" once the
 *   backend is connected (for connect: at once), then after the attack
 *   writes TEXT into the `out` ring, notifies once and prints "sent". It
 *   keeps the ring until its standard input closes.
 *
 *   xcd-guest cycle FE N TEXT
 *       N times: connects with a fresh ring and port, corrupts the ring
 *       (out_prod far beyond out_cons) and notifies, waits for the backend
 *       to give up the channel (BE Closed), closes (FE 6) and starts again
 *       (FE 1, BE InitWait). Prints "cycle I" after every 10th cycle and
 *       "cycled N" at the end, then connects once more and goes on as
 *       connect does.
 *   xcd-guest flap FE N V...
 *       Writes FE state N times in a row, taking the values V round
 *       robin, as fast as xenstore takes them; prints "flapped N".
 *
 * Waits for the backend are bounded by $XCD_GUEST_TIMEOUT seconds
 * (default 120, SIGALRM), so that a backend that never answers fails a
 * test instead of hanging it.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xenchannel_ring.h"

/* Notifications between two looks at standard input. */
#define STDIN_CHECK_EVERY 256
/* How far out_prod jumps past out_cons to corrupt the ring. */
#define CORRUPT_JUMP 100000U
/* The fake-progress attack moves in_cons back by 0..FAKE_SPAN-1 bytes:
 * at most what the ring may hold (1024), a different value each time. */
#define FAKE_SPAN 1024U

typedef struct guest {
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengntshr_handle *xgs;
    const char *fe;
    char *be;
    uint32_t backend;
    unsigned int timeout;
    void *page; /* NULL when no ring is shared */
    uint32_t ref;
    int port;
    xch_ring ring;
} guest;

static void die(const char *what)
{
    fprintf(stderr, "xcd-guest: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned long number(const char *s)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || !*s || *end) {
        fprintf(stderr, "xcd-guest: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static void say(const char *line)
{
    printf("%s\n", line);
    fflush(stdout);
}

static char *read_key(struct xs_handle *xs, const char *dir, const char *key)
{
    char path[256];
    unsigned int len;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_read(xs, XBT_NULL, path, &len);
}

static void write_key(struct xs_handle *xs, const char *dir, const char *key,
                      const char *val)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
        die(path);
}

/* Waits until dir/state reads want (a watch, no polling; bounded). */
static void wait_state(const guest *g, const char *dir, const char *want)
{
    char path[256], **ev, *val;
    unsigned int n;

    snprintf(path, sizeof(path), "%s/state", dir);
    if (!xs_watch(g->xs, path, "s"))
        die("watch");
    alarm(g->timeout);
    for (;;) {
        val = read_key(g->xs, dir, "state");
        if (val && !strcmp(val, want))
            break;
        free(val);
        ev = xs_read_watch(g->xs, &n);
        if (!ev)
            die("read watch");
        free(ev);
    }
    alarm(0);
    free(val);
    xs_unwatch(g->xs, path, "s");
}

static void notify(const guest *g)
{
    if (xenevtchn_notify(g->xce, (evtchn_port_t)g->port))
        die("notify");
}

/* Whether a line or the end of file is waiting on standard input. */
static bool stdin_ready(void)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};

    return poll(&p, 1, 0) > 0;
}

/* Whether an attack of ms milliseconds (0: until standard input says)
 * that started at start is over; checked every STDIN_CHECK_EVERY calls. */
static bool attack_over(unsigned long ms, uint64_t start, unsigned long i)
{
    if (ms)
        return now_ms() >= start + ms;
    return i % STDIN_CHECK_EVERY == 0 && stdin_ready();
}

/* Shares a fresh zeroed page and allocates a fresh event channel for the
 * backend; writes ring-ref and port. */
static void ring_share(guest *g)
{
    char buf[32];

    g->page = xengntshr_share_pages(g->xgs, g->backend, 1, &g->ref, 1);
    if (!g->page)
        die("sharing a page");
    memset(g->page, 0, 4096);
    xch_ring_attach(&g->ring, g->page, XCH_RING_FRONTEND);
    g->port = xenevtchn_bind_unbound_port(g->xce, g->backend);
    if (g->port < 0)
        die("allocating an event channel");
    snprintf(buf, sizeof(buf), "%u", g->ref);
    write_key(g->xs, g->fe, "ring-ref", buf);
    snprintf(buf, sizeof(buf), "%d", g->port);
    write_key(g->xs, g->fe, "port", buf);
}

static void ring_unshare(guest *g)
{
    if (!g->page)
        return;
    xenevtchn_unbind(g->xce, (evtchn_port_t)g->port);
    xengntshr_unshare(g->xgs, g->page, 1);
    g->page = NULL;
    g->port = -1;
}

/* The handshake of a frontend: Initialised with a ring, then Connected
 * once the backend is. */
static void connect_ring(guest *g)
{
    ring_share(g);
    write_key(g->xs, g->fe, "state", "3");
    wait_state(g, g->be, "4");
    write_key(g->xs, g->fe, "state", "4");
}

/* Writes text into `out`, notifies, says "sent", keeps the ring until
 * standard input closes. */
static void send_and_hold(guest *g, const char *text)
{
    char buf[64];

    if (xch_ring_write(&g->ring, text, strlen(text)) != (ssize_t)strlen(text))
        die("writing the ring");
    notify(g);
    say("sent");
    while (read(0, buf, sizeof(buf)) > 0)
        ;
}

static void storm(guest *g, unsigned long ms)
{
    uint64_t start = now_ms();
    unsigned long i;

    for (i = 1; !attack_over(ms, start, i); i++)
        notify(g);
}

/* in_cons sweeps back from where the frontend really is (all of `in`
 * consumed) and jumps forward again: never ahead of in_prod, so the ring
 * stays valid, and no room is ever made. A backend that takes any change
 * of in_cons for progress sees one at (almost) every notification. */
static void fake_progress(guest *g, unsigned long ms)
{
    struct xencons_interface *intf = g->page;
    XENCONS_RING_IDX real = intf->in_cons;
    uint64_t start = now_ms();
    unsigned long i;

    for (i = 1; !attack_over(ms, start, i); i++) {
        __atomic_store_n(&intf->in_cons,
                         real - (XENCONS_RING_IDX)(i % FAKE_SPAN),
                         __ATOMIC_RELEASE);
        notify(g);
    }
    __atomic_store_n(&intf->in_cons, real, __ATOMIC_RELEASE);
}

static void cycle(guest *g, unsigned long n)
{
    struct xencons_interface *intf;
    unsigned long i;
    char buf[64];

    wait_state(g, g->be, "2");
    for (i = 0; i < n; i++) {
        connect_ring(g);
        intf = g->page;
        __atomic_store_n(&intf->out_prod, intf->out_cons + CORRUPT_JUMP,
                         __ATOMIC_RELEASE);
        notify(g);
        wait_state(g, g->be, "6");
        write_key(g->xs, g->fe, "state", "6");
        ring_unshare(g);
        write_key(g->xs, g->fe, "state", "1");
        wait_state(g, g->be, "2");
        if ((i + 1) % 10 == 0) {
            snprintf(buf, sizeof(buf), "cycle %lu", i + 1);
            say(buf);
        }
    }
    snprintf(buf, sizeof(buf), "cycled %lu", n);
    say(buf);
}

static void flap(guest *g, unsigned long n, char **vals, int nvals)
{
    unsigned long i;
    char buf[64];

    for (i = 0; i < n; i++)
        write_key(g->xs, g->fe, "state", vals[i % (unsigned long)nvals]);
    snprintf(buf, sizeof(buf), "flapped %lu", n);
    say(buf);
}

static void usage(void)
{
    fprintf(stderr, "usage: xcd-guest storm|fake-progress FE MS TEXT\n"
                    "       xcd-guest connect FE TEXT\n"
                    "       xcd-guest cycle FE N TEXT\n"
                    "       xcd-guest flap FE N V...\n");
    exit(2);
}

static void guest_open(guest *g, const char *fe)
{
    const char *t = getenv("XCD_GUEST_TIMEOUT");
    char *bid;

    memset(g, 0, sizeof(*g));
    g->fe = fe;
    g->port = -1;
    g->timeout = t ? (unsigned int)number(t) : 120;
    g->xs = xs_open(0);
    g->xce = xenevtchn_open(NULL, 0);
    g->xgs = xengntshr_open(NULL, 0);
    if (!g->xs || !g->xce || !g->xgs)
        die("opening xenstore, event channels and grants");
    g->be = read_key(g->xs, fe, "backend");
    bid = read_key(g->xs, fe, "backend-id");
    if (!g->be || !bid)
        die("reading backend and backend-id");
    g->backend = (uint32_t)number(bid);
    free(bid);
}

static void guest_close(guest *g)
{
    ring_unshare(g);
    xengntshr_close(g->xgs);
    xenevtchn_close(g->xce);
    xs_close(g->xs);
    free(g->be);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    guest g;

    if ((!strcmp(mode, "storm") || !strcmp(mode, "fake-progress") ||
         !strcmp(mode, "cycle")) &&
        argc == 5) {
        unsigned long arg = number(argv[3]);

        guest_open(&g, argv[2]);
        if (!strcmp(mode, "cycle")) {
            cycle(&g, arg);
            connect_ring(&g);
        } else {
            connect_ring(&g);
            say("attacking");
            if (!strcmp(mode, "storm"))
                storm(&g, arg);
            else
                fake_progress(&g, arg);
        }
        send_and_hold(&g, argv[4]);
    } else if (!strcmp(mode, "connect") && argc == 4) {
        guest_open(&g, argv[2]);
        connect_ring(&g);
        say("attacking");
        send_and_hold(&g, argv[3]);
    } else if (!strcmp(mode, "flap") && argc >= 5) {
        guest_open(&g, argv[2]);
        flap(&g, number(argv[3]), argv + 4, argc - 4);
    } else {
        usage();
    }
    guest_close(&g);
    return 0;
}
