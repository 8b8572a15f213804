/*
 * host.h - the host end of a channel: the unix socket or pty that host
 * clients use, one client at a time.
 *
 *   CLOSED --(open)--> LISTENING --(a client)--> CLIENT
 *   CLIENT --(the client leaves)--> LISTENING
 *   CLOSED, LISTENING, CLIENT --(cannot open, the endpoint breaks)-->
 *   FAILED
 *   FAILED --(a retry, with backoff, opens it)--> LISTENING
 *   any --(teardown, or another endpoint)--> CLOSED
 *
 * A failed host end is a state of its own, shown with its reason, and
 * retried: meanwhile the guest side connects as usual and the guest's
 * output is buffered, so the guest never waits on the host. Moves go
 * through xcd_host_next(), checked against the table; an impossible one
 * fails the host end, never the daemon.
 */
#ifndef XCD_HOST_H
#define XCD_HOST_H

#include <stdbool.h>

#include "xenchannel_types.h"

#include "transport.h"

typedef struct xcd_channel xcd_channel;

typedef struct xcd_host {
    xch_host_end state;
    xcd_transport tp;
    char *error;           /* why it failed, NULL while it works */
    unsigned int retry_ms; /* the next retry's delay */
    bool write_dead;       /* the client does not read any more */
    bool read_done;        /* the client has sent its last byte */
    bool passed;           /* tp serves a descriptor passed to us */
} xcd_host;

/* Retries of a failed host end: the first after this, doubling up to the
 * longest. */
#define XCD_HOST_RETRY_MIN_MS 250
#define XCD_HOST_RETRY_MAX_MS 30000

bool xcd_host_transition_ok(xch_host_end from, xch_host_end to);
/* `to` if that move is legal, else FAILED where it may go, else CLOSED
 * (*legal false then). */
xch_host_end xcd_host_next(xch_host_end from, xch_host_end to, bool *legal);

void xcd_host_init(xcd_host *h);

/* Opens the endpoint the channel's configuration says (a passed
 * listening socket when there is one), publishes a pty's path in FE `tty`.
 * LISTENING (0) or FAILED (a negative XCH_ERROR_*, h->error set). */
int xcd_host_open(xcd_channel *c);

/* The endpoint says a client may have come or gone: 1 if a client is
 * there (CLIENT), 0 if none (a current client has left: call
 * xcd_host_drop_client after reading what it left), or a negative
 * XCH_ERROR_* with *errmsg (the endpoint broke: xcd_host_fail). */
int xcd_host_accept(xcd_channel *c, char **errmsg);

/* The endpoint broke (err malloc'd, taken): closes it, FAILED. */
void xcd_host_fail(xcd_channel *c, char *err);

/* Forgets the client: LISTENING. */
void xcd_host_drop_client(xcd_channel *c);

/* Closes everything: CLOSED. */
void xcd_host_close(xcd_channel *c);

/* Serves the socket channel on fd, a listening unix socket passed to us,
 * instead of its current endpoint (whose client is disconnected; buffered
 * output stays). fd is taken whatever the result. 0, or XCH_ERROR_INVAL
 * with *errmsg (not a socket channel, being detached, not a listening
 * socket). */
int xcd_host_take_listener(xcd_channel *c, int fd, char **errmsg);

/* The delay before the next retry of a failed host end; doubles it. */
unsigned int xcd_host_backoff(xcd_host *h);

/* Whether the client takes output now (there, reading, not hung up). */
bool xcd_host_may_write(const xcd_host *h);

#endif
