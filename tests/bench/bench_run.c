/*
 * bench_run.c - one case of the relay benchmark, measured from the host
 * end (tests/bench/bench.sh).
 *
 *   bench_run --guest DIR (--socket PATH | --tty PATH | --ring D:REF:PORT)
 *             --case g2h|h2g|ping|tick [--size W] [--seconds T]
 *             [--warmup S] [--reps R] [--cpu-pid PID] [--drops CMD]
 *
 * The guest is a bench_guest whose control socket and counters are
 * DIR/ctl and DIR/stats. The host end is a unix socket, a tty, or (the
 * raw ring, no relay) the guest's ring itself, mapped here as its backend
 * (run as dom0 under the preload). Each of R repetitions runs for a fixed
 * time: the guest is told what to do, the first S seconds (0.1) are not
 * counted, the next T seconds (0.5) are, then the guest is stopped and
 * what is in flight is drained before the next one.
 *   g2h   the guest writes W-byte writes; this program reads (64 KiB
 *         reads) and counts: MiB/s received.
 *   h2g   this program writes W-byte writes; the guest reads: MiB/s the
 *         guest received (its counter).
 *   ping  one byte out, the guest echoes it, one byte back: the round
 *         trip's p50, p99, p99.9 in microseconds.
 *   tick  the guest writes one byte and waits until the relay took it,
 *         over and over: the CPU time of process PID (the relay) per such
 *         guest notification, in microseconds.
 * With --cpu-pid, g2h and h2g also give PID's CPU time per MiB relayed.
 * --drops CMD prints the relay's count of dropped bytes (for xenchanneld:
 * xcd-test status ... bytes_dropped): while draining, when nothing comes
 * for 200 ms, the drops are asked for and bytes dropped are not waited
 * for; every drop is reported.
 *
 * Prints one line: CASE size=W and, for each figure, NAME=MEDIAN:MIN:MAX
 * over the repetitions; then drops=N. Exit status 1 when a repetition
 * stalls (nothing moves for 20 s) or fails.
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
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_REPS 16
#define STALL_NS (20ULL * 1000000000ULL)
#define IDLE_MS  200
#define MIB      1048576.0

typedef struct host {
    int fd; /* socket or tty; -1 for the ring */
    bench_ring r;
} host;

typedef struct run {
    host h;
    int ctl;
    bench_stats *st;
    const char *kase;
    size_t size;
    uint64_t warmup_ns, window_ns;
    int reps;
    pid_t cpu_pid;
    const char *drops_cmd;
    uint64_t moved; /* bytes the relay moved, warm-up and drain included */
    unsigned char buf[BENCH_CHUNK];
} run;

/* The figures of one repetition. */
typedef struct figures {
    double v[4];
} figures;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_run: %s\n", what);
    exit(1);
}

/* ---- the host end ---- */

static ssize_t host_read(host *h, void *buf, size_t cap)
{
    struct iovec iov[2];
    ssize_t n;
    int niov;

    if (h->fd >= 0) {
        n = read(h->fd, buf, cap);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n <= 0)
            fail(n == 0 ? "the host end closed" : strerror(errno));
        return n;
    }
    n = xch_ring_peek(&h->r.ring, iov, &niov);
    if (n < 0)
        fail("corrupt ring");
    if (n == 0)
        return 0;
    if (xch_ring_consume(&h->r.ring, (size_t)n))
        fail("ring consume");
    bench_ring_notify(&h->r);
    return n;
}

static ssize_t host_write(host *h, const void *buf, size_t n)
{
    ssize_t w;

    if (h->fd >= 0) {
        w = write(h->fd, buf, n);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (w < 0)
            fail(strerror(errno));
        return w;
    }
    w = xch_ring_write(&h->r.ring, buf, n);
    if (w < 0)
        fail("corrupt ring");
    if (w > 0)
        bench_ring_notify(&h->r);
    return w;
}

/* Waits (at most ms) until the host end may be readable (POLLIN) or
 * writable (POLLOUT). */
static void host_wait(host *h, short events, int ms)
{
    struct pollfd p = {.fd = h->fd >= 0 ? h->fd : h->r.fd,
                       .events = h->fd >= 0 ? events : POLLIN};

    if (poll(&p, 1, ms) < 0 && errno != EINTR)
        die("poll");
    if (h->fd < 0 && p.revents && bench_ring_events(&h->r) < 0)
        die("event channel");
}

