/*
 * Event channels and grants of the fake hypervisor, between two processes,
 * through the real libxenevtchn/libxengnttab API (run under the preload:
 * tests/integration/test_testbed_evtchn.sh). The parent is dom0, the child
 * a guest; they talk over pipes to exchange port and grant numbers, and
 * every wait on an event is poll() on the event channel fd, no timeout.
 * Prints TAP.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#define GUEST  7
#define ROUNDS 1000
#define PAGE   4096

static int test_no;
static int failures;

static void check(bool ok, const char *name)
{
    printf("%sok %d - %s\n", ok ? "" : "not ", ++test_no, name);
    fflush(stdout);
    if (!ok)
        failures++;
}

static void put_u32(int fd, uint32_t v)
{
    if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        perror("pipe write");
        exit(1);
    }
}

static uint32_t get_u32(int fd)
{
    uint32_t v;

    if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        perror("pipe read");
        exit(1);
    }
    return v;
}

/* Waits until the parent says the next step may run. */
static void wait_turn(int from_parent)
{
    (void)get_u32(from_parent);
}

/* Waits for the next event (no timeout), returns its port, unmasks it. */
static int wait_event(xenevtchn_handle *xce)
{
    struct pollfd pfd = {xenevtchn_fd(xce), POLLIN, 0};
    int port;

    while (poll(&pfd, 1, -1) < 0)
        if (errno != EINTR)
            return -1;
    port = xenevtchn_pending(xce);
    if (port >= 0 && xenevtchn_unmask(xce, (evtchn_port_t)port))
        return -1;
    return port;
}

/* Whether an event is queued right now (a check, not a wait). */
static bool event_queued(xenevtchn_handle *xce)
{
    struct pollfd pfd = {xenevtchn_fd(xce), POLLIN, 0};

    return poll(&pfd, 1, 0) == 1;
}

/* The guest: offers a port and a page, then follows the parent's script. */
static int guest(int to_parent, int from_parent)
{
    xenevtchn_handle *xce;
    xengntshr_handle *xgs;
    uint32_t ref = 0;
    unsigned char *page;
    int port, i, rc = 1;

    setenv("XENSIM_DOMID", "7", 1);
    xce = xenevtchn_open(NULL, 0);
    xgs = xengntshr_open(NULL, 0);
    if (!xce || !xgs)
        goto out;
    port = xenevtchn_bind_unbound_port(xce, 0);
    page = xengntshr_share_pages(xgs, 0, 1, &ref, 1);
    if (port < 0 || !page)
        goto out;
    memset(page, 0xA5, PAGE);
    put_u32(to_parent, (uint32_t)port);
    put_u32(to_parent, ref);

    /* 1: ping-pong */
    for (i = 0; i < ROUNDS; i++) {
        if (wait_event(xce) != port)
            goto out;
        xenevtchn_notify(xce, (evtchn_port_t)port);
    }
    /* 2: several notifies while we don't look coalesce into one event */
    wait_turn(from_parent);
    {
        int p1 = xenevtchn_pending(xce); /* the first: masks the port */
        bool quiet = !event_queued(xce); /* the others wait behind it */
        int p2;

        xenevtchn_unmask(xce, (evtchn_port_t)port);
        p2 = wait_event(xce); /* ...and come as one */
        put_u32(to_parent,
                p1 == port && quiet && p2 == port && !event_queued(xce));
    }
    /* 3: an event that arrives while masked is delivered on unmask */
    wait_turn(from_parent);
    {
        int p = xenevtchn_pending(xce); /* masked now until unmasked */

        put_u32(to_parent, p == port);
        wait_turn(from_parent); /* parent notified again */
        put_u32(to_parent, !event_queued(xce));
        xenevtchn_unmask(xce, (evtchn_port_t)port);
        put_u32(to_parent, wait_event(xce) == port);
    }
    /* 4: the page the parent wrote */
    wait_turn(from_parent);
    put_u32(to_parent, page[0] == 0x5A && page[PAGE - 1] == 0x5A);
    /* 5: end the grant; the parent's mapping stays valid */
    xengntshr_unshare(xgs, page, 1);
    put_u32(to_parent, 1);
    /* 6: close everything; the parent notifies a closed peer */
    wait_turn(from_parent);
    xenevtchn_close(xce);
    xce = NULL;
    put_u32(to_parent, 1);
    rc = 0;
out:
    xenevtchn_close(xce);
    xengntshr_close(xgs);
    return rc;
}

