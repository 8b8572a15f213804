/*
 * rxtool - the real-Xen tier's helper program, run in dom0 and in guests.
 *
 * Guest side:
 *   rxtool agent PATH          open PATH (a channel's /dev/xen-channels/NAME
 *                              link), put the tty in raw mode on this
 *                              descriptor, go to the background once ready
 *                              and answer the host's requests (below) until
 *                              "quit", end of file or a hang-up.
 *   rxtool waitpath [-g] SECS PATH
 *                              wait until PATH exists (-g: is gone).
 *   rxtool emit PATH TEXT      open PATH, raw mode, write TEXT and a newline.
 *
 * dom0 side (PATH: a channel's unix socket, or its pty slave):
 *   rxtool name PATH           print the name the agent behind PATH answers.
 *   rxtool g2h PATH BYTES SEED [USEC]
 *                              the agent sends BYTES (pausing USEC every
 *                              4 KiB); both sides' checksums must agree.
 *   rxtool h2g PATH BYTES SEED the host sends BYTES; checksums must agree.
 *   rxtool rtt PATH COUNT      COUNT request/reply round trips.
 *   rxtool g2h-restart PATH BYTES SEED USEC
 *                              like g2h, but reconnects when the connection
 *                              ends (the daemon restarts); prints "started"
 *                              once bytes flow and "reconnected" after.
 *   rxtool drain PATH MSEC     print what arrives within MSEC, unasked.
 *   rxtool console TTY PREFIX  copy a guest's console (its pty) to stderr,
 *                              PREFIX before each line; lines starting with
 *                              "@@" also go to stdout.
 *   rxtool conwrite TTY TEXT   write TEXT and a newline to a console.
 *   rxtool spawn-ready SECS PROGRAM ARG...
 *                              start PROGRAM with $NOTIFY_SOCKET, wait for
 *                              its READY=1, print its pid and leave it be.
 *   rxtool xswait SECS PATH VALUE...
 *                              wait until the xenstore node PATH reads one
 *                              of the VALUEs ("-": the node is absent,
 *                              "+": it has a non-empty value).
 *
 * Agent protocol, one request line each: "name" -> "name NAME";
 * "send BYTES SEED USEC" -> BYTES of pattern then "sum HEX";
 * "recv BYTES" -> reads BYTES, "got BYTES HEX"; "ping K" -> "pong K";
 * "quit" -> "bye".
 *
 * Every wait is bounded: -t SECS before the command (default 60) limits
 * each operation of the host side; a timeout is an error (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#define CHUNK        4096
#define LINE_MAX_LEN 256

static const char *prog = "rxtool";
static int64_t timeout_ms = 60000;

static void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long parse_ulong(const char *s, const char *what)
{
    unsigned long v;
    char *end;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        fail("%s: not a number: %s", what, s);
    return v;
}

/* FNV-1a, 64 bits: both ends compute it over the bytes they moved. */
static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

#define FNV_INIT UINT64_C(0xcbf29ce484222325)

/* The test pattern: xorshift32 from the seed, so no run sends only zeros. */
static uint32_t pattern_fill(uint32_t st, unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        st ^= st << 13;
        st ^= st >> 17;
        st ^= st << 5;
        p[i] = (unsigned char)(st >> 11);
    }
    return st;
}

static uint32_t pattern_seed(unsigned long seed)
{
    return (uint32_t)(seed * 2654435761UL) | 1U;
}

static void set_raw(int fd)
{
    struct termios t;

    if (!isatty(fd))
        return;
    if (tcgetattr(fd, &t) < 0)
        fail("tcgetattr: %s", strerror(errno));
    cfmakeraw(&t);
    if (tcsetattr(fd, TCSANOW, &t) < 0)
        fail("tcsetattr: %s", strerror(errno));
}

