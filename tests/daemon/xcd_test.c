/*
 * xcd_test.c - xcd-test, the helper of the daemon's integration tests.
 *
 *   xcd-test stream (--connect SOCKET | --open TTY) [--send-seed S]
 *           [--send-off O] [--send N] [--recv-seed R] [--recv-off O]
 *           [--recv N | --recv-tail TOTAL]
 *       Sends bytes O..O+N-1 of the pseudo-random stream S while receiving
 *       and checking bytes O..O+N-1 of stream R, both at once. With
 *       --recv-tail, the bytes received must be the end of the first TOTAL
 *       bytes of R from some offset P on (older ones were dropped); prints
 *       "offset P" and stops at byte TOTAL-1. With --fast (benchmarks),
 *       one block of the stream is sent over and over and nothing
 *       received is checked, only counted.
 *       --recv-pieces TOTAL: the bytes received are runs of the first
 *       TOTAL bytes of R, in order, with gaps (bytes dropped on the way,
 *       anywhere); ends at byte TOTAL-1 and prints "offset P" (where the
 *       first run starts), then "pieces K received N" (N bytes in K runs).
 *       --send-until-eof: sends until standard input reaches its end, then
 *       prints "sent N" (instead of --send N).
 *       --recv-chunk C, --recv-pause-us U: a slow reader, at most C bytes
 *       per read and a pause of U microseconds after each.
 *       --mark M: prints "mark" once M bytes were received.
 *       --send-progress B: prints "sent N" each time N, a multiple of B,
 *       bytes have been sent.
 *       --gaps-ms D: for the first D ms of receiving (from the first
 *       byte), times the gaps between reads; then prints "rate R MiB/s
 *       reads N gap-us p50 A p99 B p999 C max D" and goes on receiving.
 *       --counter FILE: a sender publishes how much it sent in FILE
 *       (shared memory); a receiver timing its gaps reads it after each
 *       read and adds "backlog-max B" to that line: the most that was
 *       sent and not yet received (everything in flight between them).
 *   xcd-test wait-path PATH [--gone]
 *       Returns once PATH exists (or, --gone, does not), using inotify on
 *       its directory.
 *   xcd-test wait-xs PATH VALUE
 *       Returns once xenstore node PATH holds VALUE, using a watch.
 *   xcd-test wait-xs-change PATH VALUE
 *       Returns once xenstore node PATH exists and holds something other
 *       than VALUE, using a watch; prints what it holds.
 *   xcd-test wait-log FILE TEXT [COUNT]
 *       Returns once COUNT (default 1) lines of FILE contain TEXT, using
 *       inotify on the file.
 *   xcd-test status SOCKET DOMID DEVID FIELD
 *       Asks the daemon's control socket for guest DOMID's channels and
 *       prints FIELD of the one with DEVID.
 *
 * Every command gives up after $XCD_TEST_TIMEOUT seconds (default 120,
 * SIGALRM), so a broken daemon fails a test instead of hanging it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <yajl/yajl_tree.h>

#define CHUNK 65536
/* Bytes that place a run of the stream (--recv-pieces): a whole 8-byte
 * block whatever the alignment, and more to check it. */
#define RESYNC_BYTES 16

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "xcd-test: ");
    fprintf(stderr, "%s: %s\n", fmt, arg ? arg : "");
    exit(1);
}

/* Byte i of stream seed: splitmix64 of the 8-byte block number. */
static uint8_t stream_byte(uint64_t seed, uint64_t i)
{
    uint64_t z = seed * 0x9e3779b97f4a7c15ULL + (i >> 3) + 1;

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (uint8_t)(z >> ((i & 7) * 8));
}

static void stream_fill(uint64_t seed, uint64_t off, uint8_t *buf, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        buf[i] = stream_byte(seed, off + i);
}

static unsigned long long number(const char *s)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || !*s || *end)
        die("not a number", s);
    return v;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        die("socket", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
        die(strerror(errno), path);
    return fd;
}

static int open_tty(const char *path)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        die(strerror(errno), path);
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    return fd;
}