int main(void)
{
    int up[2], down[2], status;
    xenevtchn_handle *xce = NULL;
    xengnttab_handle *xgt = NULL;
    uint32_t gport, ref;
    unsigned char *map = NULL;
    int port, i, ok;
    pid_t pid, crashed;

    printf("1..12\n");
    fflush(stdout); /* the child must not print our buffer again */
    if (pipe(up) || pipe(down))
        return 1;
    pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        _exit(guest(up[1], down[0]));
    }
    close(up[1]);
    close(down[0]);
    xce = xenevtchn_open(NULL, 0);
    xgt = xengnttab_open(NULL, 0);
    if (!xce || !xgt) {
        printf("Bail out! cannot open handles (is the preload loaded?)\n");
        return 1;
    }
    gport = get_u32(up[0]);
    ref = get_u32(up[0]);

    check(xenevtchn_bind_interdomain(xce, GUEST + 1, gport) < 0,
          "binding to a port that is not offered to us fails");
    /* A backend that binds the guest's port and dies without unbinding. */
    crashed = fork();
    if (crashed == 0) {
        xenevtchn_handle *x = xenevtchn_open(NULL, 0);

        _exit(x && xenevtchn_bind_interdomain(x, GUEST, gport) > 0 ? 0 : 1);
    }
    waitpid(crashed, &status, 0);
    port = xenevtchn_bind_interdomain(xce, GUEST, gport);
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0 && port > 0,
          "bind_interdomain to the guest's port, also after the backend "
          "bound to it died");
    if (port <= 0) {
        printf("Bail out! no event channel to the guest\n");
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return 1;
    }

    for (i = 0, ok = 1; i < ROUNDS && ok; i++) {
        xenevtchn_notify(xce, (evtchn_port_t)port);
        ok = wait_event(xce) == port;
    }
    check(ok, "1000 notify/pending round trips between two processes");

    for (i = 0; i < 5; i++)
        xenevtchn_notify(xce, (evtchn_port_t)port);
    put_u32(down[1], 2);
    check(get_u32(up[0]) == 1,
          "notifies to a masked port coalesce into one event");

    xenevtchn_notify(xce, (evtchn_port_t)port);
    put_u32(down[1], 3);
    check(get_u32(up[0]) == 1, "pending() returns the notified port");
    xenevtchn_notify(xce, (evtchn_port_t)port);
    put_u32(down[1], 3);
    check(get_u32(up[0]) == 1, "a masked port receives no event");
    check(get_u32(up[0]) == 1, "unmask delivers the event that came");

    check(xengnttab_map_grant_ref(xgt, GUEST + 1, ref, PROT_READ) == NULL,
          "a ref of another domain cannot be mapped");
    map = xengnttab_map_grant_ref(xgt, GUEST, ref, PROT_READ | PROT_WRITE);
    check(map && map[0] == 0xA5 && map[PAGE - 1] == 0xA5,
          "map the guest's grant and see what it wrote");
    if (map)
        memset(map, 0x5A, PAGE);
    put_u32(down[1], 4);
    check(get_u32(up[0]) == 1, "the guest sees what dom0 wrote");
    get_u32(up[0]);
    check(map && map[0] == 0x5A &&
              !xengnttab_map_grant_ref(xgt, GUEST, ref, PROT_READ),
          "an ended grant stays mapped but cannot be mapped again");

    put_u32(down[1], 6);
    get_u32(up[0]);
    check(xenevtchn_notify(xce, (evtchn_port_t)port) == 0 &&
              xenevtchn_unbind(xce, (evtchn_port_t)port) == 0,
          "notifying a closed peer is not an error; unbind works");

    if (map)
        xengnttab_unmap(xgt, map, 1);
    xenevtchn_close(xce);
    xengnttab_close(xgt);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        printf("# guest process failed\n");
        failures++;
    }
    return failures ? 1 : 0;
}