/* Wait for fd to be ready for `events` until the deadline; 0 on timeout. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    int64_t left;
    int r;

    for (;;) {
        left = deadline - now_ms();
        if (left <= 0)
            return 0;
        r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            fail("poll: %s", strerror(errno));
        return r;
    }
}

/* Connect to a unix socket, or open a tty/file in raw mode. */
static int open_endpoint(const char *path, bool retry)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int64_t deadline = now_ms() + timeout_ms;
    int fd;

    for (;;) {
        if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
            fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (fd < 0)
                fail("%s: %s", path, strerror(errno));
            set_raw(fd);
            return fd;
        }
        if (strlen(path) >= sizeof(sa.sun_path))
            fail("%s: path too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            fail("socket: %s", strerror(errno));
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        /* Polled: nothing announces that a restarted daemon listens
         * again. Bounded by the operation's timeout. */
        if (!retry || now_ms() > deadline)
            fail("%s: connect: %s", path, strerror(errno));
        usleep(20000);
    }
}

static void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    int64_t deadline = now_ms() + timeout_ms;
    ssize_t r;

    while (n > 0) {
        r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN) {
            if (!wait_fd(fd, POLLOUT, deadline))
                fail("write: timed out");
            continue;
        }
        if (r < 0)
            fail("write: %s", strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

static void write_str(int fd, const char *s)
{
    write_all(fd, s, strlen(s));
}

/* Read up to n bytes, waiting at most until the deadline. Returns the
 * count, 0 at end of file; fails on timeout. */
static size_t read_some(int fd, void *buf, size_t n, int64_t deadline)
{
    ssize_t r;

    for (;;) {
        if (!wait_fd(fd, POLLIN, deadline))
            fail("read: timed out after %" PRId64 " ms", timeout_ms);
        r = read(fd, buf, n);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0 && (errno == EIO || errno == ECONNRESET))
            return 0; /* a tty hung up, a peer went away */
        if (r < 0)
            fail("read: %s", strerror(errno));
        return (size_t)r;
    }
}

/* Read one line (without its newline); false at end of file. */
static bool read_line(int fd, char *line, size_t size, int64_t deadline)
{
    size_t len = 0;
    char c;

    for (;;) {
        if (read_some(fd, &c, 1, deadline) == 0)
            return false;
        if (c == '\n')
            break;
        if (c == '\r')
            continue;
        if (len + 1 < size)
            line[len++] = c;
    }
    line[len] = '\0';
    return true;
}

static void expect_line(int fd, char *line, size_t size)
{
    if (!read_line(fd, line, size, now_ms() + timeout_ms))
        fail("connection closed before the reply");
}

/* ---- guest side ---------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

static void agent_send(int fd, unsigned long bytes, unsigned long seed,
                       unsigned long usec)
{
    unsigned char buf[CHUNK];
    uint32_t st = pattern_seed(seed);
    uint64_t h = FNV_INIT;
    char line[64];
    size_t n;

    while (bytes > 0) {
        n = bytes < CHUNK ? bytes : CHUNK;
        st = pattern_fill(st, buf, n);
        h = fnv(h, buf, n);
        write_all(fd, buf, n);
        bytes -= n;
        if (usec)
            usleep((useconds_t)usec); /* pacing the writer, not a wait */
    }
    snprintf(line, sizeof(line), "sum %016" PRIx64 "\n", h);
    write_str(fd, line);
}

static void agent_recv(int fd, unsigned long bytes)
{
    unsigned char buf[CHUNK];
    uint64_t h = FNV_INIT;
    unsigned long got = 0;
    char line[80];
    size_t n;

    while (got < bytes) {
        n = bytes - got < CHUNK ? bytes - got : CHUNK;
        n = read_some(fd, buf, n, now_ms() + timeout_ms);
        if (n == 0)
            break;
        h = fnv(h, buf, n);
        got += n;
    }
    snprintf(line, sizeof(line), "got %lu %016" PRIx64 "\n", got, h);
    write_str(fd, line);
}

/* "WORD N1 N2 ...": true when line is WORD followed by exactly n numbers. */
static bool request(const char *line, const char *word, unsigned long *v, int n)
{
    size_t len = strlen(word);
    const char *p = line + len;
    char *end;
    int i;

    if (strncmp(line, word, len) != 0)
        return false;
    for (i = 0; i < n; i++) {
        if (*p != ' ')
            return false;
        p++;
        errno = 0;
        v[i] = strtoul(p, &end, 10);
        if (errno || end == p || *p == '-')
            return false;
        p = end;
    }
    return *p == '\0';
}

