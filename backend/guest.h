/*
 * guest.h - the guest side of a channel: the xenbus handshake with the
 * frontend (as QEMU's console backend does it, plus the toolstack's
 * detach), the shared ring and the event channel.
 *
 *   INIT --(BE 1: hotplug-status, BE 2)--> INITWAIT
 *   INIT --(daemon restart: adopt BE 2/4/5/6 as they are)--> ...
 *   INITWAIT --(FE 3/4 with ring-ref and port: map, bind, BE 4)--> CONNECTED
 *   CONNECTED --(FE 5: BE 5)--> CLOSING
 *   CONNECTED, CLOSING --(FE 6, or FE 1: unmap, unbind, BE 6)--> CLOSED
 *   CLOSED --(FE 1 or 3 again: BE 2)--> INITWAIT
 *   any --(garbage from FE, corrupt ring: unmap, unbind, BE 6)--> FAILED
 *   FAILED --(FE 1 or 6)--> CLOSED
 *   any --(BE online=0)--> DETACHING --(FE 6, output flushed: BE 6)-->
 *   DETACHED
 *
 * Every move goes through xcd_guest_next(), which checks it against the
 * table of legal transitions: an impossible one fails this channel (it
 * goes to FAILED and says why), never the daemon. What the frontend
 * writes (state, ring-ref, port) is untrusted and parsed strictly.
 *
 * Storms: a guest can notify as often as it likes. A run of notifications
 * that moved nothing (no byte either way, no room made in `in`) masks the
 * port for a while, longer each time the storm goes on; real traffic ends
 * the storm at once.
 */
#ifndef XCD_GUEST_H
#define XCD_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "xenchannel_ring.h"

#include "ratelimit.h"

typedef struct xcd_channel xcd_channel;

typedef struct xcd_guest {
    xch_guest_side state;
    void *page;
    xch_ring ring;
    int port;     /* local event channel port, -1 when unbound */
    uint32_t ref; /* what the frontend gave, while mapped */
    uint32_t remote_port;
    int fe_state;       /* last read, -1 if unknown or garbage */
    int be_state;       /* last written or adopted */
    bool bad_fe_logged; /* garbage from FE reported since the last connect */
    bool flush_expired; /* detach: no more waiting for the client */

    /* Storms: progress is every byte moved and every room made. */
    uint64_t progress;
    uint64_t progress_seen; /* at the previous notification */
    unsigned int empty_run; /* notifications in a row that moved nothing */
    unsigned int mask_ms;   /* the last throttle; doubles while it lasts */
    bool masked;
    uint64_t storms; /* times throttled */

    /* Re-reads of xenstore the guest causes, and a deferred one. */
    xcd_ratelimit update_rl;
    bool update_deferred;
} xcd_guest;

/* Notifications in a row that move nothing before the port is masked. */
#define XCD_STORM_RUN 32
/* The first throttle, and the longest. */
#define XCD_STORM_MASK_MIN_MS 50
#define XCD_STORM_MASK_MAX_MS 1000

/* Whether the guest side may go from `from` to `to`. */
bool xcd_guest_transition_ok(xch_guest_side from, xch_guest_side to);
/* `to` if that move is legal, else where an impossible move leads: FAILED
 * where it may go, or staying put (*legal false then). */
xch_guest_side xcd_guest_next(xch_guest_side from, xch_guest_side to,
                              bool *legal);

void xcd_guest_init(xcd_guest *g, uint64_t now_ms);

/* The frontend or the backend directory changed: re-reads FE state and
 * moves the handshake as far as it goes. be_state and online are BE's.
 * host_flushed: the host end has nothing more to deliver (detach may
 * complete). */
void xcd_guest_step(xcd_channel *c, int be_state, bool online,
                    bool host_flushed);

/* A corrupt ring or another failure of the relay: counted, reported,
 * the ring released, the channel FAILED (or, while detaching, just the
 * ring released). */
void xcd_guest_fail(xcd_channel *c, int rc, const char *what);

/* Releases the ring and the event channel (teardown). */
void xcd_guest_ring_down(xcd_channel *c);

/* A notification was handled and g->progress is up to date: whether to
 * mask the port, and for how long (0: no storm, unmask now). */
unsigned int xcd_guest_storm(xcd_guest *g);

#endif
