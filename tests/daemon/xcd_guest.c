/*
 * xcd_guest.c - xcd-guest, a misbehaving console frontend for the daemon's
 * tests. Runs as the guest (through the testbed's bridge and preload):
 *
 *   xcd-guest storm FE MS TEXT
 *
 * shares a ring page and an event channel with the backend of device FE
 * (e.g. /local/domain/3/device/console/1) as hvc_xen does, waits for the
 * backend to connect, notifies it over and over for MS milliseconds
 * without moving any data (an event storm), then writes TEXT into the
 * `out` ring, notifies once and prints "sent". It keeps the ring until
 * its standard input closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xenchannel_ring.h"

static void die(const char *what)
{
    fprintf(stderr, "xcd-guest: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *read_key(struct xs_handle *xs, const char *dir, const char *key)
{
    char path[256];
    unsigned int len;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return xs_read(xs, XBT_NULL, path, &len);
}

static void write_key(struct xs_handle *xs, const char *dir, const char *key,
                      const char *val)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!xs_write(xs, XBT_NULL, path, val, strlen(val)))
        die(path);
}

/* Waits until dir/state reads want (a watch, no polling). */
static void wait_state(struct xs_handle *xs, const char *dir, const char *want)
{
    char path[256], **ev, *val;
    unsigned int n;

    snprintf(path, sizeof(path), "%s/state", dir);
    if (!xs_watch(xs, path, "s"))
        die("watch");
    for (;;) {
        val = read_key(xs, dir, "state");
        if (val && !strcmp(val, want))
            break;
        free(val);
        ev = xs_read_watch(xs, &n);
        if (!ev)
            die("read watch");
        free(ev);
    }
    free(val);
    xs_unwatch(xs, path, "s");
}

int main(int argc, char **argv)
{
    struct xs_handle *xs;
    xenevtchn_handle *xce;
    xengntshr_handle *xgs;
    unsigned long backend, ms;
    uint64_t end;
    char *be, *bid, buf[32];
    xch_ring ring;
    uint32_t ref;
    void *page;
    int port;

    if (argc != 5 || strcmp(argv[1], "storm") != 0) {
        fprintf(stderr, "usage: xcd-guest storm FE MS TEXT\n");
        return 2;
    }
    ms = strtoul(argv[3], NULL, 10);
    xs = xs_open(0);
    xce = xenevtchn_open(NULL, 0);
    xgs = xengntshr_open(NULL, 0);
    if (!xs || !xce || !xgs)
        die("opening xenstore, event channels and grants");
    be = read_key(xs, argv[2], "backend");
    bid = read_key(xs, argv[2], "backend-id");
    if (!be || !bid)
        die("reading backend and backend-id");
    backend = strtoul(bid, NULL, 10);
    page = xengntshr_share_pages(xgs, (uint32_t)backend, 1, &ref, 1);
    if (!page)
        die("sharing a page");
    memset(page, 0, 4096);
    xch_ring_attach(&ring, page, XCH_RING_FRONTEND);
    port = xenevtchn_bind_unbound_port(xce, (uint32_t)backend);
    if (port < 0)
        die("allocating an event channel");
    snprintf(buf, sizeof(buf), "%u", ref);
    write_key(xs, argv[2], "ring-ref", buf);
    snprintf(buf, sizeof(buf), "%d", port);
    write_key(xs, argv[2], "port", buf);
    write_key(xs, argv[2], "state", "3");
    wait_state(xs, be, "4");
    write_key(xs, argv[2], "state", "4");
    end = now_ms() + ms;
    while (now_ms() < end)
        if (xenevtchn_notify(xce, (evtchn_port_t)port))
            die("notify");
    if (xch_ring_write(&ring, argv[4], strlen(argv[4])) !=
        (ssize_t)strlen(argv[4]))
        die("writing the ring");
    if (xenevtchn_notify(xce, (evtchn_port_t)port))
        die("notify");
    printf("sent\n");
    fflush(stdout);
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    xenevtchn_unbind(xce, (evtchn_port_t)port);
    xengntshr_unshare(xgs, page, 1);
    xengntshr_close(xgs);
    xenevtchn_close(xce);
    xs_close(xs);
    free(be);
    free(bid);
    return 0;
}