typedef struct recv_state {
    uint64_t seed, off, want;
    uint64_t got;
    bool tail; /* want is the stream's total; off found from the data */
    bool placed;
    uint8_t head[64];
    size_t head_len;
    /* --recv-pieces: runs with gaps; the next byte is stream byte pos,
     * unless a run is being placed (pend holds its first bytes). */
    bool pieces, syncing;
    uint64_t pos, runs, received;
    uint8_t pend[RESYNC_BYTES];
    size_t npend;
} recv_state;

/* Finds where the first received bytes are in the stream (tail mode). */
static void place_tail(recv_state *rs)
{
    uint64_t p;
    size_t i;

    for (p = 0; p + rs->head_len <= rs->want; p++) {
        for (i = 0; i < rs->head_len; i++)
            if (stream_byte(rs->seed, p + i) != rs->head[i])
                break;
        if (i == rs->head_len) {
            rs->off = p;
            rs->placed = true;
            printf("offset %llu\n", (unsigned long long)p);
            fflush(stdout);
            return;
        }
    }
    die("received bytes are not from the stream", NULL);
}

static void check_bytes(recv_state *rs, const uint8_t *buf, size_t n)
{
    size_t i;

    if (rs->tail && !rs->placed) {
        size_t take = sizeof(rs->head) - rs->head_len;

        if (take > n)
            take = n;
        memcpy(rs->head + rs->head_len, buf, take);
        rs->head_len += take;
        if (rs->head_len < sizeof(rs->head) && rs->head_len < rs->want)
            return;     /* checked once placed */
        place_tail(rs); /* compares the head */
        rs->got = rs->head_len;
        buf += take;
        n -= take;
    }
    for (i = 0; i < n; i++) {
        if (buf[i] != stream_byte(rs->seed, rs->off + rs->got + i)) {
            char where[64];

            uint64_t pos = rs->off + rs->got + i;

            snprintf(where, sizeof(where), "stream byte %llu",
                     (unsigned long long)pos);
            die("received data differ", where);
        }
    }
    rs->got += n;
}

/* ---- runs with gaps (--recv-pieces) ---- */

/* The inverse of y = x ^ (x >> s). */
static uint64_t unxorshift(uint64_t y, unsigned int s)
{
    uint64_t x = y;
    unsigned int t;

    for (t = s; t < 64; t += s)
        x ^= y >> t;
    return x;
}

/* The inverse of odd a modulo 2^64 (Newton's iteration: 3 bits right at
 * the start, twice as many after each step). */
