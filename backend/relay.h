/*
 * relay.h - moving a channel's bytes, and nothing else.
 *
 * The functions here get the pieces they work on (the ring, the buffers,
 * the client's descriptor), move what can move without blocking, and
 * report what happened in an xcd_relay_result: bytes each way, bytes
 * dropped, the client gone, the ring corrupt. They never notify the guest,
 * change a state or free anything: the channel decides what the result
 * means.
 *
 * Guest -> host: the `out` ring is always drained. Bytes go straight to
 * the client when it takes them and nothing older waits; otherwise into
 * the bounded buffer `out`, which the client gets first. Host -> guest:
 * what a client that left had sent (`backlog`) goes first, then the
 * client is read only as far as the `in` ring has room.
 */
#ifndef XCD_RELAY_H
#define XCD_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "xenchannel_ring.h"

#include "buffer.h"

typedef struct xcd_relay_io {
    xch_ring *ring;      /* NULL: no ring mapped */
    xcd_buffer *out;     /* guest output held for the client */
    xcd_buffer *backlog; /* input a client left behind, for the guest */
    int fd;              /* the client, -1 if none */
    bool may_write;      /* the client takes output (it reads, not hung up) */
    bool may_read;       /* the client's input is wanted */
} xcd_relay_io;

typedef struct xcd_relay_result {
    uint64_t from_guest;       /* bytes taken out of `out` */
    uint64_t to_guest;         /* bytes put into `in` */
    uint64_t to_client;        /* bytes written to the client */
    uint64_t dropped;          /* guest output dropped past the bound */
    uint64_t dropped_to_guest; /* client input that did not fit backlog */
    uint64_t freed;            /* room the guest made in `in` */
    bool in_full;              /* the client was not read: no room */
    bool client_eof;           /* the client closed its side */
    bool client_error;         /* reading the client failed for good */
    bool write_failed;         /* the client does not take output any more */
    int ring_rc;               /* 0, or XCH_ERROR_RING_CORRUPT */
} xcd_relay_result;

/* Counters of a channel, summed from relay results. */
typedef struct xcd_relay_stats {
    uint64_t from_guest, to_guest, dropped, dropped_to_guest;
} xcd_relay_stats;

/* Guest -> host: the buffer to the client, then the ring to the client
 * (when nothing is buffered) or to the buffer. */
void xcd_relay_out(const xcd_relay_io *io, xcd_relay_result *res);

/* Host -> guest: room the guest made, the backlog, then the client, into
 * the ring as far as it has room. */
void xcd_relay_in(const xcd_relay_io *io, xcd_relay_result *res);

/* The client has gone: what it sent and nobody read yet goes to the ring
 * as far as there is room, the rest to the backlog (past its bound:
 * dropped, counted). Reads the descriptor to its end. */
void xcd_relay_leftover(const xcd_relay_io *io, xcd_relay_result *res);

/* Whether anything moved between the guest and the host (the guest wants
 * a notification). */
bool xcd_relay_moved(const xcd_relay_result *res);

void xcd_relay_stats_add(xcd_relay_stats *s, const xcd_relay_result *res);

#endif
