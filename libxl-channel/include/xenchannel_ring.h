/*
 * xenchannel_ring.h - access to a Xen PV console ring.
 *
 * A console ring is one shared page holding `struct xencons_interface`
 * (xen/io/console.h): `out` (2048 bytes, guest -> host) and `in` (1024
 * bytes, host -> guest), each with a producer and a consumer index. The
 * indices run freely over 32 bits and are masked with size-1 when used.
 *
 * The peer can change the page at any moment and may be hostile. Each
 * side keeps the two indices it owns (its consumer index of the direction
 * it reads, its producer index of the direction it writes) in private
 * memory, read from the page once, at attach, and afterwards only
 * published there: a peer that rewrites them on the page misleads nobody
 * (as Linux's netback keeps its own ring indices). Each operation reads
 * the peer's index exactly once, checks that `prod - cons` is at most the
 * ring's size (otherwise the ring is corrupt: XCH_ERROR_RING_CORRUPT,
 * nothing is copied and no index is written), and uses the indices only
 * masked beyond that check. The barriers are those of Linux's hvc_xen and
 * of xenconsoled: a full barrier after reading the peer's index, a full
 * barrier after reading the data and before publishing a consumer index,
 * a write barrier after writing the data and before publishing a producer
 * index.
 *
 * Notification is the caller's job: after a call that moved bytes (a
 * positive result, or a non-zero xch_ring_consume/xch_ring_commit), notify
 * the event channel, and only then, because the index is already
 * published when the call returns. Calls that moved nothing need no
 * notification.
 *
 * Two xch_ring values attached to the same page with different sides talk
 * to each other. One side must not be used by two threads at once.
 */
#ifndef XENCHANNEL_RING_H
#define XENCHANNEL_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xen/io/console.h>

#include <xenchannel_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which end of the ring this is: the backend reads `out` and writes `in`,
 * the frontend (the guest) reads `in` and writes `out`. */
typedef enum xch_ring_side {
    XCH_RING_BACKEND,
    XCH_RING_FRONTEND
} xch_ring_side;

typedef struct xch_ring {
    struct xencons_interface *intf;
    xch_ring_side side;
    /* Private to ring.c: the indices this side owns, and how far the
     * peer had consumed what this side produced when last looked at. */
    XENCONS_RING_IDX rx_cons;
    XENCONS_RING_IDX tx_prod;
    XENCONS_RING_IDX tx_cons_seen;
} xch_ring;

/* Use `page` (one page, at least sizeof(struct xencons_interface) bytes)
 * as a ring seen from `side`, taking this side's own indices from the
 * page as they are now (a ring adopted from an earlier user goes on where
 * it stopped); nothing is written. */
void xch_ring_attach(xch_ring *r, void *page, xch_ring_side side);

/* Bytes waiting to be read by this side, in *avail. 0, or
 * XCH_ERROR_RING_CORRUPT if the indices are impossible. */
int xch_ring_readable(const xch_ring *r, size_t *avail);

/* Room this side can write into, in *room. 0, or XCH_ERROR_RING_CORRUPT. */
int xch_ring_writable(const xch_ring *r, size_t *room);

/* Copy up to len bytes out of the ring into buf and publish the new
 * consumer index. Returns the number of bytes copied (0 when the ring is
 * empty or len is 0), or XCH_ERROR_RING_CORRUPT. */
ssize_t xch_ring_read(xch_ring *r, void *buf, size_t len);

/* Copy up to len bytes from buf into the ring and publish the producer
 * index. Returns the number of bytes written, less than len when the ring
 * fills up (0 when it is full), or XCH_ERROR_RING_CORRUPT. */
ssize_t xch_ring_write(xch_ring *r, const void *buf, size_t len);

/*
 * Zero-copy access, e.g. readv()/writev() straight between a socket and
 * the page. xch_ring_peek describes the readable bytes and xch_ring_reserve
 * the free room as at most two segments of the shared page (the second one
 * after the wrap): iov[0..*niov-1], *niov being 0, 1 or 2. Their result is
 * the total length (>= 0) or XCH_ERROR_RING_CORRUPT. Nothing is published
 * until xch_ring_consume (after reading n bytes from the peeked segments)
 * or xch_ring_commit (after filling the first n bytes of the reserved
 * segments); those re-read the indices and fail with
 * XCH_ERROR_RING_CORRUPT, publishing nothing, if n bytes are not there
 * (or not free) any more, or XCH_ERROR_INVAL if n is larger than the ring.
 * Bytes read from peeked segments may be changed by the peer at any time:
 * treat them as untrusted data.
 */
ssize_t xch_ring_peek(const xch_ring *r, struct iovec iov[2], int *niov);
int xch_ring_consume(xch_ring *r, size_t n);
ssize_t xch_ring_reserve(const xch_ring *r, struct iovec iov[2], int *niov);
int xch_ring_commit(xch_ring *r, size_t n);

/* How many bytes the peer consumed, since the last call, of what this side
 * wrote: in *freed. Only a consumer index that moved forward past every
 * earlier one counts, so a peer moving its index back and forth makes no
 * room that is not real. 0, or XCH_ERROR_RING_CORRUPT. */
int xch_ring_tx_freed(xch_ring *r, size_t *freed);

#ifdef __cplusplus
}
#endif

#endif /* XENCHANNEL_RING_H */
