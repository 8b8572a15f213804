/*
 * bench_frontends.c - a light frontend for many idle channels of many
 * guests, from one process (tests/bench/bench.sh, the per-event cost with
 * 1,000 channels and the time of 1,000 attaches).
 *
 *   bench_frontends FIRST LAST
 *
 * Runs as a privileged xenstore client of dom0 (XENSTORED_PATH of the
 * testbed's socket) under the preload, and for each domain D of
 * FIRST..LAST opens event-channel and grant handles as D (XENSIM_DOMID is
 * read when a handle is opened). For every device/console/N of those
 * domains that appears in state Initialising it takes the frontend's
 * steps of hvc_xen (a zeroed page shared with the backend, an unbound
 * port, ring-ref, port and Initialised in one transaction), and goes
 * Connected when the backend is. Nothing moves on these rings afterwards.
 * One guest simulator and one xenbus bridge per guest would be 143 busy
 * processes; the guests' xenbus bridges still exist (xenhost
 * domain-create) but carry nothing.
 *
 * Prints "ready" once watching, then for every channel that connected
 * "connected COUNT NS": how many so far, and CLOCK_REALTIME in ns when the
 * backend's Connected was seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/io/xenbus.h>

#include "bench_util.h"

#define DEVIDS 10

typedef struct console {
    bench_ring r;
    int state; /* what we wrote to FE state, 0 before */
} console;

/* A guest's handles, opened as that guest. */
typedef struct domain {
    xenevtchn_handle *xce;
    xengntshr_handle *xgs;
} domain;

typedef struct frontends {
    struct xs_handle *xs;
    unsigned int first, last;
    domain *doms;  /* D - first */
    console *cons; /* (D - first) * DEVIDS + N */
    unsigned long connected;
} frontends;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static console *find(frontends *f, unsigned int d, unsigned int n)
{
    if (d < f->first || d > f->last || n == 0 || n >= DEVIDS)
        return NULL;
    return &f->cons[(d - f->first) * DEVIDS + n];
}

static void probe(frontends *f, unsigned int d, unsigned int n)
{
    console *c = find(f, d, n);
    char fe[96], path[128];
    long backend_id;
    uint32_t ref;

    if (!c || c->state)
        return;
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", d, n);
    snprintf(path, sizeof(path), "%s/state", fe);
    if (bench_xs_number(f->xs, path) != XenbusStateInitialising)
        return;
    snprintf(path, sizeof(path), "%s/backend-id", fe);
    backend_id = bench_xs_number(f->xs, path);
    if (backend_id < 0)
        return;
    if (bench_ring_share(&c->r, f->doms[d - f->first].xce,
                         f->doms[d - f->first].xgs, (unsigned int)backend_id,
                         &ref) ||
        bench_fe_publish(f->xs, fe, ref, c->r.port)) {
        fprintf(stderr, "bench_frontends: %s: cannot connect\n", fe);
        return;
    }
    c->state = XenbusStateInitialised;
}

static void backend_changed(frontends *f, unsigned int d, unsigned int n,
                            const char *path)
{
    console *c = find(f, d, n);
    char fe[96];

    if (!c || c->state != XenbusStateInitialised ||
        bench_xs_number(f->xs, path) != XenbusStateConnected)
        return;
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/console/%u", d, n);
    if (bench_fe_state(f->xs, fe, XenbusStateConnected)) {
        fprintf(stderr, "bench_frontends: %s: cannot connect\n", fe);
        return;
    }
    c->state = XenbusStateConnected;
    f->connected++;
    {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        printf("connected %lu %llu\n", f->connected,
               (unsigned long long)ts.tv_sec * 1000000000ULL +
                   (unsigned long long)ts.tv_nsec);
        fflush(stdout);
    }
}

/* Parses "<prefix><A>[/<B>[/<rest>]]": how many numbers were found; *rest
 * is what follows the numbers ("" if nothing). */
static int parse_path(const char *path, const char *prefix, unsigned int *a,
                      unsigned int *b, const char **rest)
{
    size_t len = strlen(prefix);
    char *end;
    int n = 0;

    *rest = "";
    if (strncmp(path, prefix, len) != 0)
        return 0;
    path += len;
    *a = (unsigned int)strtoul(path, &end, 10);
    if (end == path)
        return 0;
    n = 1;
    if (*end == '/' && end[1] >= '0' && end[1] <= '9') {
        path = end + 1;
        *b = (unsigned int)strtoul(path, &end, 10);
        n = 2;
    }
    *rest = end;
    return n;
}

static void watch_event(frontends *f, const char *path, const char *token)
{
    unsigned int d = 0, n = 0;
    const char *rest;
    int got;

    if (!strcmp(token, "be")) {
        if (parse_path(path, "/local/domain/0/backend/console/", &d, &n,
                       &rest) == 2 &&
            !strcmp(rest, "/state"))
            backend_changed(f, d, n, path);
        return;
    }
    got = parse_path(path, "/local/domain/", &d, &n, &rest);
    if (got != 1 || strncmp(rest, "/device/console", 15) != 0)
        return;
    rest += 15;
    if (*rest == '/') {
        probe(f, d, (unsigned int)strtoul(rest + 1, NULL, 10));
    } else if (!*rest) {
        char dir[64], **nodes;
        unsigned int i, count = 0;

        snprintf(dir, sizeof(dir), "/local/domain/%u/device/console", d);
        nodes = xs_directory(f->xs, XBT_NULL, dir, &count);
        for (i = 0; nodes && i < count; i++)
            probe(f, d, (unsigned int)strtoul(nodes[i], NULL, 10));
        free(nodes);
    }
}

int main(int argc, char **argv)
{
    frontends f = {0};
    unsigned int i, count;
    char path[64], token[16], dom[16];

    if (argc != 3) {
        fprintf(stderr, "usage: bench_frontends FIRST LAST\n");
        return 2;
    }
    f.first = (unsigned int)strtoul(argv[1], NULL, 10);
    f.last = (unsigned int)strtoul(argv[2], NULL, 10);
    if (!f.first || f.last < f.first)
        return 2;
    count = f.last - f.first + 1;
    bench_raise_nofile();
    f.xs = xs_open(0);
    f.doms = calloc(count, sizeof(*f.doms));
    f.cons = calloc((size_t)count * DEVIDS, sizeof(*f.cons));
    if (!f.xs || !f.doms || !f.cons)
        die("xs_open");
    for (i = 0; i < count; i++) {
        snprintf(dom, sizeof(dom), "%u", f.first + i);
        setenv("XENSIM_DOMID", dom, 1);
        f.doms[i].xce = xenevtchn_open(NULL, 0);
        f.doms[i].xgs = xengntshr_open(NULL, 0);
        if (!f.doms[i].xce || !f.doms[i].xgs)
            die("opening a guest's event channels and grants");
        snprintf(path, sizeof(path), "/local/domain/%u/device/console",
                 f.first + i);
        snprintf(token, sizeof(token), "fe%u", f.first + i);
        if (!xs_watch(f.xs, path, token))
            die("xs_watch");
    }
    setenv("XENSIM_DOMID", "0", 1);
    if (!xs_watch(f.xs, "/local/domain/0/backend/console", "be"))
        die("xs_watch");
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        char **ev = xs_read_watch(f.xs, &count);

        if (!ev) {
            if (errno == EINTR)
                continue;
            die("xs_read_watch");
        }
        watch_event(&f, ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
        free(ev);
    }
}
