/*
 * bench_ring.c - console ring throughput between two processes.
 *
 * Runs under the testbed's preload (XENSIM_DIR in the environment). The
 * process started by the user is the backend (domain XENSIM_DOMID,
 * default 0); it starts itself again as the guest (XENSIM_DOMID = the
 * guest domid), which shares a ring page and allocates an unbound event
 * channel for the backend and tells the backend the grant ref and port
 * through a pipe. Then, with the library's ring code and real wake-ups
 * through the preload's event channels:
 *   --mode stream  the guest writes N bytes into `out`, the backend reads
 *                  them (guest output, one way);
 *   --mode echo    the backend also echoes them into `in` and the guest
 *                  reads them back (both ways).
 *   --mode pipe    for comparison: the same bytes through a pipe between
 *                  two processes, in writes of the `out` ring's size
 *                  (no preload involved).
 * --verify checks every byte received against the sent pattern and prints
 * the streams' FNV-1a checksums; the exit status says whether they match.
 * Throughput is measured by the backend, from its first received byte to
 * its last, and printed as MiB/s; it is never asserted.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "xenchannel_ring.h"

/* A prime, so that the pattern never lines up with the ring sizes. */
#define PATTERN_LEN 65521
#define PAGE_SIZE   4096

typedef struct stream {
    uint64_t off;
    uint64_t fnv;
} stream;

typedef struct peer {
    xenevtchn_handle *xce;
    xch_ring ring;
    int port;
} peer;

typedef struct opts {
    uint64_t bytes;
    bool echo;
    bool pipe;
    bool verify;
    unsigned int guest_domid;
    unsigned int backend_domid;
} opts;

static unsigned char pattern[PATTERN_LEN];

static void make_pattern(void)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t i;

    for (i = 0; i < PATTERN_LEN; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = (unsigned char)x;
    }
}

static void fnv_add(stream *s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        s->fnv ^= p[i];
        s->fnv *= 0x100000001b3ULL;
    }
}

/* Fills dst with the next n bytes of the stream. */
static void stream_fill(stream *s, unsigned char *dst, size_t n)
{
    while (n > 0) {
        size_t at = (size_t)(s->off % PATTERN_LEN);
        size_t k = PATTERN_LEN - at < n ? PATTERN_LEN - at : n;

        memcpy(dst, pattern + at, k);
        dst += k;
        n -= k;
        s->off += k;
    }
}

/* Checks that src is the next n bytes of the stream. */
static bool stream_check(stream *s, const unsigned char *src, size_t n)
{
    while (n > 0) {
        size_t at = (size_t)(s->off % PATTERN_LEN);
        size_t k = PATTERN_LEN - at < n ? PATTERN_LEN - at : n;

        if (memcmp(src, pattern + at, k) != 0)
            return false;
        src += k;
        n -= k;
        s->off += k;
    }
    return true;
}

/* Waits for the next event on our port. 0, or -1 on failure. */
static int wait_event(peer *p)
{
    xenevtchn_port_or_error_t port = xenevtchn_pending(p->xce);

    if (port < 0) {
        perror("bench_ring: xenevtchn_pending");
        return -1;
    }
    if (xenevtchn_unmask(p->xce, (evtchn_port_t)port)) {
        perror("bench_ring: xenevtchn_unmask");
        return -1;
    }
    return 0;
}

static int notify(peer *p)
{
    if (xenevtchn_notify(p->xce, (evtchn_port_t)p->port)) {
        perror("bench_ring: xenevtchn_notify");
        return -1;
    }
    return 0;
}

/* Moves up to `limit` bytes from the ring into the stream `in`; returns
 * the count, or -1 on a corrupt ring or a verification failure. */
static ssize_t take(peer *p, stream *in, uint64_t limit, bool verify)
{
    struct iovec iov[2];
    ssize_t n;
    size_t total = 0;
    int i, niov;

    n = xch_ring_peek(&p->ring, iov, &niov);
    if (n < 0)
        return -1;
    for (i = 0; i < niov && total < limit; i++) {
        size_t k = iov[i].iov_len;

        if (k > limit - total)
            k = (size_t)(limit - total);
        if (verify) {
            fnv_add(in, iov[i].iov_base, k);
            if (!stream_check(in, iov[i].iov_base, k)) {
                fprintf(stderr,
                        "bench_ring: data mismatch at byte %" PRIu64 "\n",
                        in->off);
                return -1;
            }
        } else {
            in->off += k;
        }
        total += k;
    }
    if (total > 0 && xch_ring_consume(&p->ring, total))
        return -1;
    return (ssize_t)total;
}

