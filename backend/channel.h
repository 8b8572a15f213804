/*
 * channel.h - one channel of xenchanneld: a guest's PV console device
 * with a name, relayed to a host end.
 *
 * A channel is two state machines, the guest side (guest.h) and the host
 * end (host.h), and the bytes between them (relay.h). This file is where
 * the events of one channel arrive (the guest's notifications, its
 * xenstore changes, the host end's descriptors, timers) and where what
 * happened is turned into what to do next; the state machines and the
 * relay never call back into it.
 *
 * Configuration (name, connection, path, limit) is read from the backend
 * directory, which the guest cannot write; the frontend directory is
 * untrusted.
 */
#ifndef XCD_CHANNEL_H
#define XCD_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "xenchannel.h"

#include "buffer.h"
#include "daemon.h"
#include "guest.h"
#include "host.h"
#include "ratelimit.h"
#include "relay.h"

struct event;

/* What the event stream was last told of the channel, to announce only
 * changes. */
typedef struct xcd_announced {
    bool ring; /* the guest's ring mapped */
    xch_host_end host_end;
    char *error;
} xcd_announced;

/* What the status keys of BE hold, to write only changes. */
typedef struct xcd_published {
    bool valid; /* written at least once */
    bool client_connected;
    xch_host_end host_end;
    char *host_error;
    char *error;
    uint64_t dropped;
} xcd_published;

struct xcd_channel {
    xcd_daemon *d;
    xcd_channel *next, *hnext; /* the registry's */
    unsigned int domid, devid;
    char *be, *fe;       /* directories */
    char *fe_state_path; /* watched */
    char *fe_token;      /* token of that watch: "fe/<domid>/<devid>" */

    /* configuration, from BE */
    char *name;
    xch_channel_connection connection;
    char *path;   /* socket path */
    size_t limit; /* bound of `out` */

    xcd_guest guest;
    xcd_host host;
    xcd_buffer out;     /* guest output held for the client */
    xcd_buffer backlog; /* input a client left behind, for the guest */
    xcd_relay_stats stats;
    uint64_t ring_errors;
    bool dropping; /* in a drop episode: guest output is being dropped */
    char *error;   /* the guest side's last error, NULL if none */
    xcd_ratelimit log_rl;

    /* the host end's descriptors */
    struct event *wait_ev, *read_ev, *write_ev, *closed_ev, *hup_ev;
    bool waiting, reading, writing, watching_close, watching_hup;
    /* timers, made when first needed */
    struct event *retry_ev, *storm_ev, *detach_ev, *publish_ev, *update_ev;
    xcd_published pub;
    uint64_t published_ms;
    xcd_announced ann;
};

/* BE keys the daemon writes (besides state, hotplug-status): see
 * docs/control-protocol.md. */
#define XCD_PUBLISH_MIN_MS 250

/* Creates the channel for BE dir base/domid/devid if it is ours (FE type
 * xenchanneld) and starts it. NULL if it is not ours or on error. */
xcd_channel *xcd_channel_create(xcd_daemon *d, unsigned int domid,
                                unsigned int devid);
/* Something in BE or FE changed: re-read and act (at once, or a little
 * later when the guest causes too many re-reads). Returns false if the
 * channel was torn down and freed. */
bool xcd_channel_update(xcd_channel *c);
/* The device is gone (BE removed, the domain gone: `why`): announces it
 * and tears the channel down. */
void xcd_channel_remove(xcd_channel *c, const char *why);
/* Tears everything down and frees the channel (shutdown). */
void xcd_channel_destroy(xcd_channel *c);
/* The guest notified the channel's port. */
void xcd_channel_event(xcd_channel *c);
/* Serves the (socket) channel on fd, a listening unix socket passed to
 * us (control socket "listen"); fd is taken. 0 or XCH_ERROR_INVAL with
 * *errmsg. */
int xcd_channel_take_listener(xcd_channel *c, int fd, char **errmsg);
/* Fills st (initialised) from c. 0 or XCH_ERROR_NOMEM. */
int xcd_channel_status(const xcd_channel *c, xch_channel_status *st);
/* Fills ev (initialised) with c's current state, as the first event of a
 * stream gives it. 0 or XCH_ERROR_NOMEM. */
int xcd_channel_describe(const xcd_channel *c, xch_channel_event *ev);

#endif
