/*
 * bench_evtchn: event-channel round trip between two processes through the
 * xensim preload (libxenevtchn's API): dom0 notifies, the guest waits in
 * poll(), takes the event, unmasks and notifies back. Prints the mean.
 *
 * Usage: bench_evtchn [ROUNDS]. Run outside a testbed (XENSIM_DIR unset),
 * it makes a private state directory and runs itself again under the
 * preload ($XCH_OUT/lib/xensim.so, else ../lib/xensim.so next to itself).
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>

#define GUEST 1

static int wait_event(xenevtchn_handle *xce)
{
    struct pollfd pfd = {xenevtchn_fd(xce), POLLIN, 0};
    int port;

    while (poll(&pfd, 1, -1) < 0)
        if (errno != EINTR)
            return -1;
    port = xenevtchn_pending(xce);
    if (port < 0 || xenevtchn_unmask(xce, (evtchn_port_t)port))
        return -1;
    return port;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Re-runs this program under the preload with a private state dir. */
static int run_preloaded(char **argv)
{
    char tmpl[] = "/tmp/bench_evtchn.XXXXXX", path[PATH_MAX];
    char so[PATH_MAX], self[PATH_MAX];
    const char *out = getenv("XCH_OUT");
    const char *asan = getenv("ASAN_OPTIONS");
    char asan_opts[1024];
    ssize_t n;
    int status = 1;
    pid_t pid;

    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return 1;
    self[n] = '\0';
    if (out)
        snprintf(so, sizeof(so), "%s/lib/xensim.so", out);
    else
        snprintf(so, sizeof(so), "%.*s/../lib/xensim.so",
                 (int)(strrchr(self, '/') - self), self);
    if (access(so, R_OK)) {
        fprintf(stderr, "bench_evtchn: %s: %s\n", so, strerror(errno));
        return 1;
    }
    if (!mkdtemp(tmpl))
        return 1;
    snprintf(path, sizeof(path), "%s/evtchn", tmpl);
    if (mkdir(path, 0700))
        goto out;
    snprintf(asan_opts, sizeof(asan_opts), "verify_asan_link_order=0%s%s",
             asan ? ":" : "", asan ? asan : "");
    pid = fork();
    if (pid == 0) {
        setenv("XENSIM_DIR", tmpl, 1);
        setenv("LD_PRELOAD", so, 1);
        setenv("ASAN_OPTIONS", asan_opts, 1);
        execv(self, argv);
        _exit(127);
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid)
        status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
out:
    nftw(tmpl, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return status;
}

static int guest(int to_parent, long rounds)
{
    xenevtchn_handle *xce;
    int port;
    long i;

    setenv("XENSIM_DOMID", "1", 1);
    xce = xenevtchn_open(NULL, 0);
    if (!xce)
        return 1;
    port = xenevtchn_bind_unbound_port(xce, 0);
    if (port < 0 || write(to_parent, &port, sizeof(port)) != sizeof(port))
        return 1;
    for (i = 0; i < rounds; i++) {
        if (wait_event(xce) != port)
            return 1;
        xenevtchn_notify(xce, (evtchn_port_t)port);
    }
    xenevtchn_close(xce);
    return 0;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 50000, i;
    struct timespec t0, t1;
    xenevtchn_handle *xce;
    int fds[2], gport, port, status;
    double us;
    pid_t pid;

    if (rounds <= 0) {
        fprintf(stderr, "usage: bench_evtchn [ROUNDS]\n");
        return 2;
    }
    if (!getenv("XENSIM_DIR"))
        return run_preloaded(argv);
    if (pipe(fds))
        return 1;
    pid = fork();
    if (pid == 0)
        _exit(guest(fds[1], rounds));
    xce = xenevtchn_open(NULL, 0);
    if (!xce || read(fds[0], &gport, sizeof(gport)) != sizeof(gport))
        return 1;
    port = xenevtchn_bind_interdomain(xce, GUEST, (evtchn_port_t)gport);
    if (port < 0)
        return 1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < rounds; i++) {
        xenevtchn_notify(xce, (evtchn_port_t)port);
        if (wait_event(xce) != port)
            return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    xenevtchn_close(xce);
    waitpid(pid, &status, 0);
    us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
          (double)(t1.tv_nsec - t0.tv_nsec)) /
         1e3 / (double)rounds;
    printf("evtchn round trip (notify, poll, pending, unmask, notify back): "
           "%.2f us mean over %ld rounds\n",
           us, rounds);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