/* Moves up to `limit` bytes of the stream `out` into the ring. */
static ssize_t give(peer *p, stream *out, uint64_t limit, bool verify)
{
    struct iovec iov[2];
    ssize_t n;
    size_t total = 0;
    int i, niov;

    n = xch_ring_reserve(&p->ring, iov, &niov);
    if (n < 0)
        return -1;
    for (i = 0; i < niov && total < limit; i++) {
        size_t k = iov[i].iov_len;

        if (k > limit - total)
            k = (size_t)(limit - total);
        stream_fill(out, iov[i].iov_base, k);
        if (verify)
            fnv_add(out, iov[i].iov_base, k);
        total += k;
    }
    if (total > 0 && xch_ring_commit(&p->ring, total))
        return -1;
    return (ssize_t)total;
}

/* The guest: send the stream into `out`, read the echo from `in`. */
static int run_guest(const opts *o, peer *p)
{
    stream sent = {0, 0xcbf29ce484222325ULL};
    stream back = {0, 0xcbf29ce484222325ULL};
    uint64_t want_back = o->echo ? o->bytes : 0;

    while (sent.off < o->bytes || back.off < want_back) {
        ssize_t a = 0, b = 0;

        if (sent.off < o->bytes)
            a = give(p, &sent, o->bytes - sent.off, o->verify);
        if (back.off < want_back)
            b = take(p, &back, want_back - back.off, o->verify);
        if (a < 0 || b < 0) {
            fprintf(stderr, "bench_ring: guest: ring failure\n");
            return 1;
        }
        if (a + b > 0) {
            if (notify(p))
                return 1;
        } else if (wait_event(p)) {
            return 1;
        }
    }
    if (o->verify)
        printf("guest: sent %" PRIu64 " bytes fnv1a %016" PRIx64
               ", got back %" PRIu64 " bytes fnv1a %016" PRIx64 "\n",
               sent.off, sent.fnv, back.off, back.fnv);
    return 0;
}