static void host_open(host *h, const char *sock, const char *tty,
                      const char *ring)
{
    h->fd = -1;
    if (sock) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (h->fd < 0 || strlen(sock) >= sizeof(sa.sun_path))
            die("socket");
        memcpy(sa.sun_path, sock, strlen(sock) + 1);
        if (connect(h->fd, (struct sockaddr *)&sa, sizeof(sa)))
            die(sock);
    } else if (tty) {
        struct termios t;

        h->fd = open(tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (h->fd < 0)
            die(tty);
        if (!tcgetattr(h->fd, &t)) {
            cfmakeraw(&t);
            tcsetattr(h->fd, TCSANOW, &t);
        }
    } else {
        unsigned long d, ref, port;
        xengnttab_handle *xgt;
        char *end;

        d = strtoul(ring, &end, 10);
        ref = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
        port = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
        if (*end || !d || !port)
            fail("--ring D:REF:PORT");
        if (bench_ring_attach_backend(&h->r, &xgt, (unsigned int)d,
                                      (uint32_t)ref, (uint32_t)port))
            exit(1);
    }
}

/* ---- the guest ---- */

static void guest_open(run *r, const char *dir)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char path[sizeof(sa.sun_path) + 16];

    snprintf(path, sizeof(path), "%s/stats", dir);
    r->st = bench_stats_map(path, false);
    if (!r->st)
        exit(1);
    if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", dir) >=
        (int)sizeof(sa.sun_path))
        fail("guest directory path too long");
    r->ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->ctl < 0 || connect(r->ctl, (struct sockaddr *)&sa, sizeof(sa)))
        die(sa.sun_path);
}

static void guest_say(run *r, const char *cmd)
{
    size_t n = strlen(cmd);

    if (write(r->ctl, cmd, n) != (ssize_t)n)
        die("guest control");
}

/* Stops the guest; returns its tx count. */
static uint64_t guest_stop(run *r)
{
    unsigned long long tx;
    char line[128] = "", *end;
    size_t len = 0;
    ssize_t n;

    __atomic_store_n(&r->st->stop, 1, __ATOMIC_RELAXED);
    guest_say(r, "stop\n");
    while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
        n = read(r->ctl, line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            fail("the guest did not answer");
        len += (size_t)n;
    }
    line[len] = '\0';
    if (strncmp(line, "done ", 5) != 0)
        fail("the guest's answer");
    tx = strtoull(line + 5, &end, 10);
    if (*end != ' ')
        fail("the guest's answer");
    return tx;
}

/* ---- drops ---- */

static uint64_t drops(run *r)
{
    char line[64];
    uint64_t v = 0;
    FILE *f;

    if (!r->drops_cmd)
        return 0;
    f = popen(r->drops_cmd, "r");
    if (!f)
        return 0;
    if (fgets(line, sizeof(line), f))
        v = strtoull(line, NULL, 10);
    pclose(f);
    return v;
}

/* ---- repetitions ---- */

/* Reads until rx reaches want, or what is missing was dropped. Returns
 * the bytes the relay dropped meanwhile (beyond *dropped0). */
static uint64_t drain_reader(run *r, uint64_t *rx, uint64_t want,
                             uint64_t dropped0)
{
    uint64_t last = bench_now_ns(), d = 0;

    while (*rx < want) {
        ssize_t n = host_read(&r->h, r->buf, sizeof(r->buf));

        if (n > 0) {
            *rx += (uint64_t)n;
            last = bench_now_ns();
            continue;
        }
        host_wait(&r->h, POLLIN, IDLE_MS);
        if (bench_now_ns() - last >= IDLE_MS * 1000000ULL) {
            d = drops(r) - dropped0;
            if (*rx + d >= want)
                break;
            if (bench_now_ns() - last >= STALL_NS)
                fail("stalled: bytes neither arrive nor were dropped");
        }
    }
    return d;
}

