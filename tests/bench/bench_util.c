/*
 * bench_util.c - shared by the relay benchmark's programs (bench_util.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/xenbus.h>

#include "bench_util.h"

#define PAGE_SIZE 4096

bench_stats *bench_stats_map(const char *path, bool create)
{
    int fd =
        open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
    void *p = MAP_FAILED;

    if (fd < 0) {
        perror(path);
        return NULL;
    }
    if (!create || !ftruncate(fd, PAGE_SIZE))
        p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        perror(path);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

uint64_t bench_load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void bench_add(uint64_t *p, uint64_t n)
{
    __atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(pid_t pid)
{
    char path[64], buf[128];
    struct dirent *de;
    uint64_t total = 0;
    DIR *dir;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    dir = opendir(path);
    if (!dir)
        return 0;
    while ((de = readdir(dir))) {
        char file[600];
        ssize_t r;
        int fd;

        if (de->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (r > 0) {
            buf[r] = '\0';
            total += strtoull(buf, NULL, 10);
        }
    }
    closedir(dir);
    return total;
}

void bench_raise_nofile(void)
{
    struct rlimit rl;

    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int bench_pin(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return 0;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

int bench_ring_events(bench_ring *r)
{
    xenevtchn_port_or_error_t port;
    int n = 0;

    for (;;) {
        port = xenevtchn_pending(r->xce);
        if (port < 0)
            return errno == EAGAIN || errno == EINTR ? n : -1;
        if (xenevtchn_unmask(r->xce, (evtchn_port_t)port))
            return -1;
        n++;
    }
}

void bench_ring_notify(bench_ring *r)
{
    xenevtchn_notify(r->xce, (evtchn_port_t)r->port);
}

static int nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int bench_ring_attach_backend(bench_ring *r, xengnttab_handle **xgt,
                              unsigned int domid, uint32_t ref, uint32_t port)
{
    void *page;

    *xgt = xengnttab_open(NULL, 0);
    r->xce = xenevtchn_open(NULL, 0);
    if (!*xgt || !r->xce) {
        perror("opening grants and event channels");
        return -1;
    }
    page = xengnttab_map_grant_ref(*xgt, domid, ref, PROT_READ | PROT_WRITE);
    if (!page) {
        perror("xengnttab_map_grant_ref");
        return -1;
    }
    xch_ring_attach(&r->ring, page, XCH_RING_BACKEND);
    r->port = xenevtchn_bind_interdomain(r->xce, domid, port);
    r->fd = xenevtchn_fd(r->xce);
    if (r->port < 0 || r->fd < 0 || nonblocking(r->fd)) {
        perror("xenevtchn_bind_interdomain");
        return -1;
    }
    return 0;
}

int bench_ring_share(bench_ring *r, xenevtchn_handle *xce,
                     xengntshr_handle *xgs, unsigned int backend_id,
                     uint32_t *ref)
{
    void *page = xengntshr_share_pages(xgs, backend_id, 1, ref, 1);

    if (!page) {
        perror("xengntshr_share_pages");
        return -1;
    }
    memset(page, 0, PAGE_SIZE);
    xch_ring_attach(&r->ring, page, XCH_RING_FRONTEND);
    r->xce = xce;
    r->port = xenevtchn_bind_unbound_port(xce, backend_id);
    r->fd = xenevtchn_fd(xce);
    if (r->port < 0 || r->fd < 0 || nonblocking(r->fd)) {
        perror("xenevtchn_bind_unbound_port");
        return -1;
    }
    return 0;
}

/* Writes n keys under fe in one transaction that checks fe exists. */
static int fe_write(struct xs_handle *xs, const char *fe,
                    const char *const *keys, const char *const *vals, int n)
{
    char path[256];
    unsigned int len;
    int i, tries;

    for (tries = 0; tries < 100; tries++) {
        xs_transaction_t t = xs_transaction_start(xs);
        char *cur;

        if (t == XBT_NULL)
            return -1;
        cur = xs_read(xs, t, fe, &len);
        if (!cur) {
            xs_transaction_end(xs, t, true);
            return -1;
        }
        free(cur);
        for (i = 0; i < n; i++) {
            snprintf(path, sizeof(path), "%s/%s", fe, keys[i]);
            if (!xs_write(xs, t, path, vals[i], strlen(vals[i]))) {
                xs_transaction_end(xs, t, true);
                return -1;
            }
        }
        if (xs_transaction_end(xs, t, false))
            return 0;
        if (errno != EAGAIN)
            return -1;
    }
    return -1;
}

int bench_fe_publish(struct xs_handle *xs, const char *fe, uint32_t ref,
                     int port)
{
    static const char *const keys[] = {"ring-ref", "port", "state"};
    char r[16], p[16], s[4];
    const char *vals[] = {r, p, s};

    snprintf(r, sizeof(r), "%u", ref);
    snprintf(p, sizeof(p), "%d", port);
    snprintf(s, sizeof(s), "%d", XenbusStateInitialised);
    return fe_write(xs, fe, keys, vals, 3);
}

int bench_fe_state(struct xs_handle *xs, const char *fe, int state)
{
    static const char *const keys[] = {"state"};
    char s[4];
    const char *vals[] = {s};

    snprintf(s, sizeof(s), "%d", state);
    return fe_write(xs, fe, keys, vals, 1);
}

long bench_xs_number(struct xs_handle *xs, const char *path)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len), *end = NULL;
    long n = -1;

    if (v && len > 0) {
        n = strtol(v, &end, 10);
        if (*end || n < 0)
            n = -1;
    }
    free(v);
    return n;
}