/* The backend: read `out` (and echo into `in`). */
static int run_backend(const opts *o, peer *p, double *secs)
{
    stream got = {0, 0xcbf29ce484222325ULL};
    stream echoed = {0, 0};
    struct timespec t0 = {0}, t1;
    unsigned char buf[1024];

    while (got.off < o->bytes) {
        ssize_t n;

        if (o->echo) {
            /* Echo only what `in` has room for; the rest waits in `out`. */
            size_t room;

            if (xch_ring_writable(&p->ring, &room))
                return 1;
            if (room > sizeof(buf))
                room = sizeof(buf);
            n = xch_ring_read(&p->ring, buf, room);
            if (n > 0) {
                if (o->verify) {
                    fnv_add(&got, buf, (size_t)n);
                    if (!stream_check(&got, buf, (size_t)n)) {
                        fprintf(stderr, "bench_ring: mismatch\n");
                        return 1;
                    }
                } else {
                    got.off += (uint64_t)n;
                }
                if (xch_ring_write(&p->ring, buf, (size_t)n) != n)
                    return 1;
                echoed.off += (uint64_t)n;
            }
        } else {
            n = take(p, &got, o->bytes - got.off, o->verify);
        }
        if (n < 0) {
            fprintf(stderr, "bench_ring: backend: ring failure\n");
            return 1;
        }
        if (n > 0 && t0.tv_sec == 0 && t0.tv_nsec == 0)
            clock_gettime(CLOCK_MONOTONIC, &t0);
        if (n > 0) {
            if (notify(p))
                return 1;
        } else if (wait_event(p)) {
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *secs = (double)(t1.tv_sec - t0.tv_sec) +
            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (o->verify)
        printf("backend: got %" PRIu64 " bytes fnv1a %016" PRIx64 "\n", got.off,
               got.fnv);
    return 0;
}

static int guest_main(const opts *o)
{
    xengntshr_handle *xgs = NULL;
    peer p = {.port = -1};
    void *page = NULL;
    uint32_t ref;
    int rc = 1;

    xgs = xengntshr_open(NULL, 0);
    p.xce = xenevtchn_open(NULL, 0);
    if (!xgs || !p.xce) {
        perror("bench_ring: guest: opening grants/event channels");
        goto out;
    }
    page = xengntshr_share_pages(xgs, o->backend_domid, 1, &ref, 1);
    if (!page) {
        perror("bench_ring: guest: xengntshr_share_pages");
        goto out;
    }
    memset(page, 0, PAGE_SIZE);
    xch_ring_attach(&p.ring, page, XCH_RING_FRONTEND);
    p.port = xenevtchn_bind_unbound_port(p.xce, o->backend_domid);
    if (p.port < 0) {
        perror("bench_ring: guest: xenevtchn_bind_unbound_port");
        goto out;
    }
    printf("%u %d\n", ref, p.port);
    fflush(stdout);
    rc = run_guest(o, &p);
out:
    if (p.port >= 0)
        xenevtchn_unbind(p.xce, (evtchn_port_t)p.port);
    if (page)
        xengntshr_unshare(xgs, page, 1);
    if (p.xce)
        xenevtchn_close(p.xce);
    if (xgs)
        xengntshr_close(xgs);
    return rc;
}

/* Starts this program as the guest; returns its pid and the read end of
 * its stdout. */
static pid_t spawn_guest(const opts *o, const char *self, int *out_fd)
{
    char domid[16], peer_id[16], bytes[32];
    int fds[2];
    pid_t pid;

    if (pipe(fds))
        return -1;
    snprintf(domid, sizeof(domid), "%u", o->guest_domid);
    snprintf(peer_id, sizeof(peer_id), "%u", o->backend_domid);
    snprintf(bytes, sizeof(bytes), "%" PRIu64, o->bytes);
    pid = fork();
    if (pid == 0) {
        const char *argv[] = {self,
                              "--guest-role",
                              "--backend-domid",
                              peer_id,
                              "--bytes",
                              bytes,
                              "--mode",
                              o->echo ? "echo" : "stream",
                              o->verify ? "--verify" : NULL,
                              NULL};

        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        setenv("XENSIM_DOMID", domid, 1);
        execv(self, (char *const *)argv);
        perror("bench_ring: exec");
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

static int backend_main(const opts *o, const char *self)
{
    xengnttab_handle *xgt = NULL;
    peer p = {.port = -1};
    void *page = NULL;
    FILE *child_out = NULL;
    unsigned long ref = 0, port = 0;
    char *end = NULL;
    int fd = -1, status, rc = 1;
    pid_t pid = -1;
    char line[256];
    double secs = 0;

    pid = spawn_guest(o, self, &fd);
    if (pid < 0) {
        perror("bench_ring: starting the guest");
        goto out;
    }
    child_out = fdopen(fd, "r");
    if (!child_out)
        goto out;
    fd = -1;
    if (!fgets(line, sizeof(line), child_out)) {
        fprintf(stderr, "bench_ring: the guest did not share a ring\n");
        goto out;
    }
    errno = 0;
    ref = strtoul(line, &end, 10);
    port = *end == ' ' ? strtoul(end + 1, &end, 10) : 0;
    if (errno || port == 0 || *end != '\n' || ref > UINT32_MAX ||
        port > INT32_MAX) {
        fprintf(stderr, "bench_ring: the guest did not share a ring\n");
        goto out;
    }
    xgt = xengnttab_open(NULL, 0);
    p.xce = xenevtchn_open(NULL, 0);
    if (!xgt || !p.xce) {
        perror("bench_ring: opening grants/event channels");
        goto out;
    }
    page = xengnttab_map_grant_ref(xgt, o->guest_domid, (uint32_t)ref,
                                   PROT_READ | PROT_WRITE);
    if (!page) {
        perror("bench_ring: xengnttab_map_grant_ref");
        goto out;
    }
    xch_ring_attach(&p.ring, page, XCH_RING_BACKEND);
    p.port = xenevtchn_bind_interdomain(p.xce, o->guest_domid, (uint32_t)port);
    if (p.port < 0) {
        perror("bench_ring: xenevtchn_bind_interdomain");
        goto out;
    }
    if (run_backend(o, &p, &secs))
        goto out;
    /* The guest's own report (checksums) follows on its stdout. */
    while (fgets(line, sizeof(line), child_out))
        fputs(line, stdout);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_ring: the guest failed\n");
        pid = -1;
        goto out;
    }
    pid = -1;
    printf("ring %s: %" PRIu64 " bytes in %.3f s: %.1f MiB/s\n",
           o->echo ? "echo" : "stream", o->bytes, secs,
           secs > 0 ? (double)o->bytes / (1024.0 * 1024.0) / secs : 0.0);
    rc = 0;
out:
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    if (p.port >= 0)
        xenevtchn_unbind(p.xce, (evtchn_port_t)p.port);
    if (page)
        xengnttab_unmap(xgt, page, 1);
    if (p.xce)
        xenevtchn_close(p.xce);
    if (xgt)
        xengnttab_close(xgt);
    if (child_out)
        fclose(child_out);
    if (fd >= 0)
        close(fd);
    return rc;
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The baseline: a pipe between two processes, ring-sized writes. */
static int pipe_main(const opts *o)
{
    const size_t chunk = sizeof(((struct xencons_interface *)0)->out);
    stream s = {0, 0};
    unsigned char buf[sizeof(((struct xencons_interface *)0)->out)];
    struct timespec t0;
    int fds[2], status;
    double secs;
    pid_t pid;

    if (pipe(fds)) {
        perror("bench_ring: pipe");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid == 0) {
        uint64_t got = 0;
        ssize_t r;

        close(fds[1]);
        while ((r = read(fds[0], buf, sizeof(buf))) > 0)
            got += (uint64_t)r;
        _exit(got == o->bytes ? 0 : 1);
    }
    close(fds[0]);
    if (pid < 0) {
        perror("bench_ring: fork");
        close(fds[1]);
        return 1;
    }
    while (s.off < o->bytes) {
        size_t n =
            o->bytes - s.off < chunk ? (size_t)(o->bytes - s.off) : chunk;
        size_t done = 0;

        stream_fill(&s, buf, n);
        while (done < n) {
            ssize_t w = write(fds[1], buf + done, n - done);

            if (w < 0) {
                perror("bench_ring: write");
                close(fds[1]);
                waitpid(pid, NULL, 0);
                return 1;
            }
            done += (size_t)w;
        }
    }
    close(fds[1]);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_ring: the reader failed\n");
        return 1;
    }
    secs = elapsed(&t0);
    printf("pipe, %zu-byte writes: %" PRIu64 " bytes in %.3f s: "
           "%.1f MiB/s\n",
           chunk, o->bytes, secs,
           secs > 0 ? (double)o->bytes / (1024.0 * 1024.0) / secs : 0.0);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_ring [--bytes N] [--mode stream|echo|pipe] "
               "[--verify] [--guest-domid D]\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bytes", required_argument, NULL, 'b'},
        {"mode", required_argument, NULL, 'm'},
        {"verify", no_argument, NULL, 'v'},
        {"guest-domid", required_argument, NULL, 'g'},
        {"backend-domid", required_argument, NULL, 'B'},
        {"guest-role", no_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    opts o = {.bytes = 256ULL << 20, .guest_domid = 1};
    const char *dom = getenv("XENSIM_DOMID");
    bool guest = false;
    unsigned long long v;
    char *end;
    int opt;

    o.backend_domid = dom && *dom ? (unsigned int)strtoul(dom, NULL, 10) : 0;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b':
        case 'g':
        case 'B':
            errno = 0;
            v = strtoull(optarg, &end, 10);
            if (errno || *end || !*optarg || (opt != 'b' && v > 0x7fef)) {
                fprintf(stderr, "bench_ring: %s: not a number\n", optarg);
                return 2;
            }
            if (opt == 'b')
                o.bytes = v;
            else if (opt == 'g')
                o.guest_domid = (unsigned int)v;
            else
                o.backend_domid = (unsigned int)v;
            break;
        case 'm':
            if (strcmp(optarg, "stream") != 0 && strcmp(optarg, "echo") != 0 &&
                strcmp(optarg, "pipe") != 0) {
                fprintf(stderr, "bench_ring: --mode %s: not stream|echo|pipe\n",
                        optarg);
                return 2;
            }
            o.echo = !strcmp(optarg, "echo");
            o.pipe = !strcmp(optarg, "pipe");
            break;
        case 'v':
            o.verify = true;
            break;
        case 'G':
            guest = true;
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
    make_pattern();
    if (o.pipe)
        return pipe_main(&o);
    return guest ? guest_main(&o) : backend_main(&o, "/proc/self/exe");
}
