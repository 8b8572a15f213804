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
 *   xcd-test wait-path PATH [--gone]
 *       Returns once PATH exists (or, --gone, does not), using inotify on
 *       its directory.
 *   xcd-test wait-xs PATH VALUE
 *       Returns once xenstore node PATH holds VALUE, using a watch.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <xenstore.h>
#include <yajl/yajl_tree.h>

#define CHUNK 65536

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

static bool recv_done(const recv_state *rs)
{
    if (rs->tail)
        return rs->placed && rs->off + rs->got >= rs->want;
    return rs->got >= rs->want;
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
        {NULL, 0, NULL, 0},
    };
    uint64_t send_seed = 1, send_off = 0, send_n = 0, sent = 0;
    recv_state rs = {.seed = 2};
    uint8_t out[CHUNK], in[CHUNK];
    size_t out_len = 0, out_pos = 0;
    bool fast = false;
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
        default:
            return 2;
        }
    }
    if (fd < 0)
        die("stream needs --connect or --open", NULL);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (sent < send_n || !recv_done(&rs)) {
        struct pollfd p = {.fd = fd};

        if (sent < send_n)
            p.events |= POLLOUT;
        if (!recv_done(&rs))
            p.events |= POLLIN;
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            die("poll", strerror(errno));
        if (p.revents & (POLLIN | POLLHUP | POLLERR) && !recv_done(&rs)) {
            size_t max = sizeof(in);

            if (!rs.tail && rs.want - rs.got < max)
                max = (size_t)(rs.want - rs.got);
            r = read(fd, in, max);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                die("connection closed before all bytes arrived", NULL);
            if (r > 0 && fast)
                rs.got += (uint64_t)r;
            else if (r > 0)
                check_bytes(&rs, in, (size_t)r);
        }
        if (p.revents & POLLOUT && sent < send_n) {
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
            }
        }
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
        fprintf(stderr, "usage: xcd-test stream|wait-path|wait-xs|status "
                        "...\n");
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
    fprintf(stderr, "xcd-test: unknown command %s\n", argv[1]);
    return 2;
}