/* g2h and tick: the guest writes, this end reads. */
static uint64_t rep_reader(run *r, figures *f, bool tick)
{
    uint64_t tx0 = bench_load(&r->st->tx), ticks0 = 0, rx = 0, rx0 = 0;
    uint64_t t0 = 0, cpu0 = 0, dropped0 = drops(r), start, now, tx;
    char cmd[32];

    snprintf(cmd, sizeof(cmd), tick ? "tick\n" : "send %zu\n", r->size);
    guest_say(r, cmd);
    start = bench_now_ns();
    for (;;) {
        ssize_t n = host_read(&r->h, r->buf, sizeof(r->buf));

        if (n > 0)
            rx += (uint64_t)n;
        now = bench_now_ns();
        if (!t0 && now >= start + r->warmup_ns) {
            t0 = now;
            rx0 = rx;
            ticks0 = bench_load(&r->st->ticks);
            cpu0 = r->cpu_pid ? bench_cpu_ns(r->cpu_pid) : 0;
        } else if (t0 && now >= t0 + r->window_ns) {
            double secs = (double)(now - t0) / 1e9;
            uint64_t cpu = r->cpu_pid ? bench_cpu_ns(r->cpu_pid) - cpu0 : 0;
            uint64_t ticks = bench_load(&r->st->ticks) - ticks0;

            if (tick) {
                f->v[0] = ticks ? (double)cpu / 1e3 / (double)ticks : 0;
                f->v[1] = (double)ticks / secs;
            } else {
                f->v[0] = (double)(rx - rx0) / MIB / secs;
                f->v[1] = rx > rx0
                              ? (double)cpu / 1e3 / ((double)(rx - rx0) / MIB)
                              : 0;
            }
            break;
        }
        if (n <= 0)
            host_wait(&r->h, POLLIN, 20);
    }
    tx = guest_stop(r) - tx0;
    r->moved += tx;
    return drain_reader(r, &rx, tx, dropped0);
}

/* h2g: this end writes, the guest reads. */
static void rep_writer(run *r, figures *f)
{
    uint64_t rx0 = bench_load(&r->st->rx), tx = 0, left = r->size;
    uint64_t start = bench_now_ns(), t0 = 0, w0 = 0, cpu0 = 0, now, last;

    guest_say(r, "recv\n");
    for (;;) {
        ssize_t n = host_write(&r->h, r->buf, left);

        if (n > 0) {
            tx += (uint64_t)n;
            left -= (uint64_t)n;
            if (!left)
                left = r->size;
        }
        now = bench_now_ns();
        if (!t0 && now >= start + r->warmup_ns) {
            t0 = now;
            w0 = bench_load(&r->st->rx);
            cpu0 = r->cpu_pid ? bench_cpu_ns(r->cpu_pid) : 0;
        } else if (t0 && now >= t0 + r->window_ns) {
            double secs = (double)(now - t0) / 1e9;
            uint64_t got = bench_load(&r->st->rx) - w0;
            uint64_t cpu = r->cpu_pid ? bench_cpu_ns(r->cpu_pid) - cpu0 : 0;

            f->v[0] = (double)got / MIB / secs;
            f->v[1] = got ? (double)cpu / 1e3 / ((double)got / MIB) : 0;
            break;
        }
        if (n <= 0)
            host_wait(&r->h, POLLOUT, 20);
    }
    /* What is in flight reaches the guest (nothing drops this way). */
    last = bench_now_ns();
    while (bench_load(&r->st->rx) - rx0 < tx) {
        struct timespec ts = {0, 200000};
        uint64_t seen = bench_load(&r->st->rx);

        nanosleep(&ts, NULL);
        if (bench_load(&r->st->rx) != seen)
            last = bench_now_ns();
        else if (bench_now_ns() - last > STALL_NS)
            fail("stalled: the guest receives nothing more");
    }
    guest_stop(r);
    r->moved += tx;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)n);

    return n ? (double)v[i < n ? i : n - 1] / 1e3 : 0;
}

/* ping: one byte there and back, over and over. */
static void rep_ping(run *r, figures *f)
{
    static uint64_t rtt[1 << 21];
    uint64_t start, t, now;
    size_t n = 0;
    unsigned char b = 'p';

    guest_say(r, "echo\n");
    start = bench_now_ns();
    for (;;) {
        t = bench_now_ns();
        while (host_write(&r->h, &b, 1) != 1)
            host_wait(&r->h, POLLOUT, 20);
        while (host_read(&r->h, r->buf, sizeof(r->buf)) <= 0) {
            host_wait(&r->h, POLLIN, 1000);
            if (bench_now_ns() - t > STALL_NS)
                fail("a ping got no answer");
        }
        now = bench_now_ns();
        if (t >= start + r->warmup_ns && n < sizeof(rtt) / sizeof(rtt[0]))
            rtt[n++] = now - t;
        if (now >= start + r->warmup_ns + r->window_ns)
            break;
    }
    guest_stop(r);
    qsort(rtt, n, sizeof(rtt[0]), cmp_u64);
    f->v[0] = pct(rtt, n, 0.5);
    f->v[1] = pct(rtt, n, 0.99);
    f->v[2] = pct(rtt, n, 0.999);
    f->v[3] = (double)n;
}

