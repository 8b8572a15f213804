/*
 * bench_util.h - what the relay benchmark's programs share (make bench,
 * tests/bench/bench.sh): clocks, a process's CPU time, the guest's
 * counters in shared memory, the console ring's event channel, and the
 * frontend's half of the xenbus handshake.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "xenchannel_ring.h"

/* The largest write size of the ladder, and the read size of readers. */
#define BENCH_CHUNK 65536

/* The guest's counters, in a file both the guest and the measuring
 * program map: bytes it put into `out`, bytes it took from `in`, and the
 * one-byte writes whose consumption it saw (per-event mode). `stop` asks
 * a busy guest to stop what it does (it then reads "stop" on its control
 * socket). */
typedef struct bench_stats {
    uint64_t tx;
    uint64_t rx;
    uint64_t ticks;
    uint32_t stop;
} bench_stats;

/* Maps the counters file at path (created, zeroed, when create). */
bench_stats *bench_stats_map(const char *path, bool create);

uint64_t bench_load(const uint64_t *p);
void bench_add(uint64_t *p, uint64_t n);

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* CPU time (user + system) of every thread of pid, in nanoseconds, from
 * /proc/PID/task/TID/schedstat; 0 if unreadable. */
uint64_t bench_cpu_ns(pid_t pid);

/* Raises the soft limit of descriptors to the hard one. */
void bench_raise_nofile(void);

/* Pins the calling process to one CPU (cpu < 0: leaves it). */
int bench_pin(int cpu);

/* A console ring and its event channel, either side. */
typedef struct bench_ring {
    xenevtchn_handle *xce;
    xch_ring ring;
    int port; /* local port */
    int fd;   /* xenevtchn_fd, non-blocking */
} bench_ring;

/* Takes every pending event of r's handle and unmasks its port. Returns
 * how many there were, -1 on failure. */
int bench_ring_events(bench_ring *r);
void bench_ring_notify(bench_ring *r);

/* Backend side: maps grant ref of domid and binds to its unbound port
 * (the process runs as the backend domain, under the testbed's preload).
 * 0 or -1 (message on stderr). */
int bench_ring_attach_backend(bench_ring *r, xengnttab_handle **xgt,
                              unsigned int domid, uint32_t ref, uint32_t port);

/* Frontend side: shares a zeroed page with backend_id and allocates an
 * unbound port for it. xce and xgs are the caller's; *ref is the grant.
 * 0 or -1. */
int bench_ring_share(bench_ring *r, xenevtchn_handle *xce,
                     xengntshr_handle *xgs, unsigned int backend_id,
                     uint32_t *ref);

/* The frontend's xenbus steps, as hvc_xen takes them, on FE directory fe:
 * writes ring-ref and port, then state Initialised, in one transaction
 * that checks fe still exists. 0 or -1. */
int bench_fe_publish(struct xs_handle *xs, const char *fe, uint32_t ref,
                     int port);
/* Writes FE state (a transaction checking fe exists). 0 or -1. */
int bench_fe_state(struct xs_handle *xs, const char *fe, int state);
/* Reads a decimal node; -1 if absent or not a number. */
long bench_xs_number(struct xs_handle *xs, const char *path);

#endif