static uint64_t inverse_odd(uint64_t a)
{
    uint64_t x = a;
    int i;

    for (i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

/* The block number whose 8 bytes in stream seed are z (little endian):
 * stream_byte's splitmix64 run backwards. */
static uint64_t stream_block_of(uint64_t seed, uint64_t z)
{
    z = unxorshift(z, 31);
    z *= inverse_odd(0x94d049bb133111ebULL);
    z = unxorshift(z, 27);
    z *= inverse_odd(0xbf58476d1ce4e5b9ULL);
    z = unxorshift(z, 30);
    return z - seed * 0x9e3779b97f4a7c15ULL - 1;
}

/* Where in stream seed the RESYNC_BYTES bytes of buf are, or UINT64_MAX:
 * one of the first 8 offsets starts a whole block, which names its
 * position; all the bytes must then match. */
static uint64_t stream_locate(uint64_t seed, const uint8_t *buf)
{
    uint64_t z, blk, q;
    size_t a, k;

    for (a = 0; a < 8; a++) {
        z = 0;
        for (k = 0; k < 8; k++)
            z |= (uint64_t)buf[a + k] << (8 * k);
        blk = stream_block_of(seed, z);
        if (blk > (UINT64_MAX >> 3) || blk * 8 < a)
            continue;
        q = blk * 8 - a;
        for (k = 0; k < RESYNC_BYTES && buf[k] == stream_byte(seed, q + k); k++)
            ;
        if (k == RESYNC_BYTES)
            return q;
    }
    return UINT64_MAX;
}

/* The first bytes of a run are in rs->pend: where is it? */
static void place_run(recv_state *rs)
{
    uint64_t q = stream_locate(rs->seed, rs->pend);
    char where[64];

    snprintf(where, sizeof(where), "after %llu bytes",
             (unsigned long long)(rs->received - rs->npend));
    if (q == UINT64_MAX)
        die("received data differ (not from the stream)", where);
    if (rs->runs && q < rs->pos)
        die("received data repeat or go backwards", where);
    if (q + RESYNC_BYTES > rs->want)
        die("received data go past the end of the stream", where);
    if (!rs->runs) {
        rs->off = q;
        printf("offset %llu\n", (unsigned long long)q);
        fflush(stdout);
    }
    rs->runs++;
    rs->pos = q + RESYNC_BYTES;
    rs->npend = 0;
    rs->syncing = false;
}

static void check_pieces(recv_state *rs, const uint8_t *buf, size_t n)
{
    size_t i = 0;

    while (i < n) {
        if (rs->syncing) {
            rs->pend[rs->npend++] = buf[i++];
            rs->received++;
            if (rs->npend == RESYNC_BYTES)
                place_run(rs);
        } else if (rs->pos >= rs->want) {
            die("received more bytes than the stream has", NULL);
        } else if (buf[i] == stream_byte(rs->seed, rs->pos)) {
            rs->pos++;
            rs->received++;
            i++;
        } else {
            rs->syncing = true; /* a gap: this byte starts the next run */
        }
    }
}

static bool recv_done(const recv_state *rs)
{
    if (rs->pieces)
        return rs->runs && !rs->syncing && rs->pos >= rs->want;
    if (rs->tail)
        return rs->placed && rs->off + rs->got >= rs->want;
    return rs->got >= rs->want;
}

/* ---- timing the reader (--gaps-ms) ---- */

static uint64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

typedef struct gaps {
    uint64_t window_us; /* 0: not timing */
    uint64_t first_us, last_us, bytes;
    uint32_t *us; /* the gaps between reads */
    size_t n, cap;
    bool reported;
    const uint64_t *peer_sent; /* --counter: the sender's count */
    uint64_t received, backlog_max;
} gaps;

/* The shared count of --counter FILE. */
static uint64_t *counter_map(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    void *p;

    if (fd < 0 || ftruncate(fd, 4096))
        die(strerror(errno), path);
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        die(strerror(errno), path);
    close(fd);
    return p;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static uint32_t percentile(const gaps *g, unsigned int per_mille)
{
    size_t i = g->n * per_mille / 1000;

    return g->us[i < g->n ? i : g->n - 1];
}

static void gaps_report(gaps *g)
{
    double secs = (double)(g->last_us - g->first_us) / 1e6;

    g->reported = true;
    if (!g->n) {
        printf("rate 0 MiB/s reads 0\n");
        fflush(stdout);
        return;
    }
    qsort(g->us, g->n, sizeof(*g->us), cmp_u32);
    printf("rate %.1f MiB/s reads %zu gap-us p50 %u p99 %u p999 %u max %u",
           secs > 0 ? (double)g->bytes / 1048576.0 / secs : 0.0, g->n + 1,
           percentile(g, 500), percentile(g, 990), percentile(g, 999),
           g->us[g->n - 1]);
    if (g->peer_sent)
        printf(" backlog-max %llu", (unsigned long long)g->backlog_max);
    printf("\n");
    fflush(stdout);
    free(g->us);
    g->us = NULL;
}

/* A read of r bytes just returned. */
static void gaps_read(gaps *g, size_t r)
{
    uint64_t t;

    if (!g->window_us || g->reported)
        return;
    g->received += r;
    if (g->peer_sent) {
        uint64_t sent = __atomic_load_n(g->peer_sent, __ATOMIC_RELAXED);

        if (sent > g->received && sent - g->received > g->backlog_max)
            g->backlog_max = sent - g->received;
    }
    t = now_us();
    if (!g->first_us) {
        g->first_us = g->last_us = t;
        g->bytes = 0; /* the rate counts what came after the first read */
        return;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 4096;
        uint32_t *us = realloc(g->us, cap * sizeof(*us));

        if (!us)
            die("out of memory", NULL);
        g->us = us;
        g->cap = cap;
    }
    g->us[g->n++] =
        (uint32_t)(t - g->last_us > UINT32_MAX ? UINT32_MAX : t - g->last_us);
    g->last_us = t;
    g->bytes += r;
    if (t - g->first_us >= g->window_us)
        gaps_report(g);
}

static int cmd_stream(int argc, char **argv)
{
    static const struct option opts[] = {
        {"connect", required_argument, NULL, 'c'},
        {"open", required_argument, NULL, 'o'},
        {"send-seed", required_argument, NULL, 's'},
        {"send-off", required_argument, NULL, 'S'},
        {"send", required_argument, NULL, 'n'},
        {"recv-seed", required_argument, NULL, 'r'},
        {"recv-off", required_argument, NULL, 'R'},
        {"recv", required_argument, NULL, 'm'},
        {"recv-tail", required_argument, NULL, 't'},
        {"fast", no_argument, NULL, 'f'},
        {"recv-pieces", required_argument, NULL, 'p'},
        {"send-until-eof", no_argument, NULL, 'e'},
        {"recv-chunk", required_argument, NULL, 'C'},
        {"recv-pause-us", required_argument, NULL, 'P'},
        {"mark", required_argument, NULL, 'M'},
        {"gaps-ms", required_argument, NULL, 'g'},
        {"counter", required_argument, NULL, 'k'},
        {"send-progress", required_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    uint64_t send_seed = 1, send_off = 0, send_n = 0, sent = 0;
    uint64_t read_total = 0, mark = 0, pause_us = 0, progress = 0;
    recv_state rs = {.seed = 2};
    uint8_t out[CHUNK], in[CHUNK];
    size_t out_len = 0, out_pos = 0, chunk = sizeof(in);
    bool fast = false, until_eof = false, marked = false;
    gaps g = {0};
    uint64_t *counter = NULL;
    int fd = -1, opt;
    ssize_t r;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            fd = connect_unix(optarg);
            break;
        case 'o':
            fd = open_tty(optarg);
            break;
        case 's':
            send_seed = number(optarg);
            break;
        case 'S':
            send_off = number(optarg);
            break;
        case 'n':
            send_n = number(optarg);
            break;
        case 'r':
            rs.seed = number(optarg);
            break;
        case 'R':
            rs.off = number(optarg);
            break;
        case 'm':
            rs.want = number(optarg);
            break;
        case 't':
            rs.want = number(optarg);
            rs.tail = true;
            break;
        case 'f':
            fast = true;
            break;
        case 'p':
            rs.want = number(optarg);
            rs.pieces = rs.syncing = true;
            break;
        case 'e':
            until_eof = true;
            send_n = UINT64_MAX;
            break;
        case 'C':
            chunk = (size_t)number(optarg);
            if (!chunk || chunk > sizeof(in))
                die("--recv-chunk out of range", optarg);
            break;
        case 'P':
            pause_us = number(optarg);
            break;
        case 'M':
            mark = number(optarg);
            break;
        case 'g':
            g.window_us = number(optarg) * 1000;
            break;
        case 'k':
            counter = counter_map(optarg);
            break;
        case 'G':
            progress = number(optarg);
            break;
        default:
            return 2;
        }
    }
    if (fd < 0)
        die("stream needs --connect or --open", NULL);
    if (counter && !send_n)
        g.peer_sent = counter;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (sent < send_n || !recv_done(&rs)) {
        struct pollfd p[2] = {{.fd = fd}, {.fd = 0}};
        int np = 1;

        if (sent < send_n)
            p[0].events |= POLLOUT;
        if (!recv_done(&rs))
            p[0].events |= POLLIN;
        if (until_eof && sent < send_n) {
            p[1].events = POLLIN;
            np = 2;
        }
        if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR)
            die("poll", strerror(errno));
        if (np == 2 && p[1].revents) {
            char buf[256];

            r = read(0, buf, sizeof(buf));
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                send_n = sent; /* the end of standard input */
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR) && !recv_done(&rs)) {
            size_t max = chunk;

            if (!rs.tail && !rs.pieces && rs.want - rs.got < max)
                max = (size_t)(rs.want - rs.got);
            r = read(fd, in, max);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                die("connection closed before all bytes arrived", NULL);
            if (r > 0 && fast)
                rs.got += (uint64_t)r;
            else if (r > 0 && rs.pieces)
                check_pieces(&rs, in, (size_t)r);
            else if (r > 0)
                check_bytes(&rs, in, (size_t)r);
            if (r > 0) {
                read_total += (uint64_t)r;
                gaps_read(&g, (size_t)r);
                if (mark && !marked && read_total >= mark) {
                    marked = true;
                    printf("mark\n");
                    fflush(stdout);
                }
                if (pause_us) {
                    struct timespec ts = {
                        .tv_sec = (time_t)(pause_us / 1000000),
                        .tv_nsec = (long)(pause_us % 1000000) * 1000,
                    };

                    nanosleep(&ts, NULL);
                }
            }
        }
        if (p[0].revents & POLLOUT && sent < send_n) {
            if (out_pos == out_len) {
                out_len =
                    send_n - sent < sizeof(out) ? send_n - sent : sizeof(out);
                if (!fast || sent == 0)
                    stream_fill(send_seed, send_off + sent, out, sizeof(out));
                out_pos = 0;
            }
            r = write(fd, out + out_pos, out_len - out_pos);
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                die("write", strerror(errno));
            if (r > 0) {
                out_pos += (size_t)r;
                sent += (uint64_t)r;
                if (counter)
                    __atomic_store_n(counter, sent, __ATOMIC_RELAXED);
                if (progress &&
                    sent / progress != (sent - (uint64_t)r) / progress) {
                    uint64_t at = sent - sent % progress;

                    printf("sent %llu\n", (unsigned long long)at);
                    fflush(stdout);
                }
            }
        }
    }
    if (g.window_us && !g.reported)
        gaps_report(&g);
    if (rs.pieces) {
        printf("pieces %llu received %llu\n", (unsigned long long)rs.runs,
               (unsigned long long)rs.received);
        fflush(stdout);
    }
    if (until_eof) {
        printf("sent %llu\n", (unsigned long long)sent);
        fflush(stdout);
    }
    /* The peer gets everything we sent before we go. */
    if (send_n)
        tcdrain(fd);
    close(fd);
    return 0;
}

static bool path_state_reached(const char *path, bool gone)
{
    struct stat st;

    return (lstat(path, &st) == 0) != gone;
}

static int cmd_wait_path(int argc, char **argv)
{
    char *copy, *dir;
    char buf[4096] __attribute__((aligned(8)));
    bool gone = argc > 2 && !strcmp(argv[2], "--gone");
    int fd;

    if (argc < 2)
        return 2;
    copy = strdup(argv[1]);
    if (!copy)
        die("out of memory", NULL);
    dir = dirname(copy);
    fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, dir,
                                    IN_CREATE | IN_DELETE | IN_MOVED_TO |
                                        IN_MOVED_FROM | IN_ATTRIB) < 0)
        die(strerror(errno), dir);
    while (!path_state_reached(argv[1], gone))
        if (read(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
            die("inotify", strerror(errno));
    close(fd);
    free(copy);
    return 0;
}

static int cmd_wait_xs(int argc, char **argv)
{
    struct xs_handle *xs;
    unsigned int len, n;
    char **ev;
    char *val;

    if (argc != 3)
        return 2;
    xs = xs_open(0);
    if (!xs || !xs_watch(xs, argv[1], "t"))
        die("xenstore watch", argv[1]);
    for (;;) {
        val = xs_read(xs, XBT_NULL, argv[1], &len);
        if (val && !strcmp(val, argv[2]))
            break;
        free(val);
        ev = xs_read_watch(xs, &n);
        if (!ev)
            die("xenstore watch", strerror(errno));
        free(ev);
    }
    free(val);
    xs_close(xs);
    return 0;
}

static int cmd_wait_xs_change(int argc, char **argv)
{
    struct xs_handle *xs;
    unsigned int len, n;
    char **ev;
    char *val;

    if (argc != 3)
        return 2;
    xs = xs_open(0);
    if (!xs || !xs_watch(xs, argv[1], "t"))
        die("xenstore watch", argv[1]);
    for (;;) {
        val = xs_read(xs, XBT_NULL, argv[1], &len);
        if (val && strcmp(val, argv[2]) != 0)
            break;
        free(val);
        ev = xs_read_watch(xs, &n);
        if (!ev)
            die("xenstore watch", strerror(errno));
        free(ev);
    }
    printf("%s\n", val);
    free(val);
    xs_close(xs);
    return 0;
}

/* Lines of path that contain text. */
static unsigned long count_lines(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    unsigned long n = 0;

    if (!f)
        return 0;
    while (getline(&line, &cap, f) >= 0)
        if (strstr(line, text))
            n++;
    free(line);
    fclose(f);
    return n;
}

static int cmd_wait_log(int argc, char **argv)
{
    char buf[4096] __attribute__((aligned(8)));
    unsigned long want = 1;
    int fd;

    if (argc != 3 && argc != 4)
        return 2;
    if (argc == 4)
        want = (unsigned long)number(argv[3]);
    fd = inotify_init1(IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, argv[1], IN_MODIFY) < 0)
        die(strerror(errno), argv[1]);
    while (count_lines(argv[1], argv[2]) < want)
        if (read(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
            die("inotify", strerror(errno));
    close(fd);
    return 0;
}

static int cmd_status(int argc, char **argv)
{
    static const char *status_key[] = {"status", NULL};
    char *req = NULL, reply[1 << 16], err[128];
    const char *devid_key[] = {"devid", NULL};
    const char *field_key[] = {NULL, NULL};
    yajl_val root, arr, v;
    size_t len = 0, i;
    ssize_t r;
    int fd;

    if (argc != 5)
        return 2;
    field_key[0] = argv[4];
    fd = connect_unix(argv[1]);
    if (asprintf(&req, "{\"request\":\"status\",\"domid\":%s}\n", argv[2]) <
            0 ||
        write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        die("sending the request", NULL);
    free(req);
    while (len < sizeof(reply) - 1 &&
           (r = read(fd, reply + len, sizeof(reply) - 1 - len)) > 0)
        len += (size_t)r;
    reply[len] = '\0';
    close(fd);
    root = yajl_tree_parse(reply, err, sizeof(err));
    arr = root ? yajl_tree_get(root, status_key, yajl_t_array) : NULL;
    if (!arr || !YAJL_IS_ARRAY(arr))
        die("bad reply", reply);
    for (i = 0; i < YAJL_GET_ARRAY(arr)->len; i++) {
        yajl_val ch = YAJL_GET_ARRAY(arr)->values[i];

        v = yajl_tree_get(ch, devid_key, yajl_t_number);
        if (!v || YAJL_GET_INTEGER(v) != (long long)number(argv[3]))
            continue;
        v = yajl_tree_get(ch, field_key, yajl_t_any);
        if (!v)
            printf("\n"); /* a field at its default is left out */
        else if (YAJL_IS_STRING(v))
            printf("%s\n", YAJL_GET_STRING(v));
        else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
            printf("%s\n", YAJL_IS_TRUE(v) ? "true" : "false");
        else if (YAJL_IS_NUMBER(v))
            printf("%s\n", YAJL_GET_NUMBER(v));
        yajl_tree_free(root);
        return 0;
    }
    yajl_tree_free(root);
    die("no such channel in the reply", reply);
    return 1;
}

int main(int argc, char **argv)
{
    unsigned int timeout = 120;
    const char *t = getenv("XCD_TEST_TIMEOUT");

    if (t)
        timeout = (unsigned int)number(t);
    alarm(timeout);
    if (argc < 2) {
        fprintf(stderr, "usage: xcd-test stream|wait-path|wait-xs|"
                        "wait-xs-change|wait-log|status ...\n");
        return 2;
    }
    if (!strcmp(argv[1], "stream"))
        return cmd_stream(argc - 1, argv + 1);
    if (!strcmp(argv[1], "wait-path"))
        return cmd_wait_path(argc - 1, argv + 1);
    if (!strcmp(argv[1], "wait-xs"))
        return cmd_wait_xs(argc - 1, argv + 1);
    if (!strcmp(argv[1], "status"))
        return cmd_status(argc - 1, argv + 1);
    if (!strcmp(argv[1], "wait-xs-change"))
        return cmd_wait_xs_change(argc - 1, argv + 1);
    if (!strcmp(argv[1], "wait-log"))
        return cmd_wait_log(argc - 1, argv + 1);
    fprintf(stderr, "xcd-test: unknown command %s\n", argv[1]);
    return 2;
}