static void summary(const char *name, figures *f, int reps, int k)
{
    double v[MAX_REPS] = {0};
    int i;

    for (i = 0; i < reps; i++)
        v[i] = f[i].v[k];
    qsort(v, (size_t)reps, sizeof(v[0]), cmp_double);
    printf(" %s=%.4g:%.4g:%.4g", name, v[reps / 2], v[0], v[reps - 1]);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"guest", required_argument, NULL, 'g'},
        {"socket", required_argument, NULL, 's'},
        {"tty", required_argument, NULL, 't'},
        {"ring", required_argument, NULL, 'r'},
        {"case", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 'w'},
        {"seconds", required_argument, NULL, 'T'},
        {"warmup", required_argument, NULL, 'W'},
        {"reps", required_argument, NULL, 'n'},
        {"cpu-pid", required_argument, NULL, 'p'},
        {"drops", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    static run r;
    const char *guest = NULL, *sock = NULL, *tty = NULL, *ring = NULL;
    figures f[MAX_REPS];
    uint64_t dropped = 0;
    int opt, i;

    r.size = 4096;
    r.warmup_ns = 100000000ULL;
    r.window_ns = 500000000ULL;
    r.reps = 3;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'g':
            guest = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 't':
            tty = optarg;
            break;
        case 'r':
            ring = optarg;
            break;
        case 'c':
            r.kase = optarg;
            break;
        case 'w':
            r.size = strtoul(optarg, NULL, 10);
            break;
        case 'T':
            r.window_ns = (uint64_t)(strtod(optarg, NULL) * 1e9);
            break;
        case 'W':
            r.warmup_ns = (uint64_t)(strtod(optarg, NULL) * 1e9);
            break;
        case 'n':
            r.reps = (int)strtol(optarg, NULL, 10);
            break;
        case 'p':
            r.cpu_pid = (pid_t)strtol(optarg, NULL, 10);
            break;
        case 'd':
            r.drops_cmd = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!guest || !r.kase || (!sock && !tty && !ring) || r.reps < 1 ||
        r.reps > MAX_REPS || r.size < 1 || r.size > BENCH_CHUNK ||
        r.window_ns == 0) {
        fprintf(stderr, "usage: bench_run --guest DIR (--socket PATH | "
                        "--tty PATH | --ring D:REF:PORT) --case "
                        "g2h|h2g|ping|tick [--size W] [--seconds T] "
                        "[--warmup S] [--reps R] [--cpu-pid PID] "
                        "[--drops CMD]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    memset(r.buf, 'y', sizeof(r.buf));
    guest_open(&r, guest);
    host_open(&r.h, sock, tty, ring);
    for (i = 0; i < r.reps; i++) {
        memset(&f[i], 0, sizeof(f[i]));
        if (!strcmp(r.kase, "g2h"))
            dropped += rep_reader(&r, &f[i], false);
        else if (!strcmp(r.kase, "tick"))
            dropped += rep_reader(&r, &f[i], true);
        else if (!strcmp(r.kase, "h2g"))
            rep_writer(&r, &f[i]);
        else if (!strcmp(r.kase, "ping"))
            rep_ping(&r, &f[i]);
        else
            fail("--case: g2h, h2g, ping or tick");
    }
    printf("%s size=%zu", r.kase, r.size);
    if (!strcmp(r.kase, "ping")) {
        summary("p50", f, r.reps, 0);
        summary("p99", f, r.reps, 1);
        summary("p999", f, r.reps, 2);
        summary("pings", f, r.reps, 3);
    } else if (!strcmp(r.kase, "tick")) {
        summary("event_us", f, r.reps, 0);
        summary("events_per_s", f, r.reps, 1);
    } else {
        summary("mib_s", f, r.reps, 0);
        if (r.cpu_pid)
            summary("cpu_us_per_mib", f, r.reps, 1);
    }
    printf(" moved=%llu drops=%llu\n", (unsigned long long)r.moved,
           (unsigned long long)dropped);
    return 0;
}