static void agent_loop(int fd, const char *name)
{
    char line[LINE_MAX_LEN] = {0}, reply[LINE_MAX_LEN + 16];
    unsigned long v[3];

    /* The agent waits for its host as long as the channel lives. */
    timeout_ms = INT64_C(1) << 40;
    while (read_line(fd, line, sizeof(line), now_ms() + timeout_ms)) {
        if (strcmp(line, "name") == 0) {
            snprintf(reply, sizeof(reply), "name %s\n", name);
            write_str(fd, reply);
        } else if (request(line, "send", v, 3)) {
            agent_send(fd, v[0], v[1], v[2]);
        } else if (request(line, "recv", v, 1)) {
            agent_recv(fd, v[0]);
        } else if (strncmp(line, "ping ", 5) == 0) {
            snprintf(reply, sizeof(reply), "pong %s\n", line + 5);
            write_str(fd, reply);
        } else if (strcmp(line, "quit") == 0) {
            write_str(fd, "bye\n");
            return;
        } else {
            snprintf(reply, sizeof(reply), "what %s\n", line);
            write_str(fd, reply);
        }
    }
}

static int cmd_agent(int argc, char **argv)
{
    int fd, pfd[2];
    pid_t pid;
    char ok;

    if (argc != 2)
        fail("usage: agent PATH");
    fd = open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        fail("%s: %s", argv[1], strerror(errno));
    /* On this descriptor, kept open: hvc resets termios on last close. */
    set_raw(fd);
    if (pipe(pfd) < 0)
        fail("pipe: %s", strerror(errno));
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid > 0) {
        close(pfd[1]);
        if (read(pfd[0], &ok, 1) != 1)
            fail("agent %s did not start", argv[1]);
        printf("agent %s pid %d\n", argv[1], (int)pid);
        return 0;
    }
    close(pfd[0]);
    setsid();
    if (write(pfd[1], "y", 1) != 1)
        _exit(1);
    close(pfd[1]);
    agent_loop(fd, base_name(argv[1]));
    _exit(0);
}

static int cmd_waitpath(int argc, char **argv)
{
    bool gone = false;
    int64_t deadline;
    struct stat st;

    if (argc == 4 && strcmp(argv[1], "-g") == 0) {
        gone = true;
        argc--;
        argv++;
    }
    if (argc != 3)
        fail("usage: waitpath [-g] SECS PATH");
    deadline = now_ms() + (int64_t)parse_ulong(argv[1], "SECS") * 1000;
    /* Polled: the link is made by a program udevd runs; nothing signals
     * it. Bounded by SECS. */
    while ((lstat(argv[2], &st) == 0) == gone) {
        if (now_ms() > deadline)
            return 1;
        usleep(20000);
    }
    return 0;
}

static int cmd_emit(int argc, char **argv)
{
    int fd;

    if (argc != 3)
        fail("usage: emit PATH TEXT");
    fd = open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        fail("%s: %s", argv[1], strerror(errno));
    set_raw(fd);
    write_str(fd, argv[2]);
    write_str(fd, "\n");
    if (isatty(fd))
        tcdrain(fd);
    close(fd);
    return 0;
}

/* ---- host side ----------------------------------------------------- */

static int cmd_name(int argc, char **argv)
{
    char line[LINE_MAX_LEN];
    int fd;

    if (argc != 2)
        fail("usage: name PATH");
    fd = open_endpoint(argv[1], false);
    write_str(fd, "name\n");
    expect_line(fd, line, sizeof(line));
    if (strncmp(line, "name ", 5) != 0)
        fail("%s: unexpected reply '%s'", argv[1], line);
    printf("%s\n", line + 5);
    close(fd);
    return 0;
}

/* Receive `bytes` of the agent's pattern, then its checksum line. With
 * `restart`, a closed connection is re-opened and the transfer goes on. */
