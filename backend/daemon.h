/*
 * daemon.h - xenchanneld as a whole: its options, its connections to
 * xenstore and the hypervisor, its channels.
 *
 * The files of backend/:
 *   main.c           options, signals, start-up and shutdown
 *   daemon.c         xenstore watches (discovery, @releaseDomain, the
 *                    connection's health) and guest notifications, each
 *                    dispatched to its channel
 *   registry.c       the channels by (domid, devid) and by port
 *   channel.c        one channel: its events, timers and status; ties
 *                    its two state machines together
 *   guest.c          the guest side: the xenbus handshake, the ring and
 *                    event channel, storms
 *   host.c           the host end: the socket or pty clients use
 *   relay.c          moving bytes, and nothing else
 *   buffer.c         bounded byte buffers and their shared pool
 *   transport_*.c    socket and pty endpoints (transport.h)
 *   ratelimit.c      token buckets for work a guest or client causes
 *   control.c        the control socket
 *   events.c         its lifecycle event stream
 *   activation.c     socket activation and sd_notify
 *   keeper.c         kept channels of a domain built again
 *   parse.c          watch paths
 *   log.c            stderr or syslog
 */
#ifndef XCD_DAEMON_H
#define XCD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "internal.h"

#include "buffer.h"
#include "registry.h"

struct event;
struct event_base;

typedef struct xcd_activation xcd_activation;
typedef struct xcd_control xcd_control;
typedef struct xcd_events xcd_events;
typedef struct xcd_keeper xcd_keeper;

typedef struct xcd_options {
    bool foreground;
    bool verbose;
    const char *control_path;
    mode_t socket_mode;
    bool set_group;
    gid_t socket_group;
    const char *socket_dir; /* where a directory per domain may be made */
    size_t buffer_limit;    /* per channel, when BE has no limit */
    size_t buffer_total;    /* all channels together */
} xcd_options;

/* The token of the watch on a guest's console directory: one watch per
 * guest, not per channel (an unprivileged backend may have 128):
 * "fe/<domid>". */
#define XCD_FE_TOKEN "fe/"

/* Defaults of the options above: see xenchanneld(8) for why. */
#define XCD_BUFFER_LIMIT_DEFAULT (16UL << 20)
#define XCD_BUFFER_TOTAL_DEFAULT (256UL << 20)

typedef struct xcd_daemon {
    const xcd_options *opts;
    struct event_base *base;
    struct xs_handle *xs;
    xch_ctx *xctx; /* the library's transactions, on xs */
    xenevtchn_handle *xce;
    xengnttab_handle *xgt;
    unsigned int self; /* our domid */
    char *be_base;     /* /local/domain/<self>/backend/console */
    struct event *xs_ev, *evtchn_ev, *health_ev;
    xcd_registry reg;
    xcd_buffer_pool pool; /* every channel's buffered guest output */
    xcd_activation *activation;
    xcd_control *control;
    xcd_events *events;     /* the lifecycle event stream's subscribers */
    xcd_keeper *keeper;     /* kept channels (keeper.c); NULL but in dom0 */
    bool watch_release;     /* @releaseDomain is watched */
    bool watch_intro;       /* @introduceDomain is watched */
    unsigned int *building; /* domains with devices, not yet introduced */
    unsigned int nbuilding, building_cap;
    bool stopping;
    bool xenstore_lost; /* the daemon stops with a failure */
} xcd_daemon;

/* Sets up everything (xenstore, event channels, grants, watches) and
 * adopts the existing devices. 0 or a negative XCH_ERROR_* (logged). */
int xcd_daemon_start(xcd_daemon *d, struct event_base *base,
                     const xcd_options *opts);
/* Tears every channel down and releases everything; idempotent. */
void xcd_daemon_stop(xcd_daemon *d);

/* Whether the connection to xenstored still works. When it does not, the
 * daemon logs it once and leaves its event loop (it exits with a
 * failure; its service manager restarts it, and the new instance adopts
 * the channels). */
bool xcd_daemon_xenstore_alive(xcd_daemon *d);

/* The same, sure of it: one request to xenstored (libxenstore learns that
 * the connection broke only when its reader thread runs). Before answering
 * a control request. */
bool xcd_daemon_xenstore_answers(xcd_daemon *d);

#endif
