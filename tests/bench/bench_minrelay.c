/*
 * bench_minrelay.c - the smallest relay with the daemon's hops, as the
 * benchmark's point of comparison (tests/bench/bench.sh).
 *
 *   bench_minrelay --domid D --ref R --port P (--socket PATH | --pty)
 *
 * Runs as dom0 under the testbed's preload: maps guest D's ring (grant
 * R), binds to its port P, and relays the ring to one client of the unix
 * socket PATH (the next client once it leaves) or to a pty (prints the
 * slave's path; it keeps the slave open itself, so that no hangup has to
 * be handled). One poll() loop: every wake-up moves what it can both
 * ways, again until nothing moves, and notifies the guest once per pass
 * that moved bytes. No buffer of its own: the ring waits while the client
 * does not read, and the client while the ring is full.
 *
 * --poll-us N (an experiment of issue 10's item 5, not the baseline):
 * after a wake-up that moved bytes, the port stays masked and the ring is
 * looked at again for up to N microseconds after the last bytes moved,
 * as NAPI does, before it sleeps again.
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
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "bench_util.h"

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static bool again(void)
{
    return errno == EAGAIN || errno == EINTR;
}

/* The client's state as far as the relay knows: whether it may take
 * more (until a write is short) and may have more to send (until a read is
 * short); poll() says when that changes. */
typedef struct client {
    int fd;
    bool wr, rd, gone;
} client;

/* One pass both ways; returns whether bytes moved. */
static bool pump(bench_ring *r, client *c)
{
    struct iovec iov[2];
    int niov;
    ssize_t n, w;
    bool moved = false;

    if (c->wr && (n = xch_ring_peek(&r->ring, iov, &niov)) > 0) {
        w = writev(c->fd, iov, niov);
        if (w > 0) {
            if (xch_ring_consume(&r->ring, (size_t)w))
                die("ring");
            moved = true;
        } else if (!again()) {
            c->gone = true;
        }
        c->wr = w == n;
    }
    if (c->rd && (n = xch_ring_reserve(&r->ring, iov, &niov)) > 0) {
        w = readv(c->fd, iov, niov);
        if (w > 0) {
            if (xch_ring_commit(&r->ring, (size_t)w))
                die("ring");
            moved = true;
        } else if (w == 0 || !again()) {
            c->gone = true;
        }
        c->rd = w == n;
    }
    return moved;
}

/* --poll-us: after traffic, keeps looking for more for up to ns (as
 * NAPI does), the port masked, instead of sleeping until notified. */
static void busy_poll(bench_ring *r, client *c, uint64_t ns)
{
    uint64_t deadline = bench_now_ns() + ns;

    while (bench_now_ns() < deadline && !c->gone) {
        if (pump(r, c)) {
            bench_ring_notify(r);
            deadline = bench_now_ns() + ns;
        }
    }
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
        die("socket");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4))
        die(path);
    return fd;
}

static int open_pty(void)
{
    struct termios t;
    char name[64];
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC), s;

    if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, name, sizeof(name)))
        die("pty");
    if (tcgetattr(m, &t))
        die("tcgetattr");
    cfmakeraw(&t);
    if (tcsetattr(m, TCSANOW, &t))
        die("tcsetattr");
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        die(name);
    printf("%s\n", name);
    fflush(stdout);
    return m;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"domid", required_argument, NULL, 'd'},
        {"ref", required_argument, NULL, 'r'},
        {"port", required_argument, NULL, 'p'},
        {"socket", required_argument, NULL, 's'},
        {"pty", no_argument, NULL, 't'},
        {"poll-us", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    unsigned long domid = 0, ref = 0, port = 0;
    const char *path = NULL;
    bool pty = false;
    uint64_t poll_ns = 0;
    int masked = -1; /* the port, while it is left masked */
    xengnttab_handle *xgt;
    bench_ring r;
    client cl;
    int opt, lfd = -1, c = -1;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            domid = strtoul(optarg, NULL, 10);
            break;
        case 'r':
            ref = strtoul(optarg, NULL, 10);
            break;
        case 'p':
            port = strtoul(optarg, NULL, 10);
            break;
        case 's':
            path = optarg;
            break;
        case 't':
            pty = true;
            break;
        case 'P':
            poll_ns = strtoull(optarg, NULL, 10) * 1000ULL;
            break;
        default:
            return 2;
        }
    }
    if (!domid || !port || (!path && !pty)) {
        fprintf(stderr, "usage: bench_minrelay --domid D --ref R --port P "
                        "(--socket PATH | --pty) [--poll-us N]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (bench_ring_attach_backend(&r, &xgt, (unsigned int)domid, (uint32_t)ref,
                                  (uint32_t)port))
        return 1;
    if (pty) {
        c = open_pty();
    } else {
        lfd = listen_unix(path);
        printf("ready\n");
        fflush(stdout);
    }
    cl = (client){.fd = c};
    cl.rd = cl.wr = c >= 0;
    for (;;) {
        struct pollfd p[2] = {
            {.fd = r.fd, .events = POLLIN},
            {.fd = cl.fd >= 0 ? cl.fd : lfd, .events = POLLIN}};
        bool moved = false;
        size_t room = 0;

        while (cl.fd >= 0 && !cl.gone && pump(&r, &cl))
            moved = true;
        if (moved)
            bench_ring_notify(&r);
        if (poll_ns && masked >= 0 && moved && cl.fd >= 0)
            busy_poll(&r, &cl, poll_ns);
        if (masked >= 0) {
            /* Events that came meanwhile are delivered now. */
            if (xenevtchn_unmask(r.xce, (evtchn_port_t)masked))
                die("unmask");
            masked = -1;
            continue;
        }
        if (cl.gone) {
            close(cl.fd);
            cl = (client){.fd = -1};
            p[1].fd = lfd;
        }
        if (cl.fd >= 0) {
            if (xch_ring_writable(&r.ring, &room))
                die("corrupt ring");
            p[1].events =
                (short)((!cl.rd && room ? POLLIN : 0) | (!cl.wr ? POLLOUT : 0));
        }
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            die("poll");
        if (p[0].revents && poll_ns) {
            /* Left masked while polling: the guest's notifications cost
             * it nothing and wake nobody. */
            masked = xenevtchn_pending(r.xce);
            if (masked < 0 && errno != EAGAIN)
                die("event channel");
        } else if (p[0].revents && bench_ring_events(&r) < 0) {
            die("event channel");
        }
        if (cl.fd >= 0) {
            cl.rd |= (p[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
            cl.wr |= (p[1].revents & (POLLOUT | POLLHUP | POLLERR)) != 0;
        } else if (p[1].revents) {
            cl.fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (cl.fd < 0 && !again())
                die("accept");
            cl.rd = cl.wr = cl.fd >= 0;
        }
    }
}