static int g2h(const char *path, unsigned long bytes, unsigned long seed,
               unsigned long usec, bool restart)
{
    unsigned char buf[CHUNK];
    uint64_t h = FNV_INIT;
    unsigned long got = 0;
    char line[LINE_MAX_LEN], req[96];
    bool started = false;
    double t0, t1;
    size_t n;
    int fd;

    (void)seed;
    fd = open_endpoint(path, false);
    snprintf(req, sizeof(req), "send %lu %lu %lu\n", bytes, seed, usec);
    t0 = now_s();
    write_str(fd, req);
    while (got < bytes) {
        n = bytes - got < CHUNK ? bytes - got : CHUNK;
        n = read_some(fd, buf, n, now_ms() + timeout_ms);
        if (n == 0) {
            if (!restart)
                fail("%s: closed after %lu of %lu bytes", path, got, bytes);
            close(fd);
            fd = open_endpoint(path, true);
            printf("reconnected at %lu\n", got);
            fflush(stdout);
            continue;
        }
        h = fnv(h, buf, n);
        got += n;
        if (restart && !started && got >= CHUNK) {
            printf("started\n");
            fflush(stdout);
            started = true;
        }
    }
    t1 = now_s();
    expect_line(fd, line, sizeof(line));
    close(fd);
    printf("g2h %lu bytes %.3f s %.1f KiB/s host %016" PRIx64 " guest %s\n",
           got, t1 - t0, (double)got / 1024 / (t1 - t0), h, line);
    if (strncmp(line, "sum ", 4) != 0)
        fail("%s: unexpected trailer '%s'", path, line);
    {
        char mine[32];

        snprintf(mine, sizeof(mine), "%016" PRIx64, h);
        if (strcmp(mine, line + 4) != 0)
            fail("%s: checksums differ", path);
    }
    return 0;
}

static int cmd_g2h(int argc, char **argv)
{
    if (argc != 4 && argc != 5)
        fail("usage: g2h PATH BYTES SEED [USEC]");
    return g2h(argv[1], parse_ulong(argv[2], "BYTES"),
               parse_ulong(argv[3], "SEED"),
               argc == 5 ? parse_ulong(argv[4], "USEC") : 0, false);
}

static int cmd_g2h_restart(int argc, char **argv)
{
    if (argc != 5)
        fail("usage: g2h-restart PATH BYTES SEED USEC");
    return g2h(argv[1], parse_ulong(argv[2], "BYTES"),
               parse_ulong(argv[3], "SEED"), parse_ulong(argv[4], "USEC"),
               true);
}

static int cmd_h2g(int argc, char **argv)
{
    unsigned char buf[CHUNK];
    unsigned long bytes, left;
    uint64_t h = FNV_INIT;
    char line[LINE_MAX_LEN], req[64], mine[80];
    uint32_t st;
    double t0, t1;
    size_t n;
    int fd;

    if (argc != 4)
        fail("usage: h2g PATH BYTES SEED");
    bytes = parse_ulong(argv[2], "BYTES");
    st = pattern_seed(parse_ulong(argv[3], "SEED"));
    fd = open_endpoint(argv[1], false);
    snprintf(req, sizeof(req), "recv %lu\n", bytes);
    t0 = now_s();
    write_str(fd, req);
    for (left = bytes; left > 0; left -= n) {
        n = left < CHUNK ? left : CHUNK;
        st = pattern_fill(st, buf, n);
        h = fnv(h, buf, n);
        write_all(fd, buf, n);
    }
    expect_line(fd, line, sizeof(line));
    t1 = now_s();
    close(fd);
    snprintf(mine, sizeof(mine), "got %lu %016" PRIx64, bytes, h);
    printf("h2g %lu bytes %.3f s %.1f KiB/s host %016" PRIx64 " guest %s\n",
           bytes, t1 - t0, (double)bytes / 1024 / (t1 - t0), h, line);
    if (strcmp(mine, line) != 0)
        fail("%s: the guest got something else", argv[1]);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int cmd_rtt(int argc, char **argv)
{
    char line[LINE_MAX_LEN], req[64];
    unsigned long i, count;
    double t, total = 0, *samples;
    int fd;

    if (argc != 3)
        fail("usage: rtt PATH COUNT");
    count = parse_ulong(argv[2], "COUNT");
    if (count == 0 || count > 100000)
        fail("COUNT must be 1 to 100000");
    samples = calloc(count, sizeof(*samples));
    if (!samples)
        fail("out of memory");
    fd = open_endpoint(argv[1], false);
    for (i = 0; i < count; i++) {
        snprintf(req, sizeof(req), "ping %lu\n", i);
        t = now_s();
        write_str(fd, req);
        expect_line(fd, line, sizeof(line));
        t = now_s() - t;
        if (strncmp(line, "pong ", 5) != 0 || strtoul(line + 5, NULL, 10) != i)
            fail("%s: unexpected reply '%s'", argv[1], line);
        total += t;
        samples[i] = t;
    }
    close(fd);
    qsort(samples, count, sizeof(*samples), cmp_double);
    /* The median first: a loaded host preempts QEMU now and then, which
     * shows in the mean and the maximum, not in the median. */
    printf("rtt %lu median %.2f ms mean %.2f ms min %.2f ms max %.2f ms\n",
           count, samples[count / 2] * 1e3, total / (double)count * 1e3,
           samples[0] * 1e3, samples[count - 1] * 1e3);
    free(samples);
    return 0;
}

static int cmd_drain(int argc, char **argv)
{
    char buf[CHUNK + 1];
    int64_t deadline;
    size_t n;
    int fd;

    if (argc != 3)
        fail("usage: drain PATH MSEC");
    deadline = now_ms() + (int64_t)parse_ulong(argv[2], "MSEC");
    fd = open_endpoint(argv[1], false);
    for (;;) {
        if (!wait_fd(fd, POLLIN, deadline))
            break;
        n = read_some(fd, buf, CHUNK, deadline);
        if (n == 0)
            break;
        fwrite(buf, 1, n, stdout);
    }
    close(fd);
    return 0;
}

static void console_line(const char *prefix, char *line, size_t len)
{
    line[len] = '\0';
    fprintf(stderr, "%s%s\n", prefix, line);
    if (strncmp(line, "@@", 2) == 0) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

static int cmd_console(int argc, char **argv)
{
    char buf[512], line[1024];
    size_t len = 0, i, n;
    int fd;

    if (argc != 3)
        fail("usage: console TTY PREFIX");
    fd = open(argv[1], O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        fail("%s: %s", argv[1], strerror(errno));
    set_raw(fd);
    setvbuf(stderr, NULL, _IOLBF, 0);
    timeout_ms = INT64_C(1) << 40; /* as long as the guest lives */
    for (;;) {
        n = read_some(fd, buf, sizeof(buf), now_ms() + timeout_ms);
        if (n == 0)
            break;
        for (i = 0; i < n; i++) {
            if (buf[i] == '\r')
                continue;
            if (buf[i] == '\n' || len == sizeof(line) - 1) {
                console_line(argv[2], line, len);
                len = 0;
                if (buf[i] == '\n')
                    continue;
            }
            line[len++] = buf[i];
        }
    }
    if (len)
        console_line(argv[2], line, len);
    return 0;
}

static int cmd_conwrite(int argc, char **argv)
{
    int fd;

    if (argc != 3)
        fail("usage: conwrite TTY TEXT");
    fd = open(argv[1], O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        fail("%s: %s", argv[1], strerror(errno));
    write_str(fd, argv[2]);
    write_str(fd, "\n");
    close(fd);
    return 0;
}

static int cmd_spawn_ready(int argc, char **argv)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char path[64], buf[256];
    int64_t deadline;
    ssize_t r;
    pid_t pid;
    int fd, status;

    if (argc < 3)
        fail("usage: spawn-ready SECS PROGRAM ARG...");
    deadline = now_ms() + (int64_t)parse_ulong(argv[1], "SECS") * 1000;
    snprintf(path, sizeof(path), "/run/rxtool-notify.%d", (int)getpid());
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail("socket: %s", strerror(errno));
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        fail("bind %s: %s", path, strerror(errno));
    pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        /* Not our stdout: whoever reads it (a $(...)) would wait for the
         * program to end. */
        int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

        if (nul < 0 || dup2(nul, STDOUT_FILENO) < 0)
            fail("/dev/null: %s", strerror(errno));
        /* Nor whatever else the calling shell has open. */
        close_range(3, ~0U, 0);
        setenv("NOTIFY_SOCKET", path, 1);
        execvp(argv[2], argv + 2);
        fail("%s: %s", argv[2], strerror(errno));
    }
    for (;;) {
        if (!wait_fd(fd, POLLIN, deadline)) {
            unlink(path);
            fail("%s: no READY=1 within %s s", argv[2], argv[1]);
        }
        r = recv(fd, buf, sizeof(buf) - 1, 0);
        if (r < 0)
            continue;
        buf[r] = '\0';
        if (strstr(buf, "READY=1"))
            break;
    }
    unlink(path);
    close(fd);
    if (waitpid(pid, &status, WNOHANG) == pid)
        fail("%s exited", argv[2]);
    printf("%d\n", (int)pid);
    return 0;
}

static bool xs_matches(struct xs_handle *xs, const char *path, char **values,
                       int nvalues, char **seen)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    int i;

    free(*seen);
    *seen = v ? strdup(v) : NULL;
    for (i = 0; i < nvalues; i++) {
        bool match;

        if (strcmp(values[i], "-") == 0)
            match = v == NULL;
        else if (strcmp(values[i], "+") == 0)
            match = v && *v;
        else
            match = v && strcmp(values[i], v) == 0;
        if (match) {
            free(v);
            return true;
        }
    }
    free(v);
    return false;
}

static int cmd_xswait(int argc, char **argv)
{
    struct xs_handle *xs;
    int64_t deadline;
    char *seen = NULL;
    unsigned int num;
    char **ev;

    if (argc < 4)
        fail("usage: xswait SECS PATH VALUE...");
    deadline = now_ms() + (int64_t)parse_ulong(argv[1], "SECS") * 1000;
    xs = xs_open(0);
    if (!xs)
        fail("xs_open: %s", strerror(errno));
    if (!xs_watch(xs, argv[2], "rx"))
        fail("xs_watch %s: %s", argv[2], strerror(errno));
    while (!xs_matches(xs, argv[2], argv + 3, argc - 3, &seen)) {
        if (!wait_fd(xs_fileno(xs), POLLIN, deadline)) {
            fprintf(stderr, "%s: %s is %s after %s s\n", prog, argv[2],
                    seen ? seen : "absent", argv[1]);
            free(seen);
            xs_close(xs);
            return 1;
        }
        ev = xs_read_watch(xs, &num);
        free(ev);
    }
    free(seen);
    xs_close(xs);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"agent", cmd_agent},       {"waitpath", cmd_waitpath},
        {"emit", cmd_emit},         {"name", cmd_name},
        {"g2h", cmd_g2h},           {"g2h-restart", cmd_g2h_restart},
        {"h2g", cmd_h2g},           {"rtt", cmd_rtt},
        {"drain", cmd_drain},       {"console", cmd_console},
        {"conwrite", cmd_conwrite}, {"spawn-ready", cmd_spawn_ready},
        {"xswait", cmd_xswait},
    };
    size_t i;

    signal(SIGPIPE, SIG_IGN);
    if (argc >= 3 && strcmp(argv[1], "-t") == 0) {
        timeout_ms = (int64_t)parse_ulong(argv[2], "-t SECS") * 1000;
        argc -= 2;
        argv += 2;
    }
    if (argc < 2)
        fail("usage: rxtool [-t SECS] COMMAND ARG... (see rxtool.c)");
    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            prog = argv[1];
            return cmds[i].fn(argc - 1, argv + 1);
        }
    }
    fail("unknown command %s", argv[1]);
}
